/**
 * Reads a result document written by `bench --json`. Anything that is not one (a missing or
 * empty file, broken JSON, another tool's JSON, another schema version) is a usage error, so a
 * gate never passes on a file it could not read.
 */
import { errorMessage, usageError } from '../errors.js';
import { decodeInputText, readInputFile, type OpenInput } from '../util/read-input.js';
import { printable } from '../util/text-safety.js';
import { documentProblems, headlineEnergyProblem } from './validate.js';
import { SCHEMA_VERSION, type ConfigResult, type RunDocument } from './schema.js';

const HINT_BENCH = 'write one with `energy-score bench model.onnx --json result.json`';

/** bench writes a few kB per configuration: a file this large is something else. */
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;

export interface ReadOptions {
  /** How files are opened (tests inject failures a root user never sees). */
  open?: OpenInput;
}

export async function readRunDocument(path: string, options: ReadOptions = {}): Promise<RunDocument> {
  const spec = {
    what: 'a result document',
    hint: HINT_BENCH,
    maxBytes: MAX_RESULT_BYTES,
    open: options.open,
  };
  const bytes = await readInputFile(path, spec);
  const binaryHint = `give the JSON that bench writes: energy-score bench ${/\.onnx$/i.test(path) ? path : 'model.onnx'} --json result.json`;
  return parseRunDocument(decodeInputText(bytes, path, { what: 'a result document', binaryHint }), path);
}

/** Parses and checks a document's text; `source` names it in messages. */
export function parseRunDocument(raw: string, source: string): RunDocument {
  // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse refuses.
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') {
    throw usageError(
      `${source} is empty`,
      'a run that was killed before its first write leaves an empty file; run bench again',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the text it choked on: from a binary file (a model passed by mistake)
    // that would put raw bytes and line breaks on the terminal.
    // eslint-disable-next-line no-control-regex
    const looksBinary = /[\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 1024));
    const onnx = /\.onnx$/i.test(source);
    if (looksBinary || onnx) {
      throw usageError(
        `${source} is not a result document: it looks like a binary file${onnx ? ' (an ONNX model)' : ''}`,
        `give the JSON that bench writes: energy-score bench ${onnx ? source : 'model.onnx'} --json result.json`,
      );
    }
    const detail = printable(errorMessage(err));
    // bench writes atomically, so a file cut short was copied or downloaded in part.
    if (/end of JSON input|Unterminated string/i.test(detail)) {
      throw usageError(
        `${source} is not valid JSON: it ends early (${detail}): the file is cut short`,
        'copy or download it again in full, or bench again',
      );
    }
    throw usageError(`${source} is not valid JSON: ${detail}`, HINT_BENCH);
  }
  if (!isRecord(value) || !isRecord(value.tool) || value.tool.name !== 'energy-score') {
    throw usageError(`${source} is not an energy-score result document`, HINT_BENCH);
  }
  const version = value.schemaVersion;
  if (version !== SCHEMA_VERSION) {
    const newer = typeof version === 'number' && version > SCHEMA_VERSION;
    const writer = typeof value.tool.version === 'string' ? ` ${printable(value.tool.version)}` : '';
    throw usageError(
      `${source} has schema version ${printable(JSON.stringify(version) ?? 'none')}, but this version of energy-score reads version ${SCHEMA_VERSION}`,
      newer
        ? `it was written by a newer energy-score${writer}: upgrade to read it (npm install energy-score@latest)`
        : 'read it with the energy-score version that wrote it, or bench again with this one',
    );
  }
  const problems = documentProblems(value);
  if (problems.length > 0) {
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
        : '';
    throw usageError(
      `${source} is not a valid result document: ${problems[0]}${more}`,
      `the file was edited or damaged; bench again to write a whole one: ${HINT_BENCH.replace(/^write one with /, '')}`,
    );
  }
  const document = value as unknown as RunDocument;
  for (const result of document.results) {
    result.energy = checkedEnergy(result.energy);
    // A rating of an energy no reader may use would show stars for nothing.
    if (result.energy.status === 'not-measured' && result.rating.status === 'rated') {
      result.rating = { status: 'unrated', reason: result.energy.reason, stars: null, scale: null };
    }
  }
  return document;
}

/**
 * An energy figure that is not a number of 0 or more (hand-edited, or a NaN that JSON wrote as
 * null) is read as not measured, with why: no reader then shows it, rates it or passes it.
 */
function checkedEnergy(energy: ConfigResult['energy']): ConfigResult['energy'] {
  if (energy.status === 'not-measured') return energy;
  const problem = headlineEnergyProblem(energy);
  if (problem === null) return energy;
  return {
    status: 'not-measured',
    reason: `the file's ${problem}`,
    perQueryJ: null,
    whPer1k: null,
    queriesPerJ: null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
