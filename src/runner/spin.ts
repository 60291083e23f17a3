/**
 * ONNX Runtime's intra-op spinning: its worker threads busy-wait for work between operators
 * instead of sleeping. That buys latency on an idle machine with cores to spare and costs CPU
 * time, which is energy; on a machine shared with other processes the spinning threads also
 * take the cores those processes need, and the run gets slower. Measured on a 2-core VM
 * (encoder-medium fp32, batch 1, 2 threads): off took 0.86× the CPU time per query and gave
 * 0.79× the throughput with the machine lightly loaded, and 0.66× the CPU time at 1.09× the
 * throughput beside two busy loops.
 */

export type Spin = 'on' | 'off';

export interface SpinSetting {
  value: Spin;
  /** Why: given with --spin, or which default rule chose it. */
  source: string;
}

/** A 1-minute load average at or above this many runnable tasks counts as a shared machine. */
export const SHARED_LOAD_AVERAGE = 0.5;

export interface SpinContext {
  /** Whether the headline CPU energy comes from the estimate, which is driven by CPU time. */
  cpuEstimated: boolean;
  /** The 1-minute load average before the first configuration (os.loadavg()[0]). */
  loadAverage1: number;
}

/**
 * The default when --spin is not given: off where spinning is known to cost (an estimate that
 * charges CPU time, a shared machine), else ONNX Runtime's own default, on.
 */
export function defaultSpin(context: SpinContext): SpinSetting {
  if (context.cpuEstimated) {
    return { value: 'off', source: 'default: off, as the CPU energy is estimated from CPU time' };
  }
  if (context.loadAverage1 >= SHARED_LOAD_AVERAGE) {
    return {
      value: 'off',
      source: `default: off, as the machine is shared (1-minute load average ${context.loadAverage1.toFixed(2)} before the run)`,
    };
  }
  return {
    value: 'on',
    source: "default: on, ONNX Runtime's own, on a quiet machine with a measured CPU meter",
  };
}

/** The session options that set it: ONNX Runtime's `session.intra_op.allow_spinning` config key. */
export function spinSessionOptions(spin: Spin): { extra: Record<string, unknown> } {
  return { extra: { session: { intra_op: { allow_spinning: spin === 'on' ? '1' : '0' } } } };
}
