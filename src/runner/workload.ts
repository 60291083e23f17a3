/**
 * The Workload port: what the trial loop runs, whatever runs it. One adapter drives ONNX Runtime
 * over a one-pass suite (ort-workload.ts); a generation adapter can run prefill or a whole
 * generate call (prefill, then decode over the KV cache) as its batch, behind the same port.
 */

/** Milliseconds on a monotonic clock; injected so tests drive time instead of waiting for it. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => performance.now() };

/** Whether a workload can be measured here, and if not why not. */
export type Preparation =
  | {
      status: 'ready';
      /**
       * Batches in one pass of the suite. The trials cycle through them window after window
       * (a window may end anywhere in the pass) until each has run at least once.
       */
      passBatches: number;
    }
  /** Skipped: this configuration cannot run here (an op the provider lacks, a fixed batch dim). */
  | { status: 'skipped'; reason: string }
  /** Failed: it should run and did not (a load error, NaN outputs). */
  | { status: 'failed'; reason: string };

/** What one batch did; the loop times it. */
export interface BatchRun {
  queries: number;
}

export interface Workload {
  /** Loads the model, builds the inputs, warms up and checks the outputs; nothing in it is timed. */
  prepare(): Promise<Preparation>;
  /**
   * Runs the suite's next batch, back to the first after the last; the first call after prepare
   * runs the first batch. Throws when the batch fails.
   */
  runBatch(): Promise<BatchRun>;
  /** Frees what prepare took; safe to call whether or not prepare ran or succeeded. */
  release(): Promise<void>;
}

/** One output of one query, the batch axis taken away; float outputs as float32 whatever their type. */
export interface SampledTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * What a sample of queries gave, outside the measured windows, to compare a configuration's
 * answers with its reference's. Queries are the suite's first ones, in order, whatever the batch.
 */
export type OutputSample =
  /** One-pass tasks: each query's outputs by name. */
  | { kind: 'tensors'; queries: Record<string, SampledTensor>[] }
  /** Generation: each query's own greedy continuation, and next-token log-probabilities. */
  | {
      kind: 'generation';
      queries: {
        /** The new tokens of the free-running greedy loop. */
        tokens: number[];
        /**
         * Log-softmax of the next-token logits at each step along the forced continuation (the
         * reference's tokens when given, else this query's own), one row of vocab size per step.
         */
        logProbs: Float32Array[];
      }[];
    };

/** A workload that can give its answers for comparison (the fidelity check). */
export interface SampledWorkload extends Workload {
  /**
   * Runs the first `count` queries (after prepare, never inside a window) and returns their
   * outputs. For generation, `forcedTokens[i]` is the continuation the log-probabilities of
   * query i are taken along (teacher forcing on the reference's tokens).
   */
  sampleOutputs(count: number, forcedTokens?: readonly (readonly number[])[]): Promise<OutputSample>;
}
