/**
 * Energy rows: one measured configuration as cohorts and leaderboards see it, whether it came
 * from a result document, our leaderboard CSV or an AI Energy Score CSV. Rows are grouped into
 * cohorts by `cohortKey` and told apart (for de-duplication) by `identityKey`.
 */
import { hardwareOf } from '../result/hardware.js';
import { headlineEnergyProblem } from '../result/validate.js';
import { type ConfigResult, type Environment, type RunDocument } from '../result/schema.js';
import { sizeClassForParameters, type SizeClass } from './cohort.js';

const WH_PER_KWH = 1000;

/**
 * What one query of a row was: `energy-score`, one forward pass (every one-pass suite);
 * `ai-energy-score`, AI Energy Score's whole generations (its CSVs); `generation-N`, energy-score's
 * greedy generation of N new tokens per query (`generation-N-nocache` without a KV cache).
 */
export type RowProtocol =
  'energy-score' | 'ai-energy-score' | `generation-${number}` | `generation-${number}-nocache`;

/** AI Energy Score's text-generation protocol: 10 new tokens (min = max), batch 1. */
export const AIES_GENERATION_TOKENS = 10;

const GENERATION_PROTOCOL = /^generation-([1-9]\d*)(-nocache)?$/;

export function isRowProtocol(text: string): text is RowProtocol {
  return text === 'energy-score' || text === 'ai-energy-score' || GENERATION_PROTOCOL.test(text);
}

/** The protocol of a result: its generation's budget, or one pass. */
export function protocolOfResult(result: Pick<ConfigResult, 'generation'>): RowProtocol {
  const g = result.generation;
  if (!g) return 'energy-score';
  return g.cached ? `generation-${g.newTokensPerQuery}` : `generation-${g.newTokensPerQuery}-nocache`;
}

/**
 * The protocol class a cohort is keyed by: a text generation of 10 new tokens with a cache
 * measures a query as AI Energy Score did, so it shares AI Energy Score's cohorts (batch sizes
 * share cohorts, as in every suite; the shipped reference itself takes batch 1 only); every other
 * budget, or a run without a cache, keeps its own.
 */
export function comparableProtocol(row: Pick<EnergyRow, 'protocol' | 'task'>): string {
  if (row.protocol === `generation-${AIES_GENERATION_TOKENS}` && row.task === 'text-generation')
    return 'ai-energy-score';
  return row.protocol;
}

/**
 * Tasks whose suites run one forward pass per query where AI Energy Score measured whole
 * generations (10 new tokens, full transcriptions, captions, diffusion runs): a figure of ours is
 * a fraction of theirs there, so the two never share a cohort.
 */
export const ONE_PASS_TASKS: readonly string[] = [
  'summarization',
  'text-generation',
  'automatic-speech-recognition',
  'image-captioning',
  'image-generation',
];

export interface EnergyRow {
  model: string;
  protocol: RowProtocol;
  /** The model file's sha256; null where the source does not give it (AI Energy Score CSVs). */
  sha256: string | null;
  task: string;
  hardware: string;
  /** cpu or cuda; empty where the source does not say. */
  device: string;
  /** Empty where the source does not say (AI Energy Score rows are one per model). */
  precision: string;
  batchSize: number | null;
  /** ONNX Runtime's intra-op threads where the run set them (--threads); null or absent otherwise. */
  threads?: number | null;
  /** The headline energy, kWh per 1,000 queries: AI Energy Score's unit. */
  energyKwhPer1k: number;
  energyStatus: 'measured' | 'estimated';
  /** The domains summed into the energy, e.g. "gpu" or "cpu+dram". */
  energyBasis: string;
  /** Text generation only. */
  sizeClass: SizeClass | null;
  parameters: number | null;
  perQueryJ: number | null;
  ci95Relative: number | null;
  /** Estimated energy: the power model's held-out mean abs error, a fraction; null or absent otherwise. */
  modelBandRelative?: number | null;
  throughputQps: number | null;
  latencyP50MsPerQuery: number | null;
  /** When the run was made (ISO 8601); empty where unknown. */
  createdAt: string;
  toolVersion: string;
  /** The file the row was read from. */
  source: string;
}

/** Why a configuration has no row: it did not finish, or its energy was not measured. */
export interface NoRow {
  reason: string;
}

/** The row of one configuration of a document, or why there is none. */
export function rowOfResult(
  result: ConfigResult,
  document: Pick<RunDocument, 'createdAt' | 'tool'> & { environment: Pick<Environment, 'cpu' | 'gpus'> },
  source: string,
): EnergyRow | NoRow {
  if (result.status !== 'ok')
    return { reason: `the configuration ${result.status === 'skipped' ? 'was skipped' : result.status}` };
  const energy = result.energy;
  if (energy.status === 'not-measured') return { reason: `energy not measured: ${energy.reason}` };
  const problem = headlineEnergyProblem(energy);
  if (problem !== null) return { reason: `its ${problem}` };
  const parameters = result.model.parameters;
  if (result.task === 'text-generation' && !(typeof parameters === 'number' && parameters > 0))
    return {
      reason: 'text generation is rated within a size class, and the model’s parameter count is unknown',
    };
  const sizeClass = result.task === 'text-generation' ? sizeClassForParameters(parameters!) : null;
  return {
    model: result.model.name,
    protocol: protocolOfResult(result),
    sha256: result.model.sha256,
    task: result.task,
    hardware: hardwareOf(result, document.environment),
    device: result.device,
    precision: result.precision,
    batchSize: result.batchSize,
    ...(result.threads !== null ? { threads: result.threads } : {}),
    energyKwhPer1k: energy.whPer1k / WH_PER_KWH,
    energyStatus: energy.status,
    energyBasis: energy.basis.domains.join('+'),
    sizeClass,
    parameters: result.model.parameters,
    perQueryJ: energy.perQueryJ,
    ci95Relative: energy.ci95Relative,
    ...(energy.modelBand ? { modelBandRelative: energy.modelBand.relative } : {}),
    throughputQps: result.throughputQps,
    latencyP50MsPerQuery: result.latencyPerQueryMs?.p50 ?? null,
    createdAt: document.createdAt,
    toolVersion: document.tool.version,
    source,
  };
}

export function isRow(value: EnergyRow | NoRow): value is EnergyRow {
  return 'energyKwhPer1k' in value;
}

/**
 * Hardware names as drivers and files spell them differ ("NVIDIA H100 80GB HBM3", "NVIDIA H100
 * 80GB"): compare them without case, vendor prefix, memory type or punctuation.
 */
export function hardwareKey(hardware: string): string {
  return hardware
    .toLowerCase()
    .replace(/®|™|\(r\)|\(tm\)/g, '')
    .replace(/\b(nvidia|hbm2e?|hbm3e?|gddr\d+x?)\b/g, ' ')
    .replace(/[^a-z0-9.]+/g, ' ')
    .trim();
}

/**
 * The cohort a row belongs to: one task on one hardware, with the same energy basis (GPU energy is
 * not CPU+DRAM energy) and the same method (an estimate is not rated among measurements); text
 * generation also by size class.
 */
export function cohortKey(
  row: Pick<EnergyRow, 'task' | 'hardware' | 'energyBasis' | 'energyStatus' | 'sizeClass' | 'protocol'>,
): string {
  const protocol = ONE_PASS_TASKS.includes(row.task) ? comparableProtocol(row) : '';
  const parts = [row.task, hardwareKey(row.hardware), row.energyBasis, row.energyStatus, row.sizeClass ?? ''];
  return [...parts, protocol].join('|');
}

/** Rows grouped by cohortKey, each group in the order given. */
export function groupByCohort(rows: readonly EnergyRow[]): Map<string, EnergyRow[]> {
  const groups = new Map<string, EnergyRow[]>();
  for (const row of rows) {
    const key = cohortKey(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** A cohort in words: "text-classification on Intel Xeon (cpu+dram, estimated)". */
export function describeCohortKey(
  row: Pick<
    EnergyRow,
    'task' | 'hardware' | 'energyBasis' | 'energyStatus' | 'sizeClass' | 'protocol' | 'batchSize'
  >,
): string {
  const size = row.sizeClass ? ` class ${row.sizeClass}` : '';
  const protocol = ONE_PASS_TASKS.includes(row.task) ? comparableProtocol(row) : '';
  const generation = GENERATION_PROTOCOL.exec(protocol);
  const by =
    protocol === 'ai-energy-score'
      ? ", AI Energy Score's protocol"
      : generation
        ? `, ${generation[1]} new tokens per query${generation[2] ? ' without a KV cache' : ''}`
        : '';
  return `${row.task}${size} on ${row.hardware} (${row.energyBasis} energy, ${row.energyStatus}${by})`;
}

/**
 * What makes two rows the same measurement target: the model (by sha256 where known, else by
 * name), the configuration and the hardware. Two runs of one target are duplicates.
 */
export function identityKey(row: EnergyRow): string {
  // A published leaderboard row (no file hash, no run date) is told apart by its energy too: the
  // AI Energy Score v1 board lists two models twice with different energies, and rated both.
  const published = row.sha256 === null && row.createdAt === '' ? `|${row.energyKwhPer1k}` : '';
  return [
    row.sha256 ?? `name:${row.model}${published}`,
    row.protocol,
    row.task,
    row.precision,
    row.batchSize ?? '',
    // Absent where ONNX Runtime chose the threads: such rows keep the key they had before threads.
    ...(row.threads != null ? [`t${row.threads}`] : []),
    row.device,
    hardwareKey(row.hardware),
  ].join('|');
}

/** A row's name inside a cohort: the model and, where known, its configuration. */
export function rowLabel(
  row: Pick<EnergyRow, 'model' | 'precision' | 'batchSize' | 'device' | 'threads'>,
): string {
  const parts = [
    row.model,
    row.precision,
    row.batchSize !== null ? `b${row.batchSize}` : '',
    row.threads != null ? `t${row.threads}` : '',
    row.device,
  ];
  return parts.filter((p) => p !== '').join(' ');
}

/**
 * One row per identity: the newest run wins (ISO dates compare as text), and on a tie the
 * first one given. Returns the kept rows in the order first seen, and how many were dropped.
 */
export function dedupeRows(rows: readonly EnergyRow[]): { rows: EnergyRow[]; dropped: number } {
  const kept = new Map<string, EnergyRow>();
  for (const row of rows) {
    const key = identityKey(row);
    const held = kept.get(key);
    if (!held || row.createdAt > held.createdAt) kept.set(key, row);
  }
  return { rows: [...kept.values()], dropped: rows.length - kept.size };
}
