/** `energy-score leaderboard`: registered here; its implementation follows. */
import type { Command } from 'commander';
import { runError } from '../errors.js';

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard')
    .description('(not available yet)')
    .action(() => {
      throw runError('leaderboard is not available yet');
    });
}
