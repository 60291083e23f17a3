/** A clock that moves only when told to, so timed code runs in tests without waiting. */
import type { Clock } from '../runner/workload.js';

export class FakeClock implements Clock {
  private timeMs: number;

  constructor(startMs = 0) {
    this.timeMs = startMs;
  }

  nowMs(): number {
    return this.timeMs;
  }

  /** Seconds, for meters, which take their clock in seconds. */
  nowS(): number {
    return this.timeMs / 1000;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock cannot move by ${ms} ms`);
    this.timeMs += ms;
  }
}
