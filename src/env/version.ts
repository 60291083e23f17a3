/** This tool's version, from its package.json (apart from the environment probe, so --version loads nothing else). */
import { readFileSync } from 'node:fs';

export const TOOL_VERSION: string = (() => {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();
