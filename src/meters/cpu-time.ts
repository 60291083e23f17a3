/**
 * Whose CPU time a CPU meter follows, and the machine's: the estimate attributes the machine's
 * power by this process's share of the machine's busy time, and the RAPL meter records how much
 * CPU other processes used while it measured the whole package.
 */
import {
  PROC_PATHS,
  readMachineCpuTime,
  readProcessCpuTime,
  readThreadRunnableS,
} from '../devices/proc-stat.js';

export interface CpuTimeSources {
  /** CPU seconds of this process (bench) or of its process tree (measure), since some origin. */
  ownS: () => number;
  /** The machine's busy CPU seconds over all CPUs (/proc/stat), or null where it cannot be read. */
  machineBusyS: () => number | null;
  /** Whose CPU time ownS is, in words. */
  ownLabel: string;
  /**
   * Run + run-queue wait seconds of each of the process's threads, by thread id; absent or null
   * where they cannot be read (another OS, or a process tree whose children have exited).
   */
  threadRunnableS?: () => Map<string, number> | null;
}

const machineBusy = (path: string) => (): number | null => {
  try {
    return readMachineCpuTime(path).busyS;
  } catch {
    return null;
  }
};

/** This process's CPU time (getrusage: every thread of it, onnxruntime's included; not children). */
export function processCpuTimes(
  procStatPath: string = PROC_PATHS.stat,
  taskDir: string = PROC_PATHS.selfTask,
): CpuTimeSources {
  return {
    threadRunnableS: () => readThreadRunnableS(taskDir),
    ownS: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    machineBusyS: machineBusy(procStatPath),
    ownLabel: "this process's CPU time (process.cpuUsage)",
  };
}

/**
 * This process's and its children's CPU time (/proc/self/stat utime + stime + cutime + cstime):
 * a command that has exited and been waited for counts with every descendant it waited for.
 */
export function processTreeCpuTimes(paths: Partial<typeof PROC_PATHS> = {}): CpuTimeSources {
  const selfStat = paths.selfStat ?? PROC_PATHS.selfStat;
  return {
    ownS: () => {
      try {
        const t = readProcessCpuTime(selfStat);
        return t.selfS + t.childrenS;
      } catch {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      }
    },
    machineBusyS: machineBusy(paths.stat ?? PROC_PATHS.stat),
    ownLabel:
      'the CPU time of this process and the command it ran, with its waited-for children (/proc/self/stat)',
  };
}

export interface CpuSample {
  ownS: number;
  busyS: number | null;
  /** Per thread run + wait seconds, where the sources give them. */
  runnable?: Map<string, number> | null;
}

export function sampleCpu(sources: CpuTimeSources): CpuSample {
  const sample: CpuSample = { ownS: sources.ownS(), busyS: sources.machineBusyS() };
  if (sources.threadRunnableS) sample.runnable = sources.threadRunnableS();
  return sample;
}

export interface CpuWindow {
  /** This process's (or tree's) CPU seconds in the window. */
  ownS: number;
  /**
   * The machine's busy CPU seconds in the window, at least ownS (the two clocks tick differently);
   * null where /proc/stat could not be read at both ends.
   */
  busyS: number | null;
  /** Other processes' CPU use, in cores: (busy − own) / wall; null without busyS. */
  otherCores: number | null;
  /**
   * Seconds the process's threads ran or waited to run in the window, at least ownS: the CPU time
   * it asked for. null where schedstat was not read at both ends.
   */
  runnableS: number | null;
}

/** Run + wait over the threads alive at the window's end; one born inside it counts from zero. */
function runnableDelta(from: CpuSample, to: CpuSample): number | null {
  if (!from.runnable || !to.runnable) return null;
  let totalS = 0;
  for (const [tid, s] of to.runnable) totalS += Math.max(0, s - (from.runnable.get(tid) ?? 0));
  return totalS;
}

export function cpuWindow(from: CpuSample, to: CpuSample, wallS: number): CpuWindow {
  const ownS = Math.max(0, to.ownS - from.ownS);
  const runnable = runnableDelta(from, to);
  const runnableS = runnable === null ? null : Math.max(ownS, runnable);
  if (from.busyS === null || to.busyS === null) return { ownS, busyS: null, otherCores: null, runnableS };
  const busyS = Math.max(ownS, to.busyS - from.busyS);
  return { ownS, busyS, otherCores: wallS > 0 ? (busyS - ownS) / wallS : 0, runnableS };
}
