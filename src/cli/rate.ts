/** `energy-score rate`: registered here; its implementation follows. */
import type { Command } from 'commander';
import { runError } from '../errors.js';

export function registerRate(program: Command): void {
  program
    .command('rate')
    .description('(not available yet)')
    .action(() => {
      throw runError('rate is not available yet');
    });
}
