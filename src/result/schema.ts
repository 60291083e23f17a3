/**
 * The result document: versioned JSON that every other format flattens. Energy and rating are
 * always present; until a meter or a cohort fills them they say so instead of holding numbers.
 */
import type { GpuInventoryEntry } from '../devices/gpu-inventory.js';
import type { Summary } from '../stats/summary.js';

export const SCHEMA_VERSION = 1;

// The value types a result stores are defined here, with the schema, so that the rooms that
// compute them (rating/, carbon/) import the schema and never the other way round.

/** How a configuration is measured: stored in the result, so that a run can be repeated. */
export interface ProtocolSettings {
  /** Idle measurement before the run, seconds; 0 disables idle subtraction. */
  idleS: number;
  /** Shortest measurement window, seconds (raised to 20 update periods of the slowest meter). */
  minWindowS: number;
  /** Stop repeating trials when the 95 % interval of energy per query is within ± this share. */
  targetCi: number;
  minTrials: number;
  maxTrials: number;
  /** Time budget for one configuration's trials, seconds. */
  maxSeconds: number;
  /**
   * Unmeasured windows run before the first measured one, inside the budget (default 1); absent
   * in older files, which ran none.
   */
  warmupWindows?: number;
  /**
   * Interleaved rounds: each configuration's budget is cut into this many slices and the
   * configurations take turns, slice by slice (1: one after another). Absent in older files (1).
   */
  rounds?: number;
}

/** Star scales: AI Energy Score's equal-width bands, log-width bands, cohort quantiles. */
export const SCALE_NAMES = ['aies', 'log', 'quantile'] as const;
export type ScaleName = (typeof SCALE_NAMES)[number];
export type Stars = 1 | 2 | 3 | 4 | 5;
export type Band = 0 | 1 | 2 | 3 | 4;

/** AI Energy Score's text-generation model-size classes. */
export const SIZE_CLASSES = ['A', 'B', 'C'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

/** One country's grid carbon intensity. */
export interface GridRegion {
  /** ISO 3166-1 alpha-3, upper case. */
  iso: string;
  country: string;
  gCo2ePerKwh: number;
  /** The year the figure is for (it differs between countries). */
  year: number;
}

/** The grid carbon intensity and electricity price reports convert energy with. */
export interface CarbonSettings {
  gCo2ePerKwh: number;
  kind: 'given' | 'region' | 'world-average';
  /** Where the intensity comes from, in words. */
  source: string;
  region: GridRegion | null;
  /** Electricity price per kWh in the user's currency; null when none was given. */
  pricePerKwh: number | null;
}

/** Where a configuration's input values came from, and what turning them into tensors cost. */
export interface InputData {
  /** `synthetic`, `bundled:<name>` (shipped with the tool) or `file:<path>` (--data). */
  source: string;
  /** The tokenizer.json the text went through; null when there was no text. */
  tokenizer: string | null;
  /** The preprocessor_config.json images or audio went through; null when none did. */
  preprocessing: string | null;
  /** Distinct data items (texts, images, clips) the queries were made from; 0 for synthetic. */
  queries: number;
  /** Of the data read (the file, or every file of a folder); null for synthetic. */
  sha256: string | null;
  /** Decoding, tokenizing and preprocessing, before the measured loop (not in its figures). */
  preprocessMs: number;
  /** preprocessMs per distinct item; null when there were none. */
  preprocessMsPerItem: number | null;
  /** Why the inputs are what they are where that is not the obvious (a fallback to synthetic). */
  note: string | null;
}

export type ConfigStatus = 'ok' | 'skipped' | 'failed' | 'interrupted';

export interface EnergyNotMeasured {
  status: 'not-measured';
  reason: string;
  perQueryJ: null;
  whPer1k: null;
  queriesPerJ: null;
}

/** One domain's share (gpu, cpu or dram) of a configuration's energy. */
export interface DomainEnergy {
  meter: string;
  method: 'counter' | 'polled' | 'estimated';
  devices: string[];
  /** Gross: everything the meter saw during the measured windows, per query. */
  perQueryJ: number;
  /** Net of idle: gross less the idle power measured before the run times the window. */
  netPerQueryJ: number;
  avgPowerW: number;
  peakPowerW: number | null;
  idlePowerW: number | null;
}

/** An estimate's model uncertainty, reported beside its 95 % interval (which is only the trials' noise). */
export interface ModelBand {
  /** Held-out mean absolute error of the power-model method, as a fraction (0.36: ±36 %). */
  relative: number;
  /** The method: instance-profile, cpu-profile, curve-tdp or curve-w-per-thread. */
  method: string;
  /** What the band is, in words. */
  source: string;
}

/** Other processes' CPU use while the trials ran (the machine's busy time less this process's). */
export interface OtherCpuLoad {
  /** Mean and highest over the trials, in cores (1 = one core busy all the time). */
  meanCores: number;
  maxCores: number;
  /** The load above which a measured whole-package figure is not trusted: 0.1 of a core. */
  limitCores: number;
  /**
   * True when a meter that measures the whole package (RAPL) ran while others used more than the
   * limit: their energy is in the figure, so compare and check do not call a difference real.
   */
  loaded: boolean;
}

/** Energy of a configuration; `status` says whether its headline figure was measured or estimated. */
export interface EnergyMeasured {
  status: 'measured' | 'estimated';
  /** The domains summed into the headline figures (GPU on a GPU device, CPU and DRAM on the CPU). */
  basis: { domains: string[]; figure: 'gross' };
  perQueryJ: number;
  /** Wh per 1,000 queries: AI Energy Score's unit. */
  whPer1k: number;
  queriesPerJ: number;
  /** 95 % confidence interval half-width of perQueryJ over the trials, and relative to it. */
  ci95PerQueryJ: number | null;
  ci95Relative: number | null;
  /** Each trial's headline energy per query, in order (for tests between runs). Absent in older files. */
  perTrialJ?: number[];
  /** Each trial's queries, index-aligned with perTrialJ (windows differ in queries). Absent in older files. */
  perTrialQueries?: number[];
  /**
   * Each trial's round (from 1), index-aligned with perTrialJ, where the run measured its
   * configurations in interleaved rounds (settings.protocol.rounds above 1); absent otherwise.
   */
  perTrialRound?: number[];
  net: { perQueryJ: number; whPer1k: number };
  avgPowerW: number;
  peakPowerW: number | null;
  trials: number;
  windowSeconds: number;
  idleSeconds: number;
  domains: Partial<Record<'gpu' | 'cpu' | 'dram', DomainEnergy>>;
  /** Estimated headlines: the CPU power model's band. Null when measured; absent in older files. */
  modelBand?: ModelBand | null;
  /** Other processes' CPU use during the trials; null where /proc/stat could not be read; absent in older files. */
  otherCpu?: OtherCpuLoad | null;
  meters: {
    name: string;
    domain: string;
    method: string;
    devices: string[];
    details: Record<string, string | number>;
  }[];
  warnings: string[];
}

export interface RatingUnrated {
  status: 'unrated';
  /** Why there is no rating, and how to get one. */
  reason: string;
  stars: null;
  scale: null;
}

/** The cohort a configuration was rated among. */
export interface RatingCohort {
  /** `reference`: a cohort shipped with the tool; `within-run`: this run's results; `user`: --cohort files. */
  kind: 'reference' | 'within-run' | 'user';
  /** Provenance in words, e.g. "AI Energy Score v1 leaderboard (February 2025)" or the files read. */
  source: string;
  task: string;
  hardware: string;
  /** Text generation only: AI Energy Score's model-size class. */
  sizeClass: SizeClass | null;
  /** Entries in the cohort (configurations or models). */
  size: number;
  /** The cohort's lowest and highest energy, kWh per 1,000 queries. */
  rangeKwhPer1k: [number, number];
}

export interface RatingRated {
  status: 'rated';
  stars: Stars;
  /** 0 (least energy, 5 stars) to 4 (most energy, 1 star). */
  band: Band;
  scale: ScaleName;
  /** Set when the energy lay outside the cohort's range and was put in the nearest band. */
  clamped: 'below' | 'above' | null;
  /** True when the cohort holds one entry: a rating against nobody else. */
  singleton: boolean;
  /**
   * The stars at the two ends of the energy's 95 % interval, fewest first; when they differ, the
   * measurement cannot tell those ratings apart. Null without an interval (one trial).
   */
  starsWithin95?: [Stars, Stars] | null;
  /** The energy that was rated (the headline figure), kWh per 1,000 queries: AI Energy Score's unit. */
  energyKwhPer1k: number;
  /** Whether that energy was measured or estimated: a rating is only as good as its energy. */
  energyStatus: 'measured' | 'estimated';
  cohort: RatingCohort;
}

export type Rating = RatingUnrated | RatingRated;

export interface LatencyFigures {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

/** p50 and p95 of a latency, in milliseconds. */
export interface LatencyQuantiles {
  p50: number;
  p95: number;
}

/**
 * A generative configuration's figures: the whole generation is the headline (energy per
 * query), split as optimum-benchmark does: a prefill-only pass (one new token) on its own
 * windows, and decode = generate − prefill over the tokens after the first.
 */
export interface GenerationFigures {
  /** The layout driven: genai, single, merged, pair, seq2seq or no-cache. */
  layout: string;
  /** The layout in words, with its files. */
  layoutDescription: string;
  /** False for a layout without a KV cache: its J/token is not comparable with cached runs. */
  cached: boolean;
  newTokensPerQuery: number;
  promptTokensPerQueryMean: number;
  /** The longest sequence the model takes, and where that figure came from. */
  contextTokens: number;
  contextSource: string;
  /** Prompts cut to fit the context with the budget. */
  promptsClipped: number;
  /** measured or estimated as the headline is, not-measured without energy. */
  energyStatus: 'measured' | 'estimated' | 'not-measured';
  /** Whole generation ÷ generated tokens, with its 95 % interval. */
  perTokenJ: number | null;
  ci95PerTokenJ: number | null;
  prefill: {
    perQueryJ: number | null;
    ci95PerQueryJ: number | null;
    trials: number;
    /** Time to the first token per query in the prefill-only pass. */
    latencyPerQueryMs: number | null;
  };
  decode: {
    perTokenJ: number | null;
    ci95PerTokenJ: number | null;
    /** Decode tokens per query: the budget less the one prefill gives. */
    tokensPerQuery: number;
  };
  /** New tokens per second of the generate loop, all queries of a batch counted. */
  tokensPerSecond: number;
  timeToFirstTokenMs: LatencyQuantiles;
  /** Between one new token and the next; null with a budget of one token. */
  interTokenLatencyMs: LatencyQuantiles | null;
  /** What was assumed for want of a config file. */
  assumptions: string[];
}

/** One figure comparing a configuration's outputs with its reference's on the same queries. */
export interface FidelityFigure {
  /**
   * What is compared: `top1-agreement`, `max-abs-logit-delta`, `cosine-mean`, `cosine-min`,
   * `token-agreement`, `kl-mean`, `span-agreement`, `relative-error-max`, `relative-error-mean`.
   */
  metric: string;
  value: number;
  /** The limit the figure is held to; null for a figure that is only reported. */
  threshold: number | null;
  /** Whether a passing value is at least (`min`) or at most (`max`) the threshold. */
  bound: 'min' | 'max';
  /** null where there is no threshold. */
  pass: boolean | null;
  /** The output compared (`logits`, `start_logits+end_logits`); absent for generation figures. */
  output?: string;
}

/**
 * How far a configuration's answers hold against its reference: label-free agreement on the
 * same inputs, computed outside the measured windows.
 */
export interface Fidelity {
  /** The reference configuration's id. */
  reference: string;
  /**
   * `same-model`: the reference is this model's fp32 at batch 1 (or a --reference of the same
   * model). `other-model`: agreement with another model named by --reference, not accuracy.
   */
  relation: 'same-model' | 'other-model';
  /** The headline figure: the first of `figures` that has a threshold. */
  metric: string;
  value: number;
  threshold: number;
  /** Every figure with a threshold passes. */
  pass: boolean;
  /** Queries compared. */
  queries: number;
  /** Every figure, the headline first. */
  figures: FidelityFigure[];
  /** Where the compared inputs came from (as `inputs.data.source`). */
  inputs: string;
  /** What was compared, in words ("top-1 class of `logits`, one row per query"). */
  basis?: string;
}

/** How a precision variant the folder lacked was made from its fp32 model. */
export interface Conversion {
  converted: true;
  /** The fp32 file it was made from, and its sha256 (the cache key with the converter version). */
  sourceFile: string;
  sourceSha256: string;
  /** What the converter did, in words (e.g. "fp16 (onnxruntime float16.py rules), keep_io_types, 3 ops kept fp32"). */
  recipe: string;
  converterVersion: string;
  /** The converted file in the cache. */
  cachedFile: string;
  /** Nodes by op type before and after, subgraphs included. */
  opCountsBefore: Record<string, number>;
  opCountsAfter: Record<string, number>;
}

export interface ConfigResult {
  /** model/precision/batch/device: unique within a run, stable across runs. */
  id: string;
  status: ConfigStatus;
  /** Why a configuration was skipped or failed. */
  reason?: string;
  model: {
    name: string;
    path: string;
    file: string;
    sha256: string | null;
    fileSizeBytes: number | null;
    parameters: number | null;
  };
  task: string;
  /** How the task was chosen: given with --task, or inferred (and from what). */
  taskSource: string;
  device: string;
  precision: string;
  batchSize: number;
  threads: number | null;
  /** Queries run in the measured loop (the warm-up is not counted). */
  queries: number;
  batches: number;
  warmupBatches: number;
  inputs: {
    /** Every dim the tool chose: a size, or how it varied per batch. */
    dims: Record<string, number | string>;
    /** Distinct pre-built batches cycled through the measured loop. */
    distinctBatches: number;
    tokensPerQueryMean: number | null;
    bytesPerBatchMax: number;
    /** Where the values came from; absent in results written before real inputs existed. */
    data?: InputData;
  } | null;
  sessionLoadMs: number | null;
  /** Per session.run call (one batch). */
  latencyMs: (LatencyFigures & Pick<Summary, 'min' | 'max' | 'stddev'>) | null;
  /** Per query: the batch latency divided by the queries in it. */
  latencyPerQueryMs: LatencyFigures | null;
  throughputQps: number | null;
  /** Wall time of the measured loop. */
  measuredSeconds: number | null;
  /** Highest resident set size sampled while the configuration ran. */
  peakRssMB: number | null;
  outlierBatches: number | null;
  warnings: string[];
  energy: EnergyNotMeasured | EnergyMeasured;
  rating: Rating;
  /** Generative configurations only (protocol: generation); absent for one-pass ones and in older files. */
  generation?: GenerationFigures;
  /** Present when the variant was converted in the tool; absent for the user's own files. */
  conversion?: Conversion;
  /** Agreement with the reference configuration; absent for the reference itself and in older files. */
  fidelity?: Fidelity;
}

export interface Environment {
  os: string;
  platform: string;
  arch: string;
  cpu: string;
  /** Logical CPUs (os.availableParallelism). */
  cpuCores: number;
  /** Physical cores, as systeminformation reads them; absent in older files. */
  cpuPhysicalCores?: number;
  /** The CPU's microarchitecture from CPUID family and model (or its flags), and how it was found; absent where unknown. */
  cpuMicroarchitecture?: string;
  /**
   * The CPU's int8-relevant instruction-set flags from /proc/cpuinfo (avx2, avx512_vnni, avx_vnni,
   * amx_int8, asimddp, i8mm, ...): int8 speed and saturation depend on them. Absent where
   * /proc/cpuinfo cannot be read, and in older files.
   */
  cpuFlags?: string[];
  memoryGB: number;
  nodeVersion: string;
  onnxruntimeVersion: string;
  toolVersion: string;
  hostname: string;
  /** GPUs nvidia-smi lists (empty without an NVIDIA driver). */
  gpus: GpuInventoryEntry[];
}

export interface RunDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'energy-score'; version: string };
  createdAt: string;
  /** True when the run stopped early (Ctrl-C, SIGTERM): what is here was measured in full. */
  interrupted: boolean;
  /**
   * False in every write made while the run goes on; true only in the last one. A file that
   * still says false was left by a run that crashed or was killed.
   */
  complete: boolean;
  /** What the run was asked to do: enough to run it again. The fields after `precisions` are absent in older files. */
  settings: {
    queries: number | null;
    warmup: number;
    /** --threads as given; null left ONNX Runtime's default, or gave several (then `threadCounts`). */
    threads: number | null;
    /** --threads with several counts, each a configuration (each result's `threads`). */
    threadCounts?: number[];
    seed: number;
    batchSizes: number[];
    devices: string[];
    precisions: string[] | null;
    /** The intra-op threads ONNX Runtime ran with: --threads, else its default of one per physical core; absent with several. */
    threadsUsed?: { count: number; source: 'given' | 'onnxruntime default: one per physical core' };
    /** ONNX Runtime's intra-op spinning, and why (--spin, or the default rule). Absent in older files. */
    spin?: { value: 'on' | 'off'; source: string };
    /** --task as given; null inferred it per model (each result says how). */
    task?: string | null;
    /** The models as given on the command line; empty ran the embedded demo. */
    models?: string[];
    /** --meter as given (auto, none or the meters named) and --gpus. */
    meter?: string[] | 'auto' | 'none';
    gpus?: number[] | null;
    /** The measurement protocol: idle seconds, window, interval target and trial limits. */
    protocol?: ProtocolSettings;
    /** --max-new-tokens: the budgets of generative configurations. */
    maxNewTokens?: number[];
    /** The command line that made this run (for the CLI), to rerun it. */
    commandLine?: string[];
  };
  environment: Environment;
  /** How the meters were chosen: fallbacks, and meters unavailable here. */
  energyNotes: string[];
  /** The grid carbon intensity and electricity price the reports convert energy with. Absent in older files. */
  carbon?: CarbonSettings;
  results: ConfigResult[];
}

export function energyNotMeasured(reason: string): EnergyNotMeasured {
  return { status: 'not-measured', reason, perQueryJ: null, whPer1k: null, queriesPerJ: null };
}

/** The energy of a configuration run with --meter none. */
export const ENERGY_NOT_MEASURED: EnergyNotMeasured = energyNotMeasured(
  '--meter none: no energy meter was used',
);

export const UNRATED: RatingUnrated = {
  status: 'unrated',
  reason: 'ratings need measured energy and a cohort',
  stars: null,
  scale: null,
};

/** What identifies a configuration; everything measured starts empty, energy with `energyReason`. */
export type ConfigIdentity = Pick<
  ConfigResult,
  'id' | 'model' | 'task' | 'taskSource' | 'device' | 'precision' | 'batchSize' | 'threads'
>;

export function blankResult(
  identity: ConfigIdentity,
  energyReason = 'no energy was measured for this configuration',
): ConfigResult {
  return {
    ...identity,
    status: 'ok',
    queries: 0,
    batches: 0,
    warmupBatches: 0,
    inputs: null,
    sessionLoadMs: null,
    latencyMs: null,
    latencyPerQueryMs: null,
    throughputQps: null,
    measuredSeconds: null,
    peakRssMB: null,
    outlierBatches: null,
    warnings: [],
    energy: energyNotMeasured(energyReason),
    rating: UNRATED,
  };
}
