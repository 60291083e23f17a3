import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { measureCommand } from '../src/app/measure.js';
import { FakeMeter } from '../src/testing/fake-meter.js';
import type { EnergyReading, Mark } from '../src/meters/types.js';
import type { Environment } from '../src/result/schema.js';

/** A package meter whose readings say how much CPU other processes used. */
class LoadedMeter extends FakeMeter {
  constructor(private readonly otherCores: number) {
    super({ domain: 'cpu', powerW: 10 });
  }
  override async between(from: Mark, to: Mark): Promise<EnergyReading> {
    return { ...(await super.between(from, to)), otherCpuCores: this.otherCores };
  }
}

const environment = async () => ({}) as Environment;

describe("measure: other processes' CPU beside the command", () => {
  test('a measured package beside more than 0.1 of a core is warned about; the cores are recorded', async () => {
    for (const [cores, warned] of [
      [1.5, true],
      [0.05, false],
    ] as const) {
      const doc = await measureCommand({
        command: [process.execPath, '-e', ''],
        meters: [new LoadedMeter(cores)],
        idlePowerW: [null],
        idleSeconds: 0,
        environment,
      });
      assert.equal(doc.domains[0]?.otherCpuCores, cores);
      assert.equal(
        doc.warnings.some((w) => /other processes used 1\.50 cores beside the command/.test(w)),
        warned,
        `${cores} cores`,
      );
    }
  });
});
