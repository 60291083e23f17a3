/**
 * Making text from result files safe where it is shown: a model name is whatever a file or a
 * user said, and may hold markup, line breaks, terminal escapes or spreadsheet formulas.
 */

/** Control characters (terminal escapes included) as U+FFFD, so a name cannot break a table row or colour a terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/** Markdown table cell text: markup characters escaped, line breaks as spaces. */
export function escapeMarkdown(text: string): string {
  return printable(text.replace(/[\r\n]+/g, ' ')).replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
}

/** Spreadsheets run a cell starting with = + - @ tab or CR as a formula; a leading quote defuses it. */
export function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** The inverse of defuseFormula, for reading our own files back. */
export function undefuseFormula(text: string): string {
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}
