/**
 * Reads a result document written by `bench --json`. Anything that is not one (a missing or
 * empty file, broken JSON, another tool's JSON, another schema version) is a usage error, so a
 * gate never passes on a file it could not read.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage, usageError } from '../errors.js';
import { printable } from '../util/text-safety.js';
import { headlineEnergyProblem } from './validate.js';
import { SCHEMA_VERSION, type ConfigResult, type RunDocument } from './schema.js';

const HINT_BENCH = 'write one with `energy-score bench model.onnx --json result.json`';

export async function readRunDocument(path: string): Promise<RunDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : errorMessage(err);
    throw usageError(`cannot read ${path}: ${detail}`, HINT_BENCH);
  }
  return parseRunDocument(text, path);
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
    throw usageError(`${source} is not valid JSON: ${printable(errorMessage(err))}`, HINT_BENCH);
  }
  if (!isRecord(value) || !isRecord(value.tool) || value.tool.name !== 'energy-score') {
    throw usageError(`${source} is not an energy-score result document`, HINT_BENCH);
  }
  if (value.schemaVersion !== SCHEMA_VERSION) {
    throw usageError(
      `${source} has schema version ${JSON.stringify(value.schemaVersion)}, but this version of energy-score reads version ${SCHEMA_VERSION}`,
      'read it with the energy-score version that wrote it, or bench again with this one',
    );
  }
  const env = value.environment;
  if (!isRecord(env) || typeof env.cpu !== 'string' || !Array.isArray(env.gpus)) {
    throw usageError(
      `${source} has no valid environment (cpu, gpus): it was not written by bench`,
      HINT_BENCH,
    );
  }
  if (!Array.isArray(value.results) || !value.results.every(isConfigLike)) {
    throw usageError(`${source} has no valid results list`, HINT_BENCH);
  }
  const document = value as unknown as RunDocument;
  for (const result of document.results) result.energy = checkedEnergy(result.energy);
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

/** Enough of a configuration for every reader: its identity, status and the two verdict blocks. */
function isConfigLike(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.status === 'string' &&
    isRecord(value.model) &&
    typeof value.model.name === 'string' &&
    typeof value.task === 'string' &&
    isRecord(value.energy) &&
    isRecord(value.rating)
  );
}
