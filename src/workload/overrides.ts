/** Parsing of the user's pins: --dim NAME=N, --shape INPUT=AxBxC, --fill INPUT=VALUE. */
import { usageError } from '../errors.js';

export interface InputOverrides {
  dims: Record<string, number>;
  shapes: Record<string, number[]>;
  fills: Record<string, string>;
}

export const NO_OVERRIDES: InputOverrides = { dims: {}, shapes: {}, fills: {} };

function splitPair(text: string, flag: string, example: string): [string, string] {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (eq <= 0 || !name || !value) {
    throw usageError(`malformed ${flag} '${text}'`, `write it as ${flag} ${example}`);
  }
  return [name, value];
}

function parseCount(text: string, what: string, hint: string, allowZero: boolean): number {
  if (!/^\d+$/.test(text)) throw usageError(`${what}: '${text}' is not a whole number`, hint);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw usageError(`${what}: ${text} is out of range`, hint);
  }
  return n;
}

export function parseDimOption(text: string): [string, number] {
  const [name, value] = splitPair(text, '--dim', 'sequence_length=128');
  return [name, parseCount(value, `--dim ${name}`, 'give a size such as --dim sequence_length=128', true)];
}

export function parseShapeOption(text: string): [string, number[]] {
  const [name, value] = splitPair(text, '--shape', 'pixel_values=1x3x224x224');
  const hint =
    'give sizes joined by x, such as --shape pixel_values=1x3x224x224 (a scalar is --shape NAME=scalar)';
  if (value === 'scalar') return [name, []];
  return [name, value.split('x').map((part) => parseCount(part.trim(), `--shape ${name}`, hint, true))];
}

export function parseFillOption(text: string): [string, string] {
  return splitPair(text, '--fill', 'attention_mask=1');
}

export function parseOverrides(options: {
  dim?: string[];
  shape?: string[];
  fill?: string[];
}): InputOverrides {
  return {
    dims: Object.fromEntries((options.dim ?? []).map(parseDimOption)),
    shapes: Object.fromEntries((options.shape ?? []).map(parseShapeOption)),
    fills: Object.fromEntries((options.fill ?? []).map(parseFillOption)),
  };
}
