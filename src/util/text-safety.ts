/**
 * Making text from result files, models and tools safe where it is shown: a model name is
 * whatever a file or a user said, and may hold markup, line breaks, terminal escapes,
 * bidirectional overrides, invisible characters or spreadsheet formulas.
 *
 * One rule for every human-readable output: names (models, configuration ids, files) pass
 * through `displayName`, other text through `printable` or `printableLine`, and the escapers of
 * each format (Markdown, HTML, SVG, workflow commands) apply `printable` themselves. The sink
 * applies `terminalText` to everything it writes to a terminal, and `jsonText` to JSON.
 */

/**
 * What is not shown as itself: C0 and C1 controls (terminal escapes, line breaks), format
 * characters (bidirectional overrides and isolates, zero-width spaces and joiners, the BOM, soft
 * hyphens), line and paragraph separators, lone surrogates.
 */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const REPLACEMENT = '\uFFFD';

/** Every character that is not shown as itself as U+FFFD, so a name cannot break a table row, colour a terminal or reverse a line. */
export function printable(text: string): string {
  return text.replace(UNSHOWABLE, REPLACEMENT);
}

/** One printable line: runs of white space and line breaks as one space, trimmed. For messages from libraries and tools. */
export function printableLine(text: string): string {
  return printable(text.replace(/\s+/g, ' ').trim());
}

/** Names longer than this many characters are shown cut in the middle. */
export const MAX_NAME_CHARS = 100;
/** What a name that is empty or only white space is shown as. */
export const BLANK_NAME = '(blank name)';
const ELLIPSIS = '…';

/**
 * A name (a model, a configuration id, a file) as shown in tables, reports, labels and plots:
 * printable; `(blank name)` when it is only white space; longer than `maxChars` characters, cut
 * in the middle with an ellipsis, keeping two thirds from its start and one from its end (where
 * an id says precision, batch and device).
 */
export function displayName(text: string, maxChars = MAX_NAME_CHARS): string {
  if (text.trim() === '') return BLANK_NAME;
  const clean = printable(text);
  // Code points, not UTF-16 units: a cut never splits a character in two.
  const chars = Array.from(clean);
  if (chars.length <= maxChars) return clean;
  const tail = Math.floor((maxChars - 1) / 3);
  const head = maxChars - 1 - tail;
  return chars.slice(0, head).join('') + ELLIPSIS + chars.slice(chars.length - tail).join('');
}

/**
 * Text for a terminal: line breaks, tabs and the colour codes (SGR) that chalk writes pass;
 * every other escape or unshowable character becomes U+FFFD, so no sequence can set a title,
 * move the cursor, clear the screen or write a link, whatever a renderer let through.
 */
export function terminalText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /(\u001b\[[0-9;]*m|[\n\t])|[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu,
    (match, kept: string | undefined) => kept ?? REPLACEMENT,
  );
}

/**
 * JSON with the characters JSON.stringify leaves raw that a terminal or an editor acts on or
 * hides (DEL and C1 controls, format characters, line separators) written as \u escapes. They
 * can only stand inside strings, so the JSON reads back the same.
 */
export function jsonText(json: string): string {
  return json.replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu, (char) =>
    Array.from(
      { length: char.length },
      (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`,
    ).join(''),
  );
}

/** Markdown table cell text: markup characters escaped, line breaks as spaces. */
export function escapeMarkdown(text: string): string {
  return printable(text.replace(/[\r\n]+/g, ' ')).replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
}

/** A name as a Markdown code span: its shown name, fenced by more backticks than it holds in a row. */
export function markdownCode(text: string): string {
  const shown = displayName(text.replace(/[\r\n]+/g, ' '));
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each end, so a name starting or ending in a backtick keeps it.
  const pad = /^`|`$/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * A cell a spreadsheet would run as a formula: one starting with = + - @, tab or CR, or with
 * = + - @ after leading white space (LibreOffice and Google Sheets can trim it on import). A
 * cell starting with a quote of its own is quoted too, so reading back removes exactly one.
 */
const FORMULA = /^(?:[\t\r']|\s*[=+\-@])/;

/** A leading quote defuses a formula. */
export function defuseFormula(text: string): string {
  return FORMULA.test(text) ? `'${text}` : text;
}

/** The inverse of defuseFormula, for reading our own files back. */
export function undefuseFormula(text: string): string {
  return text.startsWith("'") && FORMULA.test(text.slice(1)) ? text.slice(1) : text;
}
