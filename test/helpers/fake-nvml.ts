/** Builds the fake libnvidia-ml (test/fixtures/fake-nvml/fake_nvml.c) with the system's C compiler. */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/helpers/fake-nvml.js → the repository root; the recorded traces are fixtures in it.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FAKE_NVML_SOURCE = join(REPO_ROOT, 'test', 'fixtures', 'fake-nvml', 'fake_nvml.c');
export const NVML_TRACES = join(REPO_ROOT, 'test', 'fixtures', 'traces', 'h100-sxm-580');
export const NVML_COUNTER_CSV = join(NVML_TRACES, 'nvml-energy-counter-10ms.csv');

/**
 * Compiles the fake into `dir`/libnvidia-ml.so.1, serving `trace` by default (FAKE_NVML_TRACE
 * overrides it at run time), and returns the library's path. Throws with the compiler's
 * message when there is no C compiler or the build fails.
 */
export function buildFakeNvml(dir: string, trace: string = NVML_COUNTER_CSV): string {
  const lib = join(dir, 'libnvidia-ml.so.1');
  const args = [
    '-shared',
    '-fPIC',
    '-O2',
    `-DFAKE_NVML_DEFAULT_TRACE="${trace}"`,
    '-o',
    lib,
    FAKE_NVML_SOURCE,
  ];
  const cc = spawnSync('cc', args, { encoding: 'utf8' });
  if (cc.error !== undefined) {
    throw new Error(
      `cannot build the fake libnvidia-ml: no C compiler (cc: ${cc.error.message}); install gcc or clang`,
    );
  }
  if (cc.status !== 0) throw new Error(`building the fake libnvidia-ml failed:\n${cc.stderr}`);
  return lib;
}
