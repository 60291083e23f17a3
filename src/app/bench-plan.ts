/**
 * The bench plan and its loop: models × precision variants × batch sizes × devices, one
 * configuration at a time, each result handed on as soon as it is measured.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnergyScoreError, usageError } from '../errors.js';
import { planInputs } from '../workload/input-plan.js';
import { suiteQuerySizes } from '../workload/query-sizes.js';
import { planBatches } from '../workload/batches.js';
import { checkBatchFits } from '../workload/memory-fit.js';
import { inspectModel, type ModelInfo } from '../model/inspect.js';
import {
  discoverModel,
  selectVariants,
  variantFileName,
  type MissingVariant,
  type ModelVariant,
  type Precision,
} from '../model/variants.js';
import { convertedVariant, defaultCacheDir } from '../convert/cache.js';
import { converterFor } from '../convert/registry.js';
import { ConversionRefused } from '../convert/types.js';
import type { Conversion } from '../result/schema.js';
import {
  detectLayout,
  filesFor,
  generativeMainFile,
  generativeSource,
  readGenerativeFiles,
  type GenerativeFiles,
  type RoleFiles,
} from '../workload/generation-layout.js';
import {
  SCHEMA_VERSION,
  blankResult,
  type ConfigResult,
  type Environment,
  type RunDocument,
} from '../result/schema.js';
import { inferTask } from '../workload/infer-task.js';
import type { InputOverrides } from '../workload/overrides.js';
import { getTask, type TaskDefinition } from '../workload/tasks.js';
import { checkTaskFits } from '../workload/modality.js';
import { TOOL_VERSION } from '../env/environment.js';
import { requireDevice, type Device } from '../runner/providers.js';
import { Rotation, type Turn } from '../runner/turns.js';
import type { Spin } from '../runner/spin.js';
import {
  configId,
  runConfiguration,
  type ConfigSpec,
  type EnergySetup,
  type RunHooks,
} from '../runner/run-config.js';
import { prepareData, type DataChoice } from '../inputs/prepare.js';

export interface BenchOptions {
  /** Model files or folders; empty runs the embedded demo. */
  models: string[];
  task: string | undefined;
  devices: Device[];
  precisions: Precision[] | undefined;
  /**
   * Batch sizes; undefined runs batch 1, or the batch a model fixes when its inputs have no
   * dynamic batch dim (the only one it can run).
   */
  batchSizes: number[] | undefined;
  /**
   * New tokens per query of generative models (--max-new-tokens), each a configuration; default
   * [10], AI Energy Score's budget.
   */
  maxNewTokens?: number[];
  /** Queries per configuration; undefined uses the task's standard suite size. */
  queries: number | undefined;
  warmup: number;
  /**
   * Intra-op threads: one count, or several, each a configuration (--threads 1,2,4); undefined
   * leaves ONNX Runtime's default.
   */
  threads: number | readonly number[] | undefined;
  seed: number;
  overrides: InputOverrides;
  /** Let ONNX Runtime print its own log lines on stderr (the CLI's --verbose); quiet by default. */
  onnxRuntimeLogs?: boolean;
  /** Intra-op spinning; undefined picks the default once the meters are known (src/runner/spin.ts). */
  spin?: Spin;
  /** Where input values come from (--data); by default the bundled set the model can take. */
  data?: DataChoice;
  /** Where converted variants are kept (--cache-dir); default defaultCacheDir(). */
  cacheDir?: string;
}

export interface BenchHooks {
  onPlanned?: (total: number) => void;
  /** At a configuration's start, and in interleaved rounds at each of its later turns (`round` from 1). */
  onConfigStart?: (spec: PlannedConfig, index: number, total: number, round?: number) => void;
  onProgress?: (queriesDone: number, queriesTotal: number) => void;
  onConfigEnd?: (result: ConfigResult, document: RunDocument) => void | Promise<void>;
  signal?: AbortSignal;
  /** Runs each configuration through this (the fidelity check samples it and adds its record). */
  around?: (spec: ConfigSpec, run: (extra: RunHooks) => Promise<ConfigResult>) => Promise<ConfigResult>;
}

/** A configuration ready to run, or one known in advance to be skipped. */
export type PlannedConfig =
  | { spec: ConfigSpec; skipped?: undefined; conversion?: Conversion }
  | { spec?: undefined; skipped: ConfigResult; conversion?: undefined };

const ZOO_DIR = fileURLToPath(new URL('../../../fixtures/zoo/', import.meta.url));

/** The embedded default: the bundled text-classification encoders, compared as one cohort. */
export const DEMO_MODELS = ['encoder-tiny', 'encoder-small', 'encoder-medium'].map((name) =>
  path.join(ZOO_DIR, name),
);

export async function planBench(options: BenchOptions): Promise<PlannedConfig[]> {
  // The first warm-up batch's outputs are checked for NaN and infinities, so one is the least.
  if (!Number.isSafeInteger(options.warmup) || options.warmup < 1) {
    throw usageError(
      `--warmup ${options.warmup}: at least 1 warm-up batch is run (its outputs are checked for NaN)`,
      'for example --warmup 5',
    );
  }
  for (const device of options.devices) requireDevice(device);
  const fixedTask = options.task !== undefined ? getTask(options.task) : undefined;
  const planned: PlannedConfig[] = [];
  const modelArgs = options.models.length > 0 ? options.models : DEMO_MODELS;
  const threadCounts = threadCountsOf(options);
  const threadsInId = threadCounts.length > 1;

  for (const argument of modelArgs) {
    const generativeFiles = options.models.length > 0 ? await readGenerativeFiles(argument) : null;
    const generativeFolder = (generativeFiles && generativeSource(argument, generativeFiles)) || undefined;
    const source = generativeFolder ?? (await discoverModel(argument));
    const chosen = selectVariants(source, options.precisions);
    const { selected, missing, conversions } = await convertMissing(
      source.name,
      source.variants,
      chosen,
      generativeFolder ? generativeFiles! : undefined,
      options.cacheDir ?? defaultCacheDir(),
    );
    const infos = new Map<string, ModelInfo>();
    for (const variant of selected) infos.set(variant.path, await inspectModel(variant.path));

    let task: TaskDefinition;
    let taskSource: string;
    if (fixedTask) {
      task = fixedTask;
      taskSource = 'given with --task';
    } else {
      const first = selected[0] ? infos.get(selected[0].path) : undefined;
      const inferred = first
        ? inferTask(first)
        : { task: 'custom' as const, reason: 'no variant to inspect' };
      task = getTask(inferred.task);
      taskSource = `inferred: ${inferred.reason}`;
      // The decoder of a speech or vision encoder-decoder looks like a summarizer's; its encoder says otherwise.
      const encoderFile = generativeFiles?.files.encoder;
      if (encoderFile && source.variants.some((v) => v.path === generativeMainFile(generativeFiles)?.path)) {
        const encoder = await inspectModel(encoderFile);
        if (encoder.inputs.some((i) => i.name === 'input_features')) {
          task = getTask('automatic-speech-recognition');
          taskSource = 'inferred: a speech encoder (input_features) and a text decoder';
        } else if (encoder.inputs.some((i) => i.name === 'pixel_values')) {
          task = getTask('image-captioning');
          taskSource = 'inferred: an image encoder (pixel_values) and a text decoder';
        }
      }
    }

    const firstModel = selected[0] ? infos.get(selected[0].path) : undefined;
    if (fixedTask && firstModel) checkTaskFits(firstModel, source.name, task);

    // Generative tasks run the generation loop where a layout is found, one pass where none is.
    const generative = new Map<string, GenerationPlan>();
    if (generativeFiles && GENERATIVE_TASKS.includes(task.name)) {
      for (const variant of selected) {
        const detection = await detectLayout({
          model: infos.get(variant.path)!,
          files: filesFor(generativeFiles, variant.precision),
          overrides: options.overrides,
          inspect: inspectModel,
        });
        generative.set(variant.path, detection);
      }
    }
    const budgets = options.maxNewTokens ?? [DEFAULT_MAX_NEW_TOKENS];
    const base = (
      variant: (typeof selected)[number],
      batchSize: number,
      device: Device,
      threads: number | undefined,
    ): ConfigSpec => ({
      modelName: source.name,
      precision: variant.precision,
      model: infos.get(variant.path)!,
      task,
      taskSource,
      device,
      batchSize,
      threads,
      threadsInId,
      queries: options.queries ?? task.queries,
      warmup: options.warmup,
      seed: options.seed,
      overrides: options.overrides,
      onnxRuntimeLogs: options.onnxRuntimeLogs ?? false,
    });
    for (const variant of selected) {
      const detection = generative.get(variant.path);
      if (detection === undefined || detection.status === 'none') continue;
      for (const batchSize of options.batchSizes ?? [DEFAULT_BATCH]) {
        for (const device of options.devices) {
          for (const maxNewTokens of budgets) {
            for (const threads of threadCounts) {
              if (detection.status === 'unsupported') {
                const skipped = skippedResult(
                  source.name,
                  argument,
                  variant.precision,
                  batchSize,
                  device,
                  task,
                  '',
                );
                planned.push({
                  skipped: {
                    ...skipped,
                    id: configId(source.name, variant.precision, batchSize, device, {
                      maxNewTokens,
                      threads: threadsInId ? threads : undefined,
                    }),
                    reason: `no generation loop for this layout: ${detection.reason}`,
                  },
                });
              } else {
                const conversion = conversions.get(variant.path);
                planned.push({
                  spec: {
                    ...base(variant, batchSize, device, threads),
                    generation: { layout: detection.layout, maxNewTokens },
                  },
                  ...(conversion ? { conversion } : {}),
                });
              }
            }
          }
        }
      }
    }
    const onePass = selected.filter((v) => {
      const detection = generative.get(v.path);
      return detection === undefined || detection.status === 'none';
    });

    // Pins and sizes are checked for every variant before anything runs, so a --dim that fits
    // one model but not the next fails at once, naming the model, not half-way through.
    const batchesOf = new Map<string, number[]>();
    for (const variant of onePass) {
      const batches = checkInputs(source.name, variant.precision, infos.get(variant.path)!, task, options);
      batchesOf.set(variant.path, batches);
    }
    // Data is read and preprocessed once per model, for the inputs of its first one-pass variant
    // (a generation builds its own prompts).
    const firstInfo = onePass[0] ? infos.get(onePass[0].path) : undefined;
    const data = firstInfo
      ? await prepareData({
          choice: options.data ?? { kind: 'default' },
          model: firstInfo,
          plan: planInputs(firstInfo, task, options.overrides, `${source.name} (${onePass[0]!.precision})`),
          task,
          queries: options.queries ?? task.queries,
          seed: options.seed,
        })
      : undefined;

    for (const variant of onePass) {
      const detection = generative.get(variant.path);
      const planWarnings =
        detection?.status === 'none'
          ? [`no generative layout (${detection.reason}): one forward pass per query, not a generation`]
          : undefined;
      for (const batchSize of batchesOf.get(variant.path)!) {
        for (const device of options.devices) {
          for (const threads of threadCounts) {
            const conversion = conversions.get(variant.path);
            planned.push({
              spec: {
                ...base(variant, batchSize, device, threads),
                ...(planWarnings ? { planWarnings } : {}),
                ...(data ? { data } : {}),
              },
              ...(conversion ? { conversion } : {}),
            });
          }
        }
      }
    }
    for (const gap of missing) {
      for (const batchSize of options.batchSizes ?? [DEFAULT_BATCH]) {
        for (const device of options.devices) {
          for (const threads of threadCounts) {
            const skipped = skippedResult(
              source.name,
              argument,
              gap.precision,
              batchSize,
              device,
              task,
              gap.reason,
            );
            if (threadsInId && threads !== undefined) {
              skipped.id = configId(source.name, gap.precision, batchSize, device, { threads });
              skipped.threads = threads;
            }
            planned.push({ skipped });
          }
        }
      }
    }
  }
  if (!planned.some((p) => p.spec)) {
    const reasons = [...new Set(planned.map((p) => p.skipped?.reason))].join('; ');
    throw usageError(
      `nothing to run: ${reasons}`,
      'choose precisions the model has with --precision, or leave it out to run every variant found',
    );
  }
  return planned;
}

/**
 * Makes the requested variants a model lacks from its fp32 file where a converter exists: the
 * converted file (from the cache or made now) joins the selected variants; a model the converter
 * refuses stays missing, with the reason and the file name that would hold the user's own variant.
 * A generative folder (a decoder pair, a merged decoder, an encoder-decoder) has each of its fp32
 * files converted, and the converted set takes the precision's place among its files.
 */
async function convertMissing(
  name: string,
  variants: ModelVariant[],
  chosen: { selected: ModelVariant[]; missing: MissingVariant[] },
  generative: GenerativeFiles | undefined,
  cacheDir: string,
): Promise<{ selected: ModelVariant[]; missing: MissingVariant[]; conversions: Map<string, Conversion> }> {
  const selected = [...chosen.selected];
  const missing: MissingVariant[] = [];
  const conversions = new Map<string, Conversion>();
  const fp32 = variants.find((v) => v.precision === 'fp32');
  for (const gap of chosen.missing) {
    // A genai folder names its decoder in genai_config.json, which a converted file would not match.
    if (!fp32 || !converterFor(gap.precision) || (generative?.genaiConfig && generative.files.genaiDecoder)) {
      missing.push(gap);
      continue;
    }
    const base = path.basename(fp32.path, '.onnx');
    try {
      if (generative) {
        const made = await convertFolder(generative, gap.precision, cacheDir);
        if (made) {
          selected.push({ precision: gap.precision, path: made.path });
          conversions.set(made.path, made.conversion);
        } else missing.push(gap);
        continue;
      }
      const made = await convertedVariant(fp32.path, gap.precision, cacheDir);
      selected.push({ precision: gap.precision, path: made.path });
      conversions.set(made.path, made.conversion);
    } catch (err) {
      if (!(err instanceof ConversionRefused)) throw err;
      missing.push({
        precision: gap.precision,
        reason:
          `${name} has no ${gap.precision} variant and the converter refused to make one: ${err.message}; ` +
          `to bench your own, put it beside ${base}.onnx as ${variantFileName(base, gap.precision)}`,
      });
    }
  }
  return { selected, missing, conversions };
}

/**
 * Converts every fp32 file of a generative folder and files the results under the precision, so
 * that the layout detection finds them; the conversion recorded is the main file's, its recipe
 * naming the other files converted with it.
 */
async function convertFolder(
  found: GenerativeFiles,
  precision: Precision,
  cacheDir: string,
): Promise<{ path: string; conversion: Conversion } | undefined> {
  const roles: RoleFiles = {};
  const made = new Map<string, Conversion>();
  for (const [role, file] of Object.entries(found.files) as [keyof RoleFiles, string][]) {
    if (role === 'genaiDecoder') continue;
    try {
      const converted = await convertedVariant(file, precision, cacheDir);
      roles[role] = converted.path;
      made.set(converted.path, converted.conversion);
    } catch (err) {
      if (err instanceof ConversionRefused)
        throw new ConversionRefused(`${path.basename(file)}: ${err.message}`);
      throw err;
    }
  }
  found.byPrecision[precision] = roles;
  const main = generativeMainFile(filesFor(found, precision));
  const conversion = main && made.get(main.path);
  if (!main || !conversion) return undefined;
  const others = [...made.values()].filter((c) => c !== conversion).map((c) => path.basename(c.sourceFile));
  const recipe =
    others.length > 0 ? `${conversion.recipe}; ${others.join(', ')} converted alike` : conversion.recipe;
  return { path: main.path, conversion: { ...conversion, recipe } };
}

/** The thread counts to run, each a configuration; [undefined] leaves ONNX Runtime's default. */
export function threadCountsOf(options: Pick<BenchOptions, 'threads'>): (number | undefined)[] {
  const { threads } = options;
  if (threads === undefined) return [undefined];
  if (typeof threads === 'number') return [threads];
  return threads.length > 0 ? [...new Set(threads)] : [undefined];
}

/** AI Energy Score's budget of new tokens per query for text generation (min = max). */
export const DEFAULT_MAX_NEW_TOKENS = 10;

/** Tasks that generate: run through the generation loop where the model has a layout for it. */
const GENERATIVE_TASKS: string[] = [
  'text-generation',
  'summarization',
  'automatic-speech-recognition',
  'image-captioning',
];

type GenerationPlan = Awaited<ReturnType<typeof detectLayout>>;

/** AI Energy Score's batch size, used unless --batch or the model says otherwise. */
export const DEFAULT_BATCH = 1;

/** Checks a variant's inputs at each batch size it will run, and returns those batch sizes. */
function checkInputs(
  name: string,
  precision: string,
  model: ModelInfo,
  task: TaskDefinition,
  options: BenchOptions,
): number[] {
  const plan = planInputs(model, task, options.overrides, `${name} (${precision})`);
  const sizes = suiteQuerySizes(plan, task, options.queries ?? task.queries, options.seed);
  const batchSizes = options.batchSizes ?? [plan.fixedBatch ?? DEFAULT_BATCH];
  for (const batchSize of batchSizes) {
    if (plan.fixedBatch !== undefined && plan.fixedBatch !== batchSize) continue;
    try {
      checkBatchFits(plan, planBatches(plan, sizes, batchSize));
    } catch (err) {
      if (err instanceof EnergyScoreError) {
        throw new EnergyScoreError(
          err.kind,
          `${name} (${precision}) at batch ${batchSize}: ${err.message}`,
          err.hint,
        );
      }
      throw err;
    }
  }
  return batchSizes;
}

function skippedResult(
  name: string,
  argument: string,
  precision: string,
  batchSize: number,
  device: Device,
  task: TaskDefinition,
  reason: string,
): ConfigResult {
  const identity = {
    id: configId(name, precision, batchSize, device),
    model: { name, path: argument, file: '', sha256: null, fileSizeBytes: null, parameters: null },
    task: task.name,
    taskSource: '',
    device,
    precision,
    batchSize,
    threads: null,
  };
  return { ...blankResult(identity, 'the configuration was skipped'), status: 'skipped', reason };
}

/** What a run records beside its options, so that it can be run again. */
export type RunSettingsExtra = Pick<
  RunDocument['settings'],
  'meter' | 'gpus' | 'protocol' | 'commandLine' | 'spin'
>;

/** The batch sizes a plan runs, smallest first: what the settings record when --batch was left out. */
function plannedBatchSizes(planned: PlannedConfig[]): number[] {
  const sizes = new Set(planned.map((p) => (p.spec ? p.spec.batchSize : p.skipped.batchSize)));
  return [...sizes].sort((a, b) => a - b);
}

export function newDocument(
  options: BenchOptions,
  environment: Environment,
  extra: RunSettingsExtra = {},
  planned: PlannedConfig[] = [],
): RunDocument {
  const physical = environment.cpuPhysicalCores ?? environment.cpuCores;
  const counts = threadCountsOf(options);
  const single = counts.length === 1 ? counts[0] : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'energy-score', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    interrupted: false,
    complete: false,
    settings: {
      queries: options.queries ?? null,
      warmup: options.warmup,
      threads: single ?? null,
      ...(counts.length > 1 ? { threadCounts: counts.filter((c): c is number => c !== undefined) } : {}),
      seed: options.seed,
      batchSizes: options.batchSizes ?? (planned.length > 0 ? plannedBatchSizes(planned) : [DEFAULT_BATCH]),
      devices: options.devices,
      precisions: options.precisions ?? null,
      ...(counts.length > 1
        ? {}
        : {
            threadsUsed:
              single !== undefined
                ? { count: single, source: 'given' as const }
                : { count: physical, source: 'onnxruntime default: one per physical core' as const },
          }),
      task: options.task ?? null,
      models: options.models,
      ...(planned.some((p) => p.spec?.generation)
        ? { maxNewTokens: options.maxNewTokens ?? [DEFAULT_MAX_NEW_TOKENS] }
        : {}),
      ...extra,
    },
    environment,
    energyNotes: [],
    results: [],
  };
}

/**
 * Runs the plan; the document grows by one result per configuration, in plan order, handed to
 * onConfigEnd. Without `energy`, `unmeteredReason` says why (default: --meter none). With
 * `energy.protocol.rounds` above 1 the configurations take turns (turns.ts): each one's trials
 * run in that many slices, round after round, its session open throughout.
 */
export async function runBench(
  planned: PlannedConfig[],
  document: RunDocument,
  hooks: BenchHooks = {},
  energy?: EnergySetup,
  unmeteredReason?: string,
): Promise<RunDocument> {
  hooks.onPlanned?.(planned.length);
  const rounds = energy ? (energy.protocol.rounds ?? 1) : 1;
  const runOne = async (
    item: PlannedConfig,
    index: number,
    signal: AbortSignal | undefined,
    turn?: Turn,
  ): Promise<ConfigResult> => {
    hooks.onConfigStart?.(item, index, planned.length, turn ? 1 : undefined);
    const spec = item.spec;
    if (!spec) return item.skipped;
    let round = 1;
    const counted: Turn | undefined = turn && {
      slices: turn.slices,
      pass: async (satisfied) => {
        const next = await turn.pass(satisfied);
        round++;
        if (next.othersRan && !next.stop) hooks.onConfigStart?.(item, index, planned.length, round);
        return next;
      },
    };
    const run = (extra: RunHooks) =>
      runConfiguration(energy ? { ...spec, energy } : { ...spec, unmeteredReason }, {
        onProgress: hooks.onProgress,
        ...(signal ? { signal } : {}),
        ...(counted ? { turn: counted } : {}),
        ...extra,
      });
    const result = await (hooks.around ? hooks.around(spec, run) : run({}));
    if (item.conversion) markConverted(result, item.conversion);
    return result;
  };
  const record = async (result: ConfigResult) => {
    if (result.status === 'interrupted') document.interrupted = true;
    document.results.push(result);
    await hooks.onConfigEnd?.(result, document);
  };

  if (rounds <= 1) {
    for (const [index, item] of planned.entries()) {
      if (hooks.signal?.aborted) {
        document.interrupted = true;
        break;
      }
      await record(await runOne(item, index, hooks.signal));
    }
    return document;
  }

  // Every configuration joins the rotation at once; they run one at a time. Results are
  // recorded in plan order as soon as those before them are in. An error ends the run as it
  // does in order: the others, on their next turn, stop at once.
  const rotation = new Rotation(rounds);
  const failed = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, failed.signal]) : failed.signal;
  const done: (ConfigResult | null | undefined)[] = planned.map(() => undefined);
  let recorded = 0;
  const flush = async () => {
    while (recorded < done.length && done[recorded] !== undefined) {
      const result = done[recorded++];
      if (result) await record(result);
    }
  };
  const settled = await Promise.allSettled(
    planned.map((item, index) =>
      rotation.run(async (turn) => {
        try {
          // A configuration whose first turn comes after Ctrl-C is left out, as it is when run in order.
          done[index] = signal.aborted
            ? null
            : await runOne(item, index, signal, item.spec ? turn : undefined);
          // Recorded before the machine passes on (one turn at a time), so the file keeps up.
          if (!failed.signal.aborted) await flush();
        } catch (err) {
          failed.abort();
          throw err;
        }
      }),
    ),
  );
  const error = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (error) throw error.reason;
  if (hooks.signal?.aborted) document.interrupted = true;
  return document;
}

/**
 * Records the conversion on a converted variant's result. A converted model that ONNX Runtime
 * cannot load, or whose outputs hold NaN, is the converter's failure, not a variant the provider
 * lacks: `failed`, not `skipped`, and the reason names the conversion.
 */
function markConverted(result: ConfigResult, conversion: Conversion): void {
  result.conversion = conversion;
  if (result.status === 'skipped' || result.status === 'failed') {
    result.status = 'failed';
    result.reason = `the converted ${result.precision} model (${conversion.recipe}) did not run: ${result.reason ?? 'no reason given'}`;
  }
}
