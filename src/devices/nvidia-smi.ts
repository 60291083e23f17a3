/**
 * The nvidia-smi executable: where it is, one-shot queries with a bounded wait, and the parsing of
 * its timestamps and `--format=csv,noheader,nounits` lines. It only reads: the stream it can keep
 * open is in nvidia-smi-stream.ts, and what the readings mean is the meters' business.
 */
import { execFile } from 'node:child_process';

import { errorMessage, usageError } from '../errors.js';
import { firstLine } from '../util/first-line.js';
import { printable, printableLine } from '../util/text-safety.js';
import { DeviceUnavailable } from './unavailable.js';

export const NVIDIA_SMI_ENV = 'ENERGY_SCORE_NVIDIA_SMI';
export const NVIDIA_SMI_FIX = `install the NVIDIA driver, or set ${NVIDIA_SMI_ENV}`;

/** Where nvidia-smi is: given, else $ENERGY_SCORE_NVIDIA_SMI, else `nvidia-smi` on PATH. */
export interface NvidiaSmiLocation {
  executable?: string;
  /** Environment for the lookup and the child processes (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export const NVIDIA_SMI_TIMEOUT_ENV = 'ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S';

/**
 * The limit for one nvidia-smi query: $ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S seconds when set, else
 * `defaultS`. A heavily loaded machine (or a slow driver with many GPUs) may need longer.
 */
export function nvidiaSmiTimeoutS(env: NodeJS.ProcessEnv, defaultS: number): number {
  const value = env[NVIDIA_SMI_TIMEOUT_ENV];
  if (value === undefined || value === '') return defaultS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw usageError(
      `${NVIDIA_SMI_TIMEOUT_ENV}=${value}: not a number of seconds above 0`,
      `unset it, or give seconds, e.g. ${NVIDIA_SMI_TIMEOUT_ENV}=${defaultS}`,
    );
  return seconds;
}

export function nvidiaSmiExecutable(options: NvidiaSmiLocation = {}): string {
  const env = options.env ?? process.env;
  return options.executable || env[NVIDIA_SMI_ENV] || 'nvidia-smi';
}

/** Its stdout, or why it failed in one line; `absent` when there is no such executable. */
export type NvidiaSmiOutput = { stdout: string } | { reason: string; absent: boolean };

/**
 * Executables that did not answer within a call's limit, and how: a hung driver hangs every
 * call, so later calls in this process fail at once instead of each waiting out its limit.
 */
const unresponsive = new Map<string, string>();

/** Runs a one-shot nvidia-smi command; its stdout, or why it failed in one line. */
export function runNvidiaSmi(
  executable: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutS: number,
): Promise<NvidiaSmiOutput> {
  const hung = unresponsive.get(executable);
  if (hung !== undefined) return Promise.resolve({ reason: `${hung} (not tried again)`, absent: false });
  return new Promise((resolve) => {
    execFile(
      executable,
      args,
      { env, timeout: timeoutS * 1000, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number | null };
        const where = executable === 'nvidia-smi' ? 'nvidia-smi on PATH' : executable;
        if (e.code === 'ENOENT') return resolve({ reason: `no executable ${where}`, absent: true });
        if (e.code === 'EACCES') return resolve({ reason: `${where} is not executable`, absent: false });
        if (e.killed) {
          const reason = `${where} ${args.join(' ')} did not finish within ${timeoutS} s`;
          unresponsive.set(executable, reason);
          return resolve({ reason, absent: false });
        }
        const said = printableLine(firstLine(`${stdout}\n${stderr}`) || errorMessage(err));
        const code = typeof e.code === 'number' ? ` (exit ${e.code})` : '';
        return resolve({ reason: `${where} ${args.join(' ')} failed${code}: ${said}`, absent: false });
      },
    );
  });
}

/** What this nvidia-smi can report about power, and the GPUs it lists. */
export interface NvidiaSmiGpus {
  /** Whether the driver has `power.draw.instant` (else only the 1 s average `power.draw`). */
  instantPower: boolean;
  /** GPU name by nvidia-smi index. */
  names: Map<number, string>;
  /** `enforced.power.limit` by index, W; null where the driver does not report it. */
  enforcedPowerLimitsW: Map<number, number | null>;
}

/**
 * Asks nvidia-smi for its query fields and its GPU list. Throws DeviceUnavailable when it cannot
 * run, fails, or lists no GPU.
 */
export async function queryNvidiaSmiGpus(
  executable: string,
  env: NodeJS.ProcessEnv,
  timeoutS: number,
): Promise<NvidiaSmiGpus> {
  const help = await runNvidiaSmi(executable, ['--help-query-gpu'], env, timeoutS);
  if ('reason' in help) throw new DeviceUnavailable(help.reason, NVIDIA_SMI_FIX, !help.absent);
  const instantPower = /^"power\.draw\.instant"/m.test(help.stdout);
  const hasLimit = /^"enforced\.power\.limit"/m.test(help.stdout);
  // The name goes last: it is the one field that could hold a comma.
  const list = await runNvidiaSmi(
    executable,
    [`--query-gpu=index,${hasLimit ? 'enforced.power.limit,' : ''}name`, '--format=csv,noheader,nounits'],
    env,
    timeoutS,
  );
  if ('reason' in list) throw new DeviceUnavailable(list.reason, NVIDIA_SMI_FIX, !list.absent);
  const names = new Map<number, string>();
  const enforcedPowerLimitsW = new Map<number, number | null>();
  const lines = list.stdout.split('\n').filter((line) => line.trim() !== '');
  for (const line of lines) {
    const gpu = parseGpuListLine(line, hasLimit);
    if (gpu && !names.has(gpu.index)) {
      names.set(gpu.index, gpu.name);
      enforcedPowerLimitsW.set(gpu.index, gpu.limitW);
    }
  }
  if (names.size === 0) {
    const first = lines[0] === undefined ? '' : printableLine(lines[0]);
    throw new DeviceUnavailable(
      `nvidia-smi lists no GPU${first ? `: none of its ${lines.length} line${lines.length === 1 ? '' : 's'} is an index and a GPU name (the first: "${first}")` : ''}`,
      'check that the GPU is visible to this machine (container: --gpus all)',
      true,
    );
  }
  return { instantPower, names, enforcedPowerLimitsW };
}

/**
 * One `index[, enforced.power.limit], name` line of `--query-gpu`, or null for anything else: a driver error,
 * noise, a wrong field count (GPU names have no comma), an empty, unprintable or [N/A] name.
 */
function parseGpuListLine(
  line: string,
  hasLimit: boolean,
): { index: number; name: string; limitW: number | null } | null {
  const cells = line.split(',').map((cell) => cell.trim());
  if (cells.length !== (hasLimit ? 3 : 2) || !/^\d+$/.test(cells[0]!)) return null;
  const name = cells[cells.length - 1]!;
  if (name === '' || NO_VALUE.test(name) || printable(name) !== name) return null;
  const limit = hasLimit ? cells[1]! : '';
  // A limit field that is neither a number nor nvidia-smi's [N/A] means the row is not a GPU's.
  if (hasLimit && !NUMBER.test(limit) && !NO_VALUE.test(limit)) return null;
  return { index: Number(cells[0]), name, limitW: NUMBER.test(limit) ? Number(limit) : null };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** One parsed line of a `--format=csv,noheader,nounits` stream. */
export interface StreamSample {
  /** The `index` field. */
  gpu: number;
  /** The `timestamp` field in epoch seconds; null when the query had no timestamp field. */
  timestampS: number | null;
  /** The other fields by the name they were queried with; null for [N/A], [Not Supported] and the like. */
  values: Record<string, number | null>;
}

export interface ParseOptions {
  /** Read timestamps as UTC instead of this machine's local time (nvidia-smi prints local time). */
  utc?: boolean;
}

const TIMESTAMP = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** nvidia-smi's way of saying "no value": [N/A], [Not Supported], [Unknown Error], [GPU is lost], N/A. */
const NO_VALUE = /^(?:\[[^\]]*\]|N\/A)$/;

/** `2026/11/26 05:58:43.506` → epoch seconds, in local time (or UTC); null when it is not such a timestamp. */
export function parseNvidiaSmiTimestamp(text: string, options: ParseOptions = {}): number | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const date = options.utc
    ? new Date(Date.UTC(year, month - 1, day, hour, minute, second))
    : new Date(year, month - 1, day, hour, minute, second);
  const dayOk = options.utc ? date.getUTCDate() === day : date.getDate() === day;
  return dayOk ? date.getTime() / 1000 + fraction : null;
}

/**
 * Parses one line of `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits`, the fields
 * given in query order (`index` required; `timestamp` optional; every other field numeric).
 * Returns null for anything else: a wrong field count, an error message, binary noise.
 */
export function parseStreamLine(
  line: string,
  fields: readonly string[],
  options: ParseOptions = {},
): StreamSample | null {
  const cells = line.trim().split(',');
  if (cells.length !== fields.length || !fields.includes('index')) return null;
  let gpu: number | null = null;
  let timestampS: number | null = null;
  const values: Record<string, number | null> = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const cell = cells[i]!.trim();
    if (field === 'index') {
      if (!/^\d+$/.test(cell)) return null;
      gpu = Number(cell);
    } else if (field === 'timestamp') {
      timestampS = parseNvidiaSmiTimestamp(cell, options);
      if (timestampS === null) return null;
    } else if (NO_VALUE.test(cell)) {
      values[field] = null;
    } else if (NUMBER.test(cell)) {
      values[field] = Number(cell);
    } else {
      return null;
    }
  }
  return gpu === null ? null : { gpu, timestampS, values };
}
