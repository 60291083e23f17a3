/**
 * Runs any command between two marks of started meters and reports its duration, exit code and
 * energy per meter and domain, gross and net of the idle power measured before it. A meter that
 * fails to mark or read is a warning, never the end of the report; a command that cannot start
 * is a usage error with a shell's exit code (126 cannot run, 127 not found).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { EnergyScoreError, errorMessage, runError, usageError } from '../errors.js';
import { collectEnvironment } from '../env/environment.js';
import { stopMeters } from '../meters/registry.js';
import { markEach, netEnergyJ, OTHER_CPU_LIMIT_CORES, readEach } from '../runner/protocol.js';
import { startMeters, type MeterRequest } from './meters.js';
import type { Environment } from '../result/schema.js';
import type { MeasuredDomain, MeasureDocument } from '../result/measure.js';
import type { EnergyDomain, EnergyMeter } from '../meters/types.js';
import { nowS } from '../util/clock.js';

export type { MeasuredDomain, MeasureDocument } from '../result/measure.js';

export interface MeasureCommandOptions {
  /** The command and its arguments; run without a shell. */
  command: string[];
  /** Started meters, already past their idle measurement. */
  meters: readonly EnergyMeter[];
  /** Idle power per meter (index-aligned with meters), null where not measured. */
  idlePowerW: readonly (number | null)[];
  idleSeconds: number;
  /** How the meters were chosen (fallbacks), carried into the document. */
  notes?: readonly string[];
  /** Signals forwarded to the command while it runs (default SIGINT and SIGTERM). */
  forwardSignals?: readonly NodeJS.Signals[];
  /** Defaults to collectEnvironment. */
  environment?: () => Promise<Environment>;
}

/** `meter:domain`, the key of a meter in idle.powerW. */
export function meterKey(meter: EnergyMeter): string {
  return `${meter.info.name}:${meter.info.domain}`;
}

/** The exit code a shell gives a command: its own, or 128 + the signal's number. */
export function shellExitCode(exitCode: number | null, signal: NodeJS.Signals | null): number {
  if (exitCode !== null) return exitCode;
  const number = signal ? os.constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

export async function measureCommand(options: MeasureCommandOptions): Promise<MeasureDocument> {
  const [file, ...args] = options.command;
  if (file === undefined || file === '') {
    throw usageError(
      'no command to measure',
      'put it after --, e.g. energy-score measure -- python train.py',
    );
  }
  const { meters } = options;
  const warnings = new Set<string>();
  const label = (m: EnergyMeter) => `${m.info.name} (${m.info.domain})`;

  const from = await markEach(meters);
  const startedAt = new Date().toISOString();
  const t0 = nowS();
  const child = await spawnCommand(file, args);
  const forward = (signal: NodeJS.Signals) => {
    // Ctrl-C at a terminal reaches the whole foreground group, the command included: sending
    // it again would deliver it twice. From elsewhere (kill -INT) only we get it, so pass it on.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = options.forwardSignals ?? ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, forward);
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  } finally {
    for (const s of signals) process.off(s, forward);
  }
  const durationS = nowS() - t0;
  const to = await markEach(meters);
  const readings = await readEach(meters, from, to, (i, err) =>
    warnings.add(`${label(meters[i]!)}: could not read energy: ${errorMessage(err)}`),
  );

  const domains: MeasuredDomain[] = [];
  const counted = new Map<EnergyDomain, MeasuredDomain>();
  const notes = [...(options.notes ?? [])];
  meters.forEach((meter, i) => {
    const reading = readings[i];
    if (!reading) return;
    const idleW = options.idlePowerW[i] ?? null;
    const net = netEnergyJ(reading.energyJ, idleW, reading.durationS);
    const entry: MeasuredDomain = {
      meter: meter.info.name,
      domain: meter.info.domain,
      method: meter.info.method,
      devices: meter.info.devices,
      energyJ: reading.energyJ,
      netEnergyJ: net,
      avgPowerW: reading.avgPowerW,
      peakPowerW: reading.peakPowerW,
      idlePowerW: idleW,
      estimated: meter.info.method === 'estimated',
    };
    const band = meter.info.details.modelBand;
    if (entry.estimated && typeof band === 'number') entry.modelBand = band;
    if (reading.otherCpuCores !== undefined) entry.otherCpuCores = reading.otherCpuCores;
    // A package counter counts every process: say so when others were busy beside the command.
    if (!entry.estimated && entry.domain === 'cpu' && (reading.otherCpuCores ?? 0) > OTHER_CPU_LIMIT_CORES) {
      warnings.add(
        `${label(meter)}: other processes used ${reading.otherCpuCores!.toFixed(2)} cores beside the command (more than ${OTHER_CPU_LIMIT_CORES} of a core): the package figure includes their energy`,
      );
    }
    domains.push(entry);
    const first = counted.get(entry.domain);
    if (first) {
      notes.push(
        `${entry.domain}: ${entry.meter} also measured it; the totals count ${first.meter} only (one meter per domain)`,
      );
    } else counted.set(entry.domain, entry);
    for (const w of meter.info.warnings) warnings.add(`${label(meter)}: ${w}`);
    for (const w of reading.warnings) warnings.add(`${label(meter)}: ${w}`);
  });

  const totals = [...counted.values()];
  // A sum over no domain is not 0 J: it is no figure at all.
  const sum = (list: MeasuredDomain[]) => (list.length ? list.reduce((s, d) => s + d.energyJ, 0) : null);
  if (totals.some((d) => d.estimated)) {
    warnings.add('estimated: figures marked estimated come from a model of power, not a meter');
  }
  if (meters.length > 0 && options.idleSeconds <= 0) {
    warnings.add('no idle measurement (--idle 0): net figures equal gross');
  }

  return {
    schemaVersion: 1,
    kind: 'measure',
    command: [...options.command],
    startedAt,
    durationS,
    exitCode: exit.code,
    signal: exit.signal,
    idle: {
      seconds: options.idleSeconds,
      powerW: Object.fromEntries(meters.map((m, i) => [meterKey(m), options.idlePowerW[i] ?? null])),
    },
    domains,
    measuredEnergyJ: sum(totals.filter((d) => !d.estimated)),
    estimatedEnergyJ: sum(totals.filter((d) => d.estimated)),
    warnings: [...warnings],
    notes,
    environment: await (options.environment ?? collectEnvironment)(),
  };
}

/** A shell's exit codes for a command it cannot run (126) and one it cannot find (127). */
export const EXIT_CANNOT_RUN = 126;
export const EXIT_NOT_FOUND = 127;

const NOT_FOUND_HINT =
  'check its spelling, or give its path (it runs without a shell: no aliases or shell builtins)';

function notFound(file: string): EnergyScoreError {
  return new EnergyScoreError('usage', `command not found: ${file}`, NOT_FOUND_HINT, {
    exitCode: EXIT_NOT_FOUND,
  });
}

function cannotRun(message: string, hint: string, cause?: unknown): EnergyScoreError {
  return new EnergyScoreError('usage', message, hint, { cause, exitCode: EXIT_CANNOT_RUN });
}

const notExecutable = (file: string) =>
  cannotRun(
    `${file} is not executable`,
    `make it executable (chmod +x ${file}), or run it with its interpreter`,
  );

/**
 * Finds the command the way a shell does (a path as given, a bare name on PATH), so a misspelt
 * command fails at once instead of after the idle measurement: not found is exit 127; found but
 * not executable, or a folder, exit 126.
 */
export async function findCommand(file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const candidates = file.includes('/')
    ? [file]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, file));
  let found: 'folder' | 'file' | null = null;
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => null);
    if (!info) continue;
    if (info.isDirectory()) {
      found ??= 'folder';
      continue;
    }
    try {
      await access(candidate, constants.X_OK);
      return;
    } catch {
      // As a shell does: remember it, and look further along PATH for one that runs.
      found = 'file';
    }
  }
  if (found === 'file') throw notExecutable(file);
  if (found === 'folder' && file.includes('/'))
    throw cannotRun(`${file} is a folder, not a command`, 'give the path of a program or a script in it');
  throw notFound(file);
}

/** Starts the command with inherited stdio and no shell; resolves once it runs. */
function spawnCommand(file: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    child.once('spawn', () => resolve(child));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        // findCommand found it, so what is missing is what it needs to start.
        reject(
          file.includes('/')
            ? cannotRun(
                `cannot run ${file}: the interpreter on its #! line, or a library it needs, is missing`,
                `check the first line of ${file}`,
                err,
              )
            : notFound(file),
        );
      } else if (err.code === 'EACCES') {
        reject(notExecutable(file));
      } else if (err.code === 'ENOEXEC') {
        reject(
          cannotRun(
            `cannot run ${file}: it is not a program this machine runs, nor a script with a #! line`,
            `add a #! line to ${file}, or run it with its interpreter`,
            err,
          ),
        );
      } else {
        reject(runError(`cannot run ${file}: ${err.message}`, undefined, err));
      }
    });
  });
}

export interface MeasureRequest {
  /** The command and its arguments; run without a shell. */
  command: string[];
  meters: MeterRequest;
  /** Idle power is being measured for this long, before the command starts. */
  onIdle?: (seconds: number) => void;
}

/**
 * The measure use-case: check the command exists, start the meters and measure idle power, run
 * the command between two marks, stop the meters.
 */
export async function measure(request: MeasureRequest): Promise<MeasureDocument> {
  const file = request.command[0];
  if (file === undefined || file === '') {
    throw usageError(
      'no command to measure',
      'put it after --, e.g. energy-score measure -- python train.py',
    );
  }
  await findCommand(file);
  // 'system': the command is another process, so the CPU estimate follows the whole machine.
  const started = await startMeters(request.meters, 'system', request.onIdle);
  try {
    return await measureCommand({
      command: request.command,
      meters: started.meters,
      idlePowerW: started.idlePowerW,
      idleSeconds: started.idleSeconds,
      notes: started.notes,
    });
  } finally {
    await stopMeters(started.meters);
  }
}
