/**
 * A meter that gives scripted energies, one per reading in the order read, for tests that need
 * exact per-trial figures; it can be told to fail from a given reading on.
 */
import { nowS } from '../util/clock.js';
import {
  readingOf,
  type EnergyDomain,
  type EnergyMeter,
  type EnergyReading,
  type Mark,
  type MeterInfo,
  type MeterName,
} from '../meters/types.js';

export interface ScriptedMeterOptions {
  name?: MeterName;
  domain?: EnergyDomain;
  /** Joules of each reading in turn, cycled when the readings outnumber them. */
  energiesJ: readonly number[];
  /** Seconds; the marks' times, so readings span the windows measured. */
  clock?: () => number;
  updatePeriodS?: number;
  /** The reading (counted from 0) from which every reading throws `failure`. */
  failFromReading?: number;
  failure?: Error;
}

export class ScriptedMeter implements EnergyMeter {
  readonly info: MeterInfo;
  /** Readings asked for so far, failed ones included. */
  readings = 0;
  private readonly options: ScriptedMeterOptions;
  private readonly clock: () => number;

  constructor(options: ScriptedMeterOptions) {
    if (options.energiesJ.length === 0) throw new RangeError('a scripted meter needs at least one energy');
    this.options = options;
    this.clock = options.clock ?? nowS;
    this.info = {
      name: options.name ?? 'fake',
      domain: options.domain ?? 'cpu',
      method: 'counter',
      devices: ['scripted0'],
      updatePeriodS: options.updatePeriodS ?? 0.001,
      details: { note: 'a test meter giving scripted energies' },
      warnings: [],
    };
  }

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    return { timeS: this.clock(), state: null };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const { energiesJ, failFromReading, failure } = this.options;
    const index = this.readings++;
    if (failFromReading !== undefined && index >= failFromReading) {
      throw failure ?? new Error(`scripted failure at reading ${index}`);
    }
    const energyJ = energiesJ[index % energiesJ.length]!;
    return readingOf(
      { meter: this.info.name, domain: this.info.domain, method: this.info.method },
      to.timeS - from.timeS,
      [{ device: 'scripted0', energyJ, peakPowerW: null, samples: 2 }],
      null,
      [],
    );
  }

  async stop(): Promise<void> {}
}
