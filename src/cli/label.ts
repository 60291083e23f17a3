/** `energy-score label`: registered here; its implementation follows. */
import type { Command } from 'commander';
import { runError } from '../errors.js';

export function registerLabel(program: Command): void {
  program
    .command('label')
    .description('(not available yet)')
    .action(() => {
      throw runError('label is not available yet');
    });
}
