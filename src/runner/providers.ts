/** Which ONNX Runtime execution providers this installation can use. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { usageError } from '../errors.js';

export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

const require = createRequire(import.meta.url);

/** The command that adds the CUDA provider, which onnxruntime-node downloads outside the npm registry. */
export const CUDA_INSTALL_COMMAND =
  'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

/** Folder holding onnxruntime-node's native libraries for this platform. */
export function ortBinaryDir(): string {
  const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

export function cudaProviderInstalled(
  binaryDir = process.env.ENERGY_SCORE_ORT_BIN_DIR ?? ortBinaryDir(),
): boolean {
  const file =
    process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(binaryDir, file));
}

export function parseDevice(text: string): Device {
  const device = text.trim().toLowerCase();
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw usageError(`unknown device '${text}'`, `use one of: ${DEVICES.join(', ')}`);
  }
  return device as Device;
}

/** Fails early, before any model loads, when a device cannot work on this installation. */
export function requireDevice(device: Device, binaryDir?: string): void {
  if (device === 'cuda' && !cudaProviderInstalled(binaryDir)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw usageError(
        `--device cuda: onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`,
        'use --device cpu',
      );
    }
    throw usageError(
      '--device cuda: the CUDA execution provider is not installed (it is skipped at install time because it downloads from outside the npm registry)',
      `on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, run: ${CUDA_INSTALL_COMMAND}`,
    );
  }
}

export function executionProviders(device: Device): string[] {
  return device === 'cuda' ? ['cuda'] : ['cpu'];
}
