/**
 * A meter that serves a power curve instead of hardware, for tests of the protocol and of code
 * that consumes readings. Its energy is exact: the integral of the curve between two marks.
 */
import { nowS } from '../util/clock.js';
import {
  readingOf,
  type EnergyDomain,
  type EnergyMeter,
  type EnergyReading,
  type Mark,
  type MeterInfo,
} from '../meters/types.js';

export interface FakeMeterOptions {
  domain?: EnergyDomain;
  /** Power in watts at a time in seconds (constant when a number). */
  powerW: number | ((timeS: number) => number);
  /** Injectable clock, seconds. */
  clock?: () => number;
  updatePeriodS?: number;
  /** Steps used to integrate a curve; a constant power is integrated exactly. */
  steps?: number;
}

export class FakeMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly power: (timeS: number) => number;
  private readonly clock: () => number;
  private readonly steps: number;
  started = false;
  stopped = false;

  constructor(options: FakeMeterOptions) {
    const { powerW } = options;
    this.power = typeof powerW === 'number' ? () => powerW : powerW;
    this.clock = options.clock ?? nowS;
    this.steps = options.steps ?? 1000;
    this.info = {
      name: 'fake',
      domain: options.domain ?? 'cpu',
      method: 'counter',
      devices: ['fake0'],
      updatePeriodS: options.updatePeriodS ?? 0.001,
      details: { note: 'a test meter serving a power curve' },
      warnings: [],
    };
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async mark(): Promise<Mark> {
    return { timeS: this.clock(), state: null };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const durationS = to.timeS - from.timeS;
    // Midpoint rule; exact for a constant power.
    const dt = durationS / this.steps;
    let energyJ = 0;
    let peakPowerW = 0;
    for (let i = 0; i < this.steps; i++) {
      const p = this.power(from.timeS + (i + 0.5) * dt);
      energyJ += p * dt;
      peakPowerW = Math.max(peakPowerW, p);
    }
    return readingOf(
      { meter: 'fake', domain: this.info.domain, method: this.info.method },
      durationS,
      [{ device: 'fake0', energyJ, peakPowerW, samples: 2 }],
      peakPowerW,
      [],
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
