/** `energy-score compare`: registered here; its implementation follows. */
import type { Command } from 'commander';
import { runError } from '../errors.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('(not available yet)')
    .action(() => {
      throw runError('compare is not available yet');
    });
}
