/**
 * Text for the label: XML escaping, and fitting lines into a width without a font engine.
 *
 * Widths are estimates, per character, in em (multiples of the font size). Each class takes the
 * wider of Inter Medium and DejaVu Sans Book (the label's first font and the usual fallback on
 * Linux), so text measured here fits in either and a little looser in Arial or Helvetica:
 *
 *   0.32  space ' , . · i j l I |
 *   0.47  f r t ( ) [ ] / \ - ! ` : ;
 *   0.64  other ASCII: lower case, most punctuation
 *   0.66  digits
 *   0.80  upper case (but I, M, W), and non-ASCII below U+2E80 (accented Latin, Greek, Cyrillic)
 *   0.84  # & * + < = > ^ ~
 *   1.00  m w M W @ %, and U+2E80 up (CJK and other wide scripts)
 *   0     combining marks (U+0300 to U+036F)
 *
 * Bold text is 1.1 times as wide (DejaVu Sans Bold against Book; Inter Bold is closer to Medium).
 */

import { printable } from '../util/text-safety.js';

const NARROW = new Set(" ',.·ijlI|");
const SEMI_NARROW = new Set('frt()[]/\\-!`:;');
const SYMBOL = new Set('#&*+<=>^~');
const WIDE = new Set('mwMW@%');
const BOLD_FACTOR = 1.1;
const ELLIPSIS = '…';

function charWidthEm(char: string): number {
  if (NARROW.has(char)) return 0.32;
  if (SEMI_NARROW.has(char)) return 0.47;
  if (SYMBOL.has(char)) return 0.84;
  if (WIDE.has(char)) return 1;
  const code = char.codePointAt(0)!;
  if (code >= 0x300 && code <= 0x36f) return 0;
  if (code >= 0x2e80) return 1;
  if (code > 0x7e || (char >= 'A' && char <= 'Z')) return 0.8;
  return char >= '0' && char <= '9' ? 0.66 : 0.64;
}

export interface Font {
  sizePx: number;
  bold?: boolean;
}

/** Estimated width of `text` in pixels, at the given font size. */
export function textWidthPx(text: string, font: Font): number {
  let em = 0;
  for (const char of text) em += charWidthEm(char);
  return em * font.sizePx * (font.bold ? BOLD_FACTOR : 1);
}

/** `text` cut to fit `maxWidthPx`, ending in an ellipsis when anything was cut. */
export function truncate(text: string, maxWidthPx: number, font: Font): string {
  if (textWidthPx(text, font) <= maxWidthPx) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidthPx(chars.join('') + ELLIPSIS, font) > maxWidthPx) chars.pop();
  return chars.join('').trimEnd() + ELLIPSIS;
}

/** Pieces that each end where a line may break: after a space, slash, hyphen or underscore. */
function breakPieces(text: string): string[] {
  return text.match(/[^\s/_-]*(?:[\s/_-]+|$)/g)!.filter((piece) => piece !== '');
}

/**
 * Greedy line filling: at most `maxLines` lines, the last one truncated with an ellipsis when
 * text is left over. A line ends at its last space or slash rather than at a later hyphen or
 * underscore when that still fills a third of the line, so "distilbert/distilbert-base-uncased"
 * breaks after the slash. A piece wider than a whole line is split between characters.
 */
export function wrap(text: string, maxWidthPx: number, font: Font, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text.trim();
  while (rest !== '' && lines.length < maxLines - 1) {
    let line = '';
    let strongEnd = 0;
    for (const piece of breakPieces(rest)) {
      const candidate = line + piece;
      if (textWidthPx(candidate.trimEnd(), font) <= maxWidthPx) {
        line = candidate;
        if (/[\s/]$/.test(piece)) strongEnd = line.length;
        continue;
      }
      if (line === '') line = truncateChars(piece, maxWidthPx, font);
      else if (strongEnd > 0 && textWidthPx(line.slice(0, strongEnd), font) >= maxWidthPx / 3) {
        line = line.slice(0, strongEnd);
      }
      break;
    }
    lines.push(line.trimEnd());
    rest = rest.slice(line.length).trimStart();
  }
  if (rest !== '') lines.push(truncate(rest, maxWidthPx, font));
  return lines;
}

/** The longest start of `text` that fits, without an ellipsis (the rest goes on the next line). */
function truncateChars(text: string, maxWidthPx: number, font: Font): string {
  const chars = [...text];
  while (chars.length > 1 && textWidthPx(chars.join(''), font) > maxWidthPx) chars.pop();
  return chars.join('');
}

/**
 * Text made safe for an SVG text node or attribute: runs of white space one space; then what
 * `printable` replaces (controls, escapes, bidirectional and invisible characters, lone
 * surrogates) and U+FFFE and U+FFFF, which XML 1.0 forbids even escaped, become U+FFFD; and
 * markup characters entities.
 */
export function escapeXml(text: string): string {
  return printable(text.replace(/\s+/g, ' '))
    .replace(/[\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
