/**
 * A workload whose batches take scripted time on a fake clock and do no work, for tests of the
 * trial loop: a batch of 250 ms moves the clock by 250 ms at once.
 */
import type { BatchRun, OutputSample, Preparation, SampledWorkload } from '../runner/workload.js';
import type { FakeClock } from './fake-clock.js';

export interface FakeWorkloadOptions {
  clock: FakeClock;
  /** Queries in each batch of one pass of the suite; its length is the pass length. */
  passQueries: readonly number[];
  /** Milliseconds each batch takes: one figure for all, or by the batch's index counted from 0 over the run. */
  batchMs: number | ((batchIndex: number) => number);
  /** What prepare gives; ready with the pass length unless told otherwise. */
  preparation?: Preparation;
  /** Called as each batch starts, before its time passes (to abort mid-run, or to log). */
  onBatch?: (batchIndex: number) => void;
  /**
   * What sampleOutputs gives for `count` queries (the fidelity check); by default a tensor
   * sample of `count` queries with no outputs.
   */
  sample?: (count: number, forcedTokens?: readonly (readonly number[])[]) => OutputSample;
}

export class FakeWorkload implements SampledWorkload {
  /** Batches run so far. */
  batches = 0;
  /** Each sampleOutputs call: the count asked for and the batches run before it. */
  samples: { count: number; afterBatches: number }[] = [];
  prepared = false;
  released = false;
  private readonly options: FakeWorkloadOptions;

  constructor(options: FakeWorkloadOptions) {
    if (options.passQueries.length === 0) throw new RangeError('a pass needs at least one batch');
    this.options = options;
  }

  async prepare(): Promise<Preparation> {
    this.prepared = true;
    return this.options.preparation ?? { status: 'ready', passBatches: this.options.passQueries.length };
  }

  async runBatch(): Promise<BatchRun> {
    const { clock, passQueries, batchMs, onBatch } = this.options;
    const index = this.batches++;
    onBatch?.(index);
    clock.advance(typeof batchMs === 'number' ? batchMs : batchMs(index));
    return { queries: passQueries[index % passQueries.length]! };
  }

  async sampleOutputs(count: number, forcedTokens?: readonly (readonly number[])[]): Promise<OutputSample> {
    if (!this.prepared) throw new Error('sampleOutputs before prepare');
    this.samples.push({ count, afterBatches: this.batches });
    return (
      this.options.sample?.(count, forcedTokens) ?? {
        kind: 'tensors',
        queries: Array.from({ length: count }, () => ({})),
      }
    );
  }

  async release(): Promise<void> {
    this.released = true;
  }
}
