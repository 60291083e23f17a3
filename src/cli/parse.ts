/** Option value parsers for commander: each throws a usage error naming the flag. */
import { usageError } from '../errors.js';

export function positiveInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw usageError(`${flag} '${text}' is not a whole number of at least 1`, `for example ${flag} 8`);
    }
    return n;
  };
}

export function nonNegativeInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
      throw usageError(`${flag} '${text}' is not a whole number of 0 or more`, `for example ${flag} 10`);
    }
    return n;
  };
}

/** --spin: on or off. */
export function parseSpin(text: string): 'on' | 'off' {
  const value = text.trim().toLowerCase();
  if (value === 'on' || value === 'off') return value;
  throw usageError(`--spin '${text}' is neither on nor off`, 'for example --spin off');
}

/** Comma-separated list; repeated flags add to it. */
export function list<T>(flag: string, item: (text: string) => T) {
  return (text: string, previous: T[] | undefined): T[] => {
    const parts = text.split(',').map((p) => p.trim());
    if (parts.some((p) => p === ''))
      throw usageError(`${flag} '${text}' has an empty item`, `for example ${flag} 1,8,32`);
    const values = parts.map(item);
    return [...new Set([...(previous ?? []), ...values])];
  };
}

/** Repeatable string option (--dim a=1 --dim b=2). */
export function collect(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}

export function nonNegativeNumber(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw usageError(`${flag} '${text}' is not a number of 0 or more`, `for example ${flag} 2`);
    }
    return n;
  };
}

export function positiveNumber(flag: string) {
  return (text: string): number => {
    const n = nonNegativeNumber(flag)(text);
    if (n === 0) throw usageError(`${flag} must be above 0`, `for example ${flag} 2`);
    return n;
  };
}
