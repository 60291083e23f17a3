/**
 * CPU time from Linux's /proc: the machine's busy and idle time (/proc/stat), a
 * process's own and its waited-for children's CPU time (/proc/self/stat), and its threads' run
 * and run-queue wait time (/proc/self/task/<tid>/schedstat). Paths are injectable so
 * tests give fixed sequences.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux architecture Node runs on. */
export const USER_HZ = 100;

export interface MachineCpuTime {
  /** Seconds summed over CPUs: user + nice + system + irq + softirq. */
  busyS: number;
  /** idle + iowait. */
  idleS: number;
  /** Time the hypervisor ran something else on these CPUs: neither ours nor idle. */
  stealS: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): MachineCpuTime {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const v = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map((x) => Number(x));
  if (v.length < 4 || v.some((x) => !Number.isFinite(x) || x < 0))
    throw new Error(`/proc/stat cpu line unreadable: ${line}`);
  const at = (i: number) => v[i] ?? 0;
  // guest and guest_nice are already inside user and nice.
  return {
    busyS: (at(0) + at(1) + at(2) + at(5) + at(6)) / USER_HZ,
    idleS: (at(3) + at(4)) / USER_HZ,
    stealS: at(7) / USER_HZ,
  };
}

export interface ProcessCpuTime {
  /** utime + stime, seconds. */
  selfS: number;
  /** cutime + cstime: children that have exited and been waited for (and theirs), seconds. */
  childrenS: number;
}

/** Fields 14–17 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcessStat(text: string): ProcessCpuTime {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('process stat unreadable: no command name');
  // After ")": field 3 (state) is index 0, so field n is index n - 3.
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/)
    .map((x) => Number(x));
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]];
  if ([utime, stime, cutime, cstime].some((x) => x === undefined || !Number.isFinite(x))) {
    throw new Error('process stat unreadable: too few fields');
  }
  return { selfS: (utime! + stime!) / USER_HZ, childrenS: (cutime! + cstime!) / USER_HZ };
}

export interface ProcPaths {
  stat: string;
  selfStat: string;
  /** This process's threads, each with its schedstat. */
  selfTask: string;
}

export const PROC_PATHS: ProcPaths = {
  stat: '/proc/stat',
  selfStat: '/proc/self/stat',
  selfTask: '/proc/self/task',
};

/** Synchronous reads: a mark must not yield to the event loop, where the measured work runs. */
export function readMachineCpuTime(path: string = PROC_PATHS.stat): MachineCpuTime {
  return parseProcStat(readFileSync(path, 'utf8'));
}

export function readProcessCpuTime(path: string = PROC_PATHS.selfStat): ProcessCpuTime {
  return parseProcessStat(readFileSync(path, 'utf8'));
}

/**
 * Each thread's run and run-queue wait time, in nanoseconds (/proc/self/task/<tid>/schedstat:
 * "time on the CPU, time waiting to run, timeslices"): how many cores the process asked for, which
 * does not change when other processes slow it down.
 */
export function parseSchedstat(text: string): { runNs: number; waitNs: number } {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (
    run === undefined ||
    wait === undefined ||
    !Number.isFinite(run) ||
    !Number.isFinite(wait) ||
    run < 0 ||
    wait < 0
  )
    throw new Error(`schedstat unreadable: ${text.trim()}`);
  return { runNs: run, waitNs: wait };
}

/** Thread id → run + wait seconds for every thread of this process; null where schedstat is missing. */
export function readThreadRunnableS(taskDir: string = PROC_PATHS.selfTask): Map<string, number> | null {
  let tids: string[];
  try {
    tids = readdirSync(taskDir);
  } catch {
    return null;
  }
  const runnable = new Map<string, number>();
  for (const tid of tids) {
    try {
      const s = parseSchedstat(readFileSync(`${taskDir}/${tid}/schedstat`, 'utf8'));
      runnable.set(tid, (s.runNs + s.waitNs) / 1e9);
    } catch {
      // A thread that exited between the listing and the read: it ran for nobody in this window.
    }
  }
  return runnable.size > 0 ? runnable : null;
}
