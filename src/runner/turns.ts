/**
 * Interleaved rounds: the configurations of a run take turns on the machine, one at a time, in
 * run order, each running a slice of its trials before handing over to the next. A machine that
 * drifts (a co-tenant arrives, the clock steps down) then weighs on every configuration alike
 * instead of on whichever ran at the time, and a pair can be compared round by round.
 */

/** What a configuration's trials see of the rotation. */
export interface Turn {
  /** Slices the trials are cut into: the budget's share of each is budget ÷ slices. */
  readonly slices: number;
  /**
   * Hands the machine to the others and resolves when this configuration's turn comes back.
   * `satisfied`: its interval has met the target. `stop` is true when, over the whole round just
   * gone, every configuration still running said so: the run has what it asked for.
   * `othersRan` is false when no other configuration ran in between (nothing to warm up again).
   */
  pass(satisfied: boolean): Promise<{ stop: boolean; othersRan: boolean }>;
}

/**
 * The rotation: each task waits for its first turn in the order it joined, runs until it passes
 * or ends, and queues up behind the others when it passes. Only one task runs at a time.
 */
export class Rotation {
  private readonly waiting: (() => void)[] = [];
  private readonly satisfied = new Map<number, boolean>();
  private holder: number | null = null;
  private nextId = 0;

  constructor(readonly slices: number) {
    if (!(Number.isInteger(slices) && slices >= 1)) {
      throw new RangeError(`a rotation needs a whole number of slices ≥ 1, not ${slices}`);
    }
  }

  /**
   * Runs `body` in the rotation: it starts on its first turn and the machine passes on when it
   * ends, whether it resolves or throws. Tasks join in the order of their calls.
   */
  async run<T>(body: (turn: Turn) => Promise<T>): Promise<T> {
    const id = this.nextId++;
    await this.acquire(id);
    const turn: Turn = {
      slices: this.slices,
      pass: async (satisfied) => {
        this.satisfied.set(id, satisfied);
        if (this.waiting.length === 0) return { stop: satisfied, othersRan: false };
        const back = this.enqueue(id);
        this.handOver();
        await back;
        // Every task still running has passed once since this one did (the queue is a FIFO),
        // so each has a say for the round just gone.
        return { stop: [...this.satisfied.values()].every(Boolean), othersRan: true };
      },
    };
    try {
      return await body(turn);
    } finally {
      this.satisfied.delete(id);
      this.handOver();
    }
  }

  private acquire(id: number): Promise<void> {
    if (this.holder === null && this.waiting.length === 0) {
      this.holder = id;
      return Promise.resolve();
    }
    return this.enqueue(id);
  }

  /** Resolves when `id` holds the machine. */
  private enqueue(id: number): Promise<void> {
    return new Promise<void>((resolve) =>
      this.waiting.push(() => {
        this.holder = id;
        resolve();
      }),
    );
  }

  private handOver(): void {
    this.holder = null;
    this.waiting.shift()?.();
  }
}
