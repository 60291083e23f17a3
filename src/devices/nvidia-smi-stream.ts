/**
 * One long-lived `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N` process: the power
 * samples it prints per GPU, on the monotonic clock, and what went wrong with it (lines that are
 * not samples, samples without a power value, a stall, an exit). Waits are bounded, so a stream
 * that stalls or dies never hangs its reader; what the samples add up to is for the meter.
 */
import { spawn, type ChildProcess } from 'node:child_process';

import { errorMessage, runError } from '../errors.js';
import { nowS } from '../util/clock.js';
import { firstLine } from '../util/first-line.js';
import { lastAtOrBefore } from '../util/sorted-times.js';
import { NVIDIA_SMI_FIX, parseStreamLine } from './nvidia-smi.js';

export interface PowerSample {
  /** Monotonic seconds (nowS). */
  timeS: number;
  powerW: number;
}

/** A line the stream printed that was not a usable sample, when it came. */
export interface StreamEvent {
  timeS: number;
  message: string;
}

export interface PowerStreamOptions {
  executable: string;
  env: NodeJS.ProcessEnv;
  /** Query fields in order: `index`, `timestamp` and the power field at least. */
  fields: readonly string[];
  /** The field that holds the power in watts, e.g. power.draw.instant. */
  powerField: string;
  gpus: readonly number[];
  /** Sampling period, seconds (`-lms`). */
  periodS: number;
  /** No sample for this long means the stream has stalled, seconds. */
  stallTimeoutS: number;
  /** Samples older than this are dropped, seconds. */
  retentionS: number;
}

const MAX_LINE_CHARS = 64 * 1024;
/** Timestamps further than this from the arrival time are not trusted (another time zone, a clock step). */
export const CLOCK_SKEW_LIMIT_S = 2;
/**
 * A sample is stamped before it is printed, so a timestamp later than its arrival by more than
 * this (the millisecond rounding and the clock conversion) means the clock was stepped.
 */
export const FUTURE_STAMP_LIMIT_S = 0.25;

export class NvidiaSmiPowerStream {
  private readonly options: PowerStreamOptions;
  private readonly series = new Map<number, PowerSample[]>();
  /** The last timestamp each GPU printed, as printed (epoch seconds). */
  private readonly lastStampS = new Map<number, number>();
  private child: ChildProcess | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private exited: { timeS: number; code: number | null; signal: string | null } | null = null;
  private spawnError: string | null = null;
  private stdoutRest = '';
  private stderrTail = '';
  private readonly garbage: StreamEvent[] = [];
  private garbageTotal = 0;
  private readonly noPower: StreamEvent[] = [];
  private lastSampleS: number | null = null;
  private arrivalTimes = false;
  private readonly wakers = new Set<() => void>();

  constructor(options: PowerStreamOptions) {
    this.options = options;
    for (const g of options.gpus) this.series.set(g, []);
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether sample times are arrival times, because nvidia-smi's timestamps were off this machine's clock. */
  get timesAreArrivals(): boolean {
    return this.arrivalTimes;
  }

  /**
   * Spawns the process (once) and waits until every GPU has a sample, the stream ends, or
   * timeoutS. Throws only when the executable could not be started at all.
   */
  start(timeoutS: number): Promise<void> {
    return (this.starting ??= this.spawnStream(timeoutS));
  }

  private async spawnStream(timeoutS: number): Promise<void> {
    const { executable, env, fields, gpus, periodS } = this.options;
    const args = [
      `--query-gpu=${fields.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(Math.max(1, Math.round(periodS * 1000))),
      '-i',
      gpus.join(','),
    ];
    const child = spawn(executable, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    child.on('error', (err) => {
      this.spawnError = errorMessage(err);
      this.wake();
    });
    child.on('exit', (code, signal) => {
      this.exited = { timeS: nowS(), code, signal };
      this.wake();
    });
    await this.waitUntil(() => gpus.every((g) => (this.series.get(g)?.length ?? 0) > 0), timeoutS);
    if (this.spawnError !== null && this.lastSampleS === null) {
      throw runError(`nvidia-smi could not start: ${this.spawnError}`, NVIDIA_SMI_FIX);
    }
    // Anything else (silence, garbage, an early exit) is for the reader to see in what follows.
  }

  /** Resolves when every GPU has a sample at or after untilS, the stream ends or stalls, or after timeoutS. */
  waitForSamples(untilS: number, timeoutS: number): Promise<void> {
    return this.waitUntil(
      () => this.options.gpus.every((g) => (this.series.get(g)?.at(-1)?.timeS ?? -Infinity) >= untilS),
      timeoutS,
    );
  }

  /** A GPU's samples after afterS, up to and including untilS, oldest first. */
  samples(gpu: number, afterS: number, untilS: number): PowerSample[] {
    const all = this.series.get(gpu) ?? [];
    return all.slice(lastAtOrBefore(all, afterS) + 1, lastAtOrBefore(all, untilS) + 1);
  }

  /**
   * A GPU's samples that bear on [fromS, toS]: from the last at or before fromS to the first at or
   * after toS, oldest first.
   */
  around(gpu: number, fromS: number, toS: number): PowerSample[] {
    const all = this.series.get(gpu) ?? [];
    const first = Math.max(0, lastAtOrBefore(all, fromS));
    const last = lastAtOrBefore(all, toS);
    const end = all[last]?.timeS === toS ? last : last + 1;
    return all.slice(first, Math.min(all.length, end + 1));
  }

  /** Lines that were not samples, printed within [fromS, toS]. */
  unparseable(fromS: number, toS: number): StreamEvent[] {
    return this.garbage.filter((e) => e.timeS >= fromS && e.timeS <= toS);
  }

  /** Samples of a GPU asked for that had no power value ([N/A] and the like), within [fromS, toS]. */
  withoutPower(fromS: number, toS: number): StreamEvent[] {
    return this.noPower.filter((e) => e.timeS >= fromS && e.timeS <= toS);
  }

  /** When and how the process ended by itself; null while it runs, and after stop(). */
  unexpectedExit(): { timeS: number; message: string } | null {
    if (this.exited === null || this.stopping) return null;
    return { timeS: this.exited.timeS, message: this.exitMessage() };
  }

  /** Why samples are missing, as best known now. */
  silenceReason(): string {
    if (this.spawnError !== null) return `nvidia-smi could not run: ${this.spawnError}`;
    if (this.stopping) return 'nvidia-smi was stopped';
    if (this.exited) return this.exitMessage();
    if (this.lastSampleS === null) {
      return this.garbageTotal > 0
        ? `nvidia-smi printed ${this.garbageTotal} line(s), none of them a sample, e.g. ${this.garbage.at(-1)?.message}`
        : 'nvidia-smi has printed no sample yet';
    }
    const silentS = nowS() - this.lastSampleS;
    if (silentS > this.options.stallTimeoutS)
      return `nvidia-smi has printed no sample for ${silentS.toFixed(1)} s: stalled`;
    return 'nvidia-smi samples were late';
  }

  /** Ends the process (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void> {
    return (this.stopping ??= this.kill());
  }

  private async kill(): Promise<void> {
    const child = this.child;
    this.wake();
    if (child === null || this.exited || this.spawnError !== null) return;
    for (const [signal, graceS] of [
      ['SIGTERM', 1],
      ['SIGKILL', 2],
    ] as const) {
      child.kill(signal);
      await this.waitUntil(() => this.exited !== null, graceS, false);
      if (this.exited) return;
    }
  }

  private onStdout(chunk: string): void {
    const text = this.stdoutRest + chunk;
    const lines = text.split('\n');
    this.stdoutRest = lines.pop() ?? '';
    if (this.stdoutRest.length > MAX_LINE_CHARS) {
      this.onGarbage(this.stdoutRest);
      this.stdoutRest = '';
    }
    for (const line of lines) this.onLine(line);
    this.wake();
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const arrivalS = nowS();
    const parsed = parseStreamLine(line, this.options.fields);
    const powerW = parsed?.values[this.options.powerField];
    if (parsed === null || parsed.timestampS === null || powerW === undefined) return this.onGarbage(line);
    const series = this.series.get(parsed.gpu);
    if (series === undefined) return; // a GPU not asked for
    if (powerW === null) return NvidiaSmiPowerStream.remember(this.noPower, JSON.stringify(line.trim()));
    // The timestamp (wall clock, when the query was made) on the monotonic clock of the marks.
    let timeS = parsed.timestampS - (Date.now() / 1000 - arrivalS);
    // Timestamps that run backwards, lie in the future or far in the past mean nvidia-smi's
    // clock is not this machine's (a time zone, a clock step): from then on, arrival times.
    const previousStampS = this.lastStampS.get(parsed.gpu);
    this.lastStampS.set(parsed.gpu, parsed.timestampS);
    if (
      this.arrivalTimes ||
      Math.abs(arrivalS - timeS) > CLOCK_SKEW_LIMIT_S ||
      timeS - arrivalS > FUTURE_STAMP_LIMIT_S ||
      (previousStampS !== undefined && parsed.timestampS < previousStampS)
    ) {
      this.arrivalTimes = true;
      timeS = arrivalS;
    }
    const last = series.at(-1);
    if (last !== undefined && timeS <= last.timeS) return;
    series.push({ timeS, powerW });
    this.lastSampleS = arrivalS;
    if (series.length % 256 === 0) {
      const keepFrom = lastAtOrBefore(series, timeS - this.options.retentionS);
      if (keepFrom > 0) series.splice(0, keepFrom);
    }
  }

  private onGarbage(line: string): void {
    this.garbageTotal++;
    let shown = [...line]
      .map((c) => {
        const code = c.codePointAt(0) ?? 0;
        return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd ? '?' : c;
      })
      .join('')
      .trim();
    if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
    NvidiaSmiPowerStream.remember(this.garbage, JSON.stringify(shown));
  }

  private static remember(list: StreamEvent[], message: string): void {
    list.push({ timeS: nowS(), message });
    if (list.length > 1000) list.splice(0, 500);
  }

  private exitMessage(): string {
    const e = this.exited;
    if (e === null) return '';
    const how = e.signal !== null ? `killed by ${e.signal}` : `exited with code ${e.code}`;
    const said = firstLine(this.stderrTail);
    return `nvidia-smi ${how}${said ? `: ${said}` : ''}`;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Resolves when done() holds, after timeoutS, or (unless told not to) when the stream ends or stalls. */
  private waitUntil(done: () => boolean, timeoutS: number, orStreamEnds = true): Promise<void> {
    const over = () =>
      done() ||
      (orStreamEnds &&
        (this.exited !== null ||
          this.spawnError !== null ||
          (this.lastSampleS !== null && nowS() - this.lastSampleS > this.options.stallTimeoutS)));
    if (over()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      const check = () => {
        if (over()) finish();
      };
      const timer = setTimeout(finish, timeoutS * 1000);
      this.wakers.add(check);
    });
  }
}
