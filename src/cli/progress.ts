/** A one-line progress bar on stderr, redrawn at most ten times a second; silent off a terminal. */
import { displayName } from '../util/text-safety.js';

export interface Progress {
  start(label: string, index: number, total: number): void;
  /** `time`: the trials' seconds against their budget, which then fill the bar. */
  update(done: number, total: number, time?: { elapsedS: number; budgetS: number }): void;
  clear(): void;
}

const SILENT: Progress = { start() {}, update() {}, clear() {} };
const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let label = '';
  let lastDraw = 0;
  const draw = (done: number, total: number, time?: { elapsedS: number; budgetS: number }) => {
    // With meters the trials repeat the suite until the interval target or the time budget, so
    // the bar follows the budget (it may end early); without them it follows the one pass.
    const share = time
      ? time.budgetS > 0
        ? Math.min(1, time.elapsedS / time.budgetS)
        : 0
      : total > 0
        ? Math.min(1, done / total)
        : 0;
    const filled = Math.round(share * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const counted = time
      ? `${done} queries (${done >= total ? 'suite covered' : `${done}/${total} of the suite`}), ${time.elapsedS.toFixed(1)} of at most ${time.budgetS} s`
      : `${done}/${total} queries`;
    const text = `${label} ${bar} ${counted}`;
    const width = stream.columns ?? 80;
    // Cut by characters, not UTF-16 units, so an emoji at the edge is not split into halves.
    stream.write(
      `\r\x1b[2K${Array.from(text)
        .slice(0, width - 1)
        .join('')}`,
    );
  };
  return {
    start(name, index, total) {
      label = `[${index + 1}/${total}] ${displayName(name)}`;
      lastDraw = 0;
      draw(0, 0);
    },
    update(done, total, time) {
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && (time !== undefined || done < total)) return;
      lastDraw = now;
      draw(done, total, time);
    },
    clear() {
      stream.write('\r\x1b[2K');
    },
  };
}
