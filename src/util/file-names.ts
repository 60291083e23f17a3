/** Names of the files written beside an output: its temporary file and its lock. */
import { createHash } from 'node:crypto';

/** The longest file name (one path component) Linux, macOS and Windows file systems take, in bytes. */
export const MAX_NAME_BYTES = 255;

/**
 * `prefix + name + suffix`, within MAX_NAME_BYTES: a name too long for that is cut (at a
 * character boundary) and a hash of the whole name added, so two long names that share their
 * start still get different siblings.
 */
export function siblingName(name: string, prefix: string, suffix: string): string {
  const whole = `${prefix}${name}${suffix}`;
  if (Buffer.byteLength(whole) <= MAX_NAME_BYTES) return whole;
  const tag = `~${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  let room = MAX_NAME_BYTES - Buffer.byteLength(prefix + tag + suffix);
  let cut = '';
  for (const char of name) {
    room -= Buffer.byteLength(char);
    if (room < 0) break;
    cut += char;
  }
  return `${prefix}${cut}${tag}${suffix}`;
}
