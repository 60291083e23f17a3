/**
 * The one validator of result documents, used by the reader (read.ts) on every file and by the
 * commands that gate on energy figures. The document must match the schema field by field (a
 * missing or mistyped field is named with its path); the headline must be a finite number above
 * 0 J (a NaN that JSON wrote as null, or a file edited by hand, must never read as 0 J), whPer1k
 * must be perQueryJ in other units, and the per-trial figures and the interval must be usable
 * numbers where present.
 */
import type { GpuInventoryEntry } from '../devices/gpu-inventory.js';
import { printable } from '../util/text-safety.js';
import {
  SCALE_NAMES,
  SCHEMA_VERSION,
  SIZE_CLASSES,
  type CarbonSettings,
  type ConfigResult,
  type Conversion,
  type Fidelity,
  type FidelityFigure,
  type DomainEnergy,
  type EnergyMeasured,
  type EnergyNotMeasured,
  type Environment,
  type GridRegion,
  type GenerationFigures,
  type LatencyQuantiles,
  type InputData,
  type LatencyFigures,
  type ModelBand,
  type OtherCpuLoad,
  type ProtocolSettings,
  type RatingCohort,
  type RatingRated,
  type RatingUnrated,
  type RunDocument,
} from './schema.js';

const J_PER_WH = 3600;

/** Equal to about 1 part in a million: the two figures are written with full precision. */
function sameFigure(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

const shown = (value: unknown) => (value === undefined ? 'missing' : JSON.stringify(value));

/** Headline figures that are no usable number: null (a NaN), missing, 0 or less. */
function unusableHeadline(energy: EnergyMeasured): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`${name} is ${shown(value)}, not a finite number`);
    } else if (value <= 0) {
      problems.push(`${name} is ${value}, not above 0`);
    }
  };
  positive('perQueryJ', energy.perQueryJ);
  positive('whPer1k', energy.whPer1k);
  return problems;
}

/**
 * The two headline figures are one number in two units; where they disagree (usable numbers
 * both) the file was edited. Null when they agree.
 */
function headlineDisagreement(energy: EnergyMeasured): string | null {
  const whPer1k = (energy.perQueryJ * 1000) / J_PER_WH;
  if (sameFigure(energy.whPer1k, whPer1k)) return null;
  return `whPer1k is ${energy.whPer1k}, but perQueryJ ${energy.perQueryJ} is ${whPer1k} Wh per 1,000 queries`;
}

/** What is wrong with the headline figures (perQueryJ and whPer1k); empty when they are usable. */
export function headlineProblems(energy: EnergyMeasured): string[] {
  const problems = unusableHeadline(energy);
  const disagreement = problems.length === 0 ? headlineDisagreement(energy) : null;
  return disagreement ? [disagreement] : problems;
}

/** Why a measured or estimated energy block holds no usable figure; empty when it is usable. */
export function energyProblems(energy: EnergyMeasured): string[] {
  const problems = headlineProblems(energy);
  const trials: unknown = energy.perTrialJ;
  if (trials !== undefined) {
    const good = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;
    if (!Array.isArray(trials)) problems.push(`perTrialJ is ${shown(trials)}, not a list`);
    else if (!trials.every(good)) {
      problems.push(`perTrialJ is ${JSON.stringify(trials)}, not all finite numbers above 0`);
    }
  }
  const queries: unknown = energy.perTrialQueries;
  // The shape of each entry is the reader's check; here only whether the two lists pair up.
  if (Array.isArray(trials) && Array.isArray(queries) && queries.length !== trials.length) {
    problems.push(`perTrialQueries has ${queries.length} entries and perTrialJ ${trials.length}`);
  }
  const rounds: unknown = energy.perTrialRound;
  if (Array.isArray(trials) && Array.isArray(rounds) && rounds.length !== trials.length) {
    problems.push(`perTrialRound has ${rounds.length} entries and perTrialJ ${trials.length}`);
  }
  const ci: unknown = energy.ci95PerQueryJ;
  if (ci !== null && ci !== undefined) {
    if (typeof ci !== 'number' || !Number.isFinite(ci)) {
      problems.push(`ci95PerQueryJ is ${shown(ci)}, not a finite number`);
    } else if (ci < 0) {
      problems.push(`ci95PerQueryJ is ${ci}, below 0`);
    }
  }
  return problems;
}

/**
 * The headline's problems in one line, or null when it is usable: what turns a stored energy
 * into "not measured" for every reader, so that no command shows, rates or gates it.
 */
export function headlineEnergyProblem(energy: EnergyMeasured): string | null {
  const problems = headlineProblems(energy);
  return problems.length ? `energy figures are unusable: ${problems.join('; ')}` : null;
}

// ---------------------------------------------------------------------------------------------
// The whole document, checked once on read against the schema (schema.ts): every field a reader
// relies on, with its path, so that a hand-edited or damaged file is refused with the field named
// rather than crashing a renderer or printing "undefined". Fields the schema marks optional (in
// files written before they existed) may be absent.

/** Problems found so far; the first few are enough to fix a file. */
class Problems {
  readonly list: string[] = [];
  bad(path: string, value: unknown, expected: string): void {
    this.add(value === undefined ? `${path} is missing` : `${path} is ${shownValue(value)}, not ${expected}`);
  }
  add(problem: string): void {
    this.list.push(problem);
  }
}

function shownValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return printable(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Checks one value found at `path` (e.g. "results[2].batchSize"). */
type Check = (value: unknown, path: string, out: Problems) => void;
/** A field the schema marks optional: absent is fine, present must pass. */
interface Optional {
  optional: Check;
}
/** One check per field of T, optional exactly where T's field is: a new field needs a check. */
type FieldsOf<T> = { [K in keyof T]-?: undefined extends T[K] ? Optional : Check };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str: Check = (v, p, out) => {
  if (typeof v !== 'string') out.bad(p, v, 'a string');
};
const bool: Check = (v, p, out) => {
  if (typeof v !== 'boolean') out.bad(p, v, 'true or false');
};
const num: Check = (v, p, out) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) out.bad(p, v, 'a number');
};
function int(min: number): Check {
  return (v, p, out) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      out.bad(p, v, min === 0 ? 'a whole number of 0 or more' : `a whole number of ${min} or more`);
  };
}
function nullable(check: Check): Check {
  return (v, p, out) => {
    if (v !== null) check(v, p, out);
  };
}
function oneOf(values: readonly (string | null)[]): Check {
  return (v, p, out) => {
    if (!values.includes(v as string | null))
      out.bad(p, v, `one of ${values.map((x) => (x === null ? 'null' : x)).join(', ')}`);
  };
}
function list(item: Check): Check {
  return (v, p, out) => {
    if (!Array.isArray(v)) return out.bad(p, v, 'a list');
    v.forEach((x, i) => item(x, `${p}[${i}]`, out));
  };
}
function record(item: Check): Check {
  return (v, p, out) => {
    if (!isRecord(v)) return out.bad(p, v, 'an object');
    for (const [key, x] of Object.entries(v)) item(x, `${p}.${key}`, out);
  };
}
function object<T>(fields: FieldsOf<T>): Check {
  return (v, p, out) => {
    if (!isRecord(v)) return out.bad(p, v, 'an object');
    for (const [key, check] of Object.entries(fields) as [string, Check | Optional][]) {
      const at = p === '' ? key : `${p}.${key}`;
      if (typeof check === 'function') check(v[key], at, out);
      else if (v[key] !== undefined) check.optional(v[key], at, out);
    }
  };
}
const optional = (check: Check): Optional => ({ optional: check });
const numOrStr: Check = (v, p, out) => {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
    out.bad(p, v, 'a number or a string');
};

const domainEnergy = object<DomainEnergy>({
  meter: str,
  method: oneOf(['counter', 'polled', 'estimated']),
  devices: list(str),
  perQueryJ: num,
  netPerQueryJ: num,
  avgPowerW: num,
  peakPowerW: nullable(num),
  idlePowerW: nullable(num),
});

const DOMAINS = ['gpu', 'cpu', 'dram'];

const energyMeasured = object<EnergyMeasured>({
  status: oneOf(['measured', 'estimated']),
  basis: object<EnergyMeasured['basis']>({ domains: list(oneOf(DOMAINS)), figure: oneOf(['gross']) }),
  perQueryJ: num,
  whPer1k: num,
  queriesPerJ: num,
  ci95PerQueryJ: nullable(num),
  ci95Relative: nullable(num),
  // A trial whose figure was NaN is written as null: not a damaged file, but a figure `check` refuses.
  perTrialJ: optional(list(nullable(num))),
  perTrialQueries: optional(list(int(1))),
  perTrialRound: optional(list(int(1))),
  net: object<EnergyMeasured['net']>({ perQueryJ: num, whPer1k: num }),
  avgPowerW: num,
  peakPowerW: nullable(num),
  trials: int(0),
  windowSeconds: num,
  idleSeconds: num,
  domains: (v, p, out) => {
    if (!isRecord(v)) return out.bad(p, v, 'an object');
    for (const [key, domain] of Object.entries(v)) {
      if (!DOMAINS.includes(key)) out.add(`${p}.${key} is not a domain (${DOMAINS.join(', ')})`);
      else domainEnergy(domain, `${p}.${key}`, out);
    }
  },
  modelBand: optional(nullable(object<ModelBand>({ relative: num, method: str, source: str }))),
  otherCpu: optional(
    nullable(object<OtherCpuLoad>({ meanCores: num, maxCores: num, limitCores: num, loaded: bool })),
  ),
  meters: list(
    object<EnergyMeasured['meters'][number]>({
      name: str,
      domain: str,
      method: str,
      devices: list(str),
      details: record(numOrStr),
    }),
  ),
  warnings: list(str),
});

const energyNotMeasured = object<EnergyNotMeasured>({
  status: oneOf(['not-measured']),
  reason: str,
  perQueryJ: oneOf([null]),
  whPer1k: oneOf([null]),
  queriesPerJ: oneOf([null]),
});

/**
 * A headline of null (a NaN as JSON writes it), 0 or less is what a broken measurement leaves:
 * the reader turns it into "not measured", so the rest of that block is not held to the schema.
 * Two usable figures that disagree cannot come from bench: the file was edited.
 */
const energy: Check = (v, p, out) => {
  if (!isRecord(v)) return out.bad(p, v, 'an object');
  if (v.status === 'not-measured') return energyNotMeasured(v, p, out);
  if (v.status !== 'measured' && v.status !== 'estimated')
    return out.bad(`${p}.status`, v.status, 'one of measured, estimated, not-measured');
  const before = out.list.length;
  nullable(num)(v.perQueryJ, `${p}.perQueryJ`, out);
  nullable(num)(v.whPer1k, `${p}.whPer1k`, out);
  const headline = v as unknown as EnergyMeasured;
  if (out.list.length > before || unusableHeadline(headline).length > 0) return;
  energyMeasured(v, p, out);
  const disagreement = headlineDisagreement(headline);
  if (disagreement) out.add(`${p}.${disagreement}: the two figures must agree`);
};

const STARS = [1, 2, 3, 4, 5];
const starsCheck: Check = (v, p, out) => {
  if (!STARS.includes(v as number)) out.bad(p, v, 'a whole number from 1 to 5');
};

const cohort = object<RatingCohort>({
  kind: oneOf(['reference', 'within-run', 'user']),
  source: str,
  task: str,
  hardware: str,
  sizeClass: nullable(oneOf(SIZE_CLASSES)),
  size: int(1),
  rangeKwhPer1k: (v, p, out) => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      out.bad(p, v, 'a pair of numbers [lowest, highest]');
    else if (v[0] > v[1]) out.add(`${p} is ${shownValue(v)}: the lowest is above the highest`);
  },
});

const ratingRated = object<RatingRated>({
  status: oneOf(['rated']),
  stars: starsCheck,
  band: (v, p, out) => {
    if (![0, 1, 2, 3, 4].includes(v as number)) out.bad(p, v, 'a whole number from 0 to 4');
  },
  scale: oneOf(SCALE_NAMES),
  clamped: oneOf(['below', 'above', null]),
  singleton: bool,
  starsWithin95: optional((v, p, out) => {
    if (v === null) return;
    if (!Array.isArray(v) || v.length !== 2) return out.bad(p, v, 'null or a pair of stars');
    v.forEach((x, i) => starsCheck(x, `${p}[${i}]`, out));
  }),
  energyKwhPer1k: num,
  energyStatus: oneOf(['measured', 'estimated']),
  cohort,
});

const ratingUnrated = object<RatingUnrated>({
  status: oneOf(['unrated']),
  reason: str,
  stars: oneOf([null]),
  scale: oneOf([null]),
});

const rating: Check = (v, p, out) => {
  if (!isRecord(v)) return out.bad(p, v, 'an object');
  if (v.status === 'unrated') return ratingUnrated(v, p, out);
  if (v.status !== 'rated') return out.bad(`${p}.status`, v.status, 'one of rated, unrated');
  const before = out.list.length;
  ratingRated(v, p, out);
  // Band 0 is 5 stars: a file where they disagree says two things about one rating.
  if (out.list.length === before && v.band !== 5 - (v.stars as number))
    out.add(
      `${p}.band is ${shownValue(v.band)}, but ${shownValue(v.stars)} stars is band ${5 - (v.stars as number)}`,
    );
};

const latency = {
  mean: num,
  p50: num,
  p95: num,
  p99: num,
};

const quantiles = object<LatencyQuantiles>({ p50: num, p95: num });

const generation = object<GenerationFigures>({
  layout: oneOf(['genai', 'single', 'merged', 'pair', 'seq2seq', 'no-cache']),
  layoutDescription: str,
  cached: bool,
  newTokensPerQuery: int(1),
  promptTokensPerQueryMean: num,
  contextTokens: int(1),
  contextSource: str,
  promptsClipped: int(0),
  energyStatus: oneOf(['measured', 'estimated', 'not-measured']),
  perTokenJ: nullable(num),
  ci95PerTokenJ: nullable(num),
  prefill: object<GenerationFigures['prefill']>({
    perQueryJ: nullable(num),
    ci95PerQueryJ: nullable(num),
    trials: int(0),
    latencyPerQueryMs: nullable(num),
  }),
  decode: object<GenerationFigures['decode']>({
    perTokenJ: nullable(num),
    ci95PerTokenJ: nullable(num),
    tokensPerQuery: int(0),
  }),
  tokensPerSecond: num,
  timeToFirstTokenMs: quantiles,
  interTokenLatencyMs: nullable(quantiles),
  assumptions: list(str),
});

const fidelityFigure = object<FidelityFigure>({
  metric: str,
  value: num,
  threshold: nullable(num),
  bound: oneOf(['min', 'max']),
  pass: nullable(bool),
  output: optional(str),
});

const fidelity = object<Fidelity>({
  reference: str,
  relation: oneOf(['same-model', 'other-model']),
  metric: str,
  value: num,
  threshold: num,
  pass: bool,
  queries: int(1),
  figures: list(fidelityFigure),
  inputs: str,
  basis: optional(str),
});

const conversion = object<Conversion>({
  converted: (v, p, out) => {
    if (v !== true) out.bad(p, v, 'true');
  },
  sourceFile: str,
  sourceSha256: str,
  recipe: str,
  converterVersion: str,
  cachedFile: str,
  opCountsBefore: record(int(0)),
  opCountsAfter: record(int(0)),
});

const configResult = object<ConfigResult>({
  id: str,
  status: oneOf(['ok', 'skipped', 'failed', 'interrupted']),
  reason: optional(str),
  model: object<ConfigResult['model']>({
    name: str,
    path: str,
    file: str,
    sha256: nullable(str),
    fileSizeBytes: nullable(num),
    parameters: nullable(num),
  }),
  task: str,
  taskSource: str,
  device: str,
  precision: str,
  batchSize: int(1),
  threads: nullable(int(1)),
  queries: int(0),
  batches: int(0),
  warmupBatches: int(0),
  inputs: nullable(
    object<NonNullable<ConfigResult['inputs']>>({
      dims: record(numOrStr),
      distinctBatches: int(0),
      tokensPerQueryMean: nullable(num),
      bytesPerBatchMax: num,
      data: optional(
        object<InputData>({
          source: (v, p, out) => {
            if (typeof v !== 'string' || !/^(synthetic$|bundled:.|file:.)/.test(v)) {
              out.bad(p, v, '"synthetic", "bundled:<name>" or "file:<path>"');
            }
          },
          tokenizer: nullable(str),
          preprocessing: nullable(str),
          queries: int(0),
          sha256: nullable(str),
          preprocessMs: num,
          preprocessMsPerItem: nullable(num),
          note: nullable(str),
        }),
      ),
    }),
  ),
  sessionLoadMs: nullable(num),
  latencyMs: nullable(
    object<NonNullable<ConfigResult['latencyMs']>>({ ...latency, min: num, max: num, stddev: num }),
  ),
  latencyPerQueryMs: nullable(object<LatencyFigures>(latency)),
  throughputQps: nullable(num),
  measuredSeconds: nullable(num),
  peakRssMB: nullable(num),
  outlierBatches: nullable(int(0)),
  warnings: list(str),
  energy,
  rating,
  generation: optional(generation),
  conversion: optional(conversion),
  fidelity: optional(fidelity),
});

const gpuEntry = object<GpuInventoryEntry>({
  index: int(0),
  name: str,
  uuid: str,
  busId: str,
  architecture: nullable(str),
  driverVersion: str,
  cudaVersion: nullable(str),
  powerLimitsW: object<GpuInventoryEntry['powerLimitsW']>({
    default: nullable(num),
    enforced: nullable(num),
    min: nullable(num),
    max: nullable(num),
  }),
  memoryTotalMiB: nullable(num),
  instantPowerDraw: bool,
});

type Settings = RunDocument['settings'];

const settings = object<Settings>({
  queries: nullable(int(1)),
  warmup: int(0),
  threads: nullable(int(1)),
  threadCounts: optional(list(int(1))),
  seed: num,
  batchSizes: list(int(1)),
  devices: list(str),
  precisions: nullable(list(str)),
  threadsUsed: optional(
    object<NonNullable<Settings['threadsUsed']>>({
      count: int(1),
      source: oneOf(['given', 'onnxruntime default: one per physical core']),
    }),
  ),
  spin: optional(
    object<NonNullable<Settings['spin']>>({
      value: oneOf(['on', 'off']),
      source: str,
    }),
  ),
  task: optional(nullable(str)),
  models: optional(list(str)),
  meter: optional((v, p, out) => {
    if (v !== 'auto' && v !== 'none') list(str)(v, p, out);
  }),
  gpus: optional(nullable(list(int(0)))),
  maxNewTokens: optional(list(int(1))),
  protocol: optional(
    object<ProtocolSettings>({
      idleS: num,
      minWindowS: num,
      targetCi: num,
      minTrials: int(1),
      maxTrials: int(1),
      maxSeconds: num,
      warmupWindows: optional(int(0)),
      rounds: optional(int(1)),
    }),
  ),
  commandLine: optional(list(str)),
});

const environment = object<Environment>({
  os: str,
  platform: str,
  arch: str,
  cpu: str,
  cpuCores: int(1),
  cpuPhysicalCores: optional(int(1)),
  cpuMicroarchitecture: optional(str),
  cpuFlags: optional(list(str)),
  memoryGB: num,
  nodeVersion: str,
  onnxruntimeVersion: str,
  toolVersion: str,
  hostname: str,
  gpus: list(gpuEntry),
});

const carbon = object<CarbonSettings>({
  gCo2ePerKwh: num,
  kind: oneOf(['given', 'region', 'world-average']),
  source: str,
  region: nullable(object<GridRegion>({ iso: str, country: str, gCo2ePerKwh: num, year: int(0) })),
  pricePerKwh: nullable(num),
});

const runDocument = object<RunDocument>({
  schemaVersion: (v, p, out) => {
    if (v !== SCHEMA_VERSION) out.bad(p, v, String(SCHEMA_VERSION));
  },
  tool: object<RunDocument['tool']>({ name: oneOf(['energy-score']), version: str }),
  createdAt: (v, p, out) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) out.bad(p, v, 'a date (ISO 8601)');
  },
  interrupted: bool,
  complete: bool,
  settings,
  environment,
  energyNotes: list(str),
  carbon: optional(carbon),
  results: (v, p, out) => {
    list(configResult)(v, p, out);
    if (!Array.isArray(v)) return;
    v.forEach((result: unknown, i) => {
      if (!isRecord(result) || !isRecord(result.rating) || !isRecord(result.energy)) return;
      // A rating is of a measured or estimated energy; one without any says nothing.
      if (result.rating.status === 'rated' && result.energy.status === 'not-measured')
        out.add(`results[${i}].rating is rated, but results[${i}].energy was not measured`);
    });
  },
});

/**
 * What is wrong with a parsed result document, each problem with the field's path
 * ("results[2].batchSize is missing"); empty when it is sound. Readers check the schema version
 * first, so that a newer file is told apart from a damaged one.
 */
export function documentProblems(value: unknown): string[] {
  const out = new Problems();
  runDocument(value, '', out);
  return out.list;
}
