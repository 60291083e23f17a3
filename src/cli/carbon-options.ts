/** The carbon and cost flags of the commands that report energy. */
import type { Command } from 'commander';

import { carbonSettings, type CarbonSettings } from '../carbon/carbon.js';

export interface CarbonFlags {
  carbonIntensity?: string;
  region?: string;
  price?: string;
}

export function addCarbonOptions(command: Command): Command {
  return command
    .option(
      '--carbon-intensity <g-per-kwh>',
      'grid carbon intensity for the gCO2e figures (default: the world average, 475)',
    )
    .option('--region <iso3>', "a country's grid average instead, e.g. FRA, DEU, USA (CodeCarbon's data)")
    .option('--price <per-kwh>', 'electricity price per kWh, for the cost per 1,000 and per million queries');
}

/** Validated settings: a bad number or an unknown region is a usage error naming the flag. */
export function carbonFrom(flags: CarbonFlags): CarbonSettings {
  return carbonSettings({ carbonIntensity: flags.carbonIntensity, region: flags.region, price: flags.price });
}
