/**
 * A meter that serves a power curve instead of hardware, for tests of the protocol and of code
 * that consumes readings. Its energy is exact: the integral of the curve between two marks.
 *
 * It behaves like a counter meter (read at marks, the exact difference between them), so its
 * method is 'counter' and the protocol treats its figures as it treats a counter's. What marks
 * them as not measured on hardware is its name: 'fake', in every reading and result it feeds,
 * and outside MeterName, so no product type or --meter choice knows it.
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

/** The test double's name in readings and results; deliberately not a MeterName. */
export type FakeMeterName = 'fake';
export const FAKE_METER_NAME: FakeMeterName = 'fake';

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
  readonly info: MeterInfo & { name: FakeMeterName };
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
      name: FAKE_METER_NAME,
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
      { meter: FAKE_METER_NAME, domain: this.info.domain, method: this.info.method },
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
