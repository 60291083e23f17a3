/** A one-line progress bar on stderr, redrawn at most ten times a second; silent off a terminal. */
import { displayName } from '../util/text-safety.js';

export interface Progress {
  start(label: string, index: number, total: number): void;
  update(done: number, total: number): void;
  clear(): void;
}

const SILENT: Progress = { start() {}, update() {}, clear() {} };
const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let label = '';
  let lastDraw = 0;
  const draw = (done: number, total: number) => {
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(share * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const text = `${label} ${bar} ${done}/${total} queries`;
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
    update(done, total) {
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && done < total) return;
      lastDraw = now;
      draw(done, total);
    },
    clear() {
      stream.write('\r\x1b[2K');
    },
  };
}
