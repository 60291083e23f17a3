/** A one-zone RAPL tree (package-0) under a temporary sysfs root, for tests of the RAPL meter. */
import fs from 'node:fs';
import path from 'node:path';

/** Makes the tree under a new folder in `parent`, its counter at `energyUj`; returns the root. */
export function raplRoot(parent: string, energyUj: number): string {
  const root = fs.mkdtempSync(path.join(parent, 'sysfs-'));
  const zone = path.join(root, 'class', 'powercap', 'intel-rapl:0');
  fs.mkdirSync(zone, { recursive: true });
  fs.writeFileSync(path.join(zone, 'name'), 'package-0\n');
  fs.writeFileSync(path.join(zone, 'energy_uj'), `${energyUj}\n`);
  fs.writeFileSync(path.join(zone, 'max_energy_range_uj'), '262143328850\n');
  return root;
}

/** The zone's counter file, to change or remove mid-run. */
export const energyFile = (root: string): string =>
  path.join(root, 'class', 'powercap', 'intel-rapl:0', 'energy_uj');
