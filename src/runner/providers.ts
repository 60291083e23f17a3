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

const CUDA_LIBRARY =
  process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

export function defaultOrtBinaryDir(): string {
  return process.env.ENERGY_SCORE_ORT_BIN_DIR ?? ortBinaryDir();
}

export function cudaProviderInstalled(binaryDir = defaultOrtBinaryDir()): boolean {
  return existsSync(path.join(binaryDir, CUDA_LIBRARY));
}

/** Whether the CUDA provider is here, and if not, why and what would add it. Used by bench and doctor. */
export type CudaProviderStatus =
  | { installed: true; binaryDir: string; library: string }
  | { installed: false; binaryDir: string; reason: string; fix: string };

export function cudaProviderStatus(binaryDir = defaultOrtBinaryDir()): CudaProviderStatus {
  if (cudaProviderInstalled(binaryDir)) {
    return { installed: true, binaryDir, library: path.join(binaryDir, CUDA_LIBRARY) };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      installed: false,
      binaryDir,
      reason: `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`,
      fix: 'use --device cpu, or a Linux x64 machine with an NVIDIA GPU',
    };
  }
  return {
    installed: false,
    binaryDir,
    reason:
      `the CUDA execution provider is not installed: no ${CUDA_LIBRARY} in ${binaryDir} (it is skipped at ` +
      'install time because it downloads from outside the npm registry; it needs an NVIDIA GPU, CUDA 12 and cuDNN 9)',
    fix: `on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, run: ${CUDA_INSTALL_COMMAND}`,
  };
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
  if (device !== 'cuda') return;
  const status = cudaProviderStatus(binaryDir);
  if (!status.installed) throw usageError(`--device cuda: ${status.reason}`, status.fix);
}

export function executionProviders(device: Device): string[] {
  return device === 'cuda' ? ['cuda'] : ['cpu'];
}
