/** `energy-score check`: registered here; its implementation follows. */
import type { Command } from 'commander';
import { runError } from '../errors.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('(not available yet)')
    .action(() => {
      throw runError('check is not available yet');
    });
}
