/**
 * The fidelity check of a bench run: each configuration's answers against its reference's, on
 * the same first queries of the suite, taken after its measured trials (never inside a window).
 * The reference is the same model's fp32 at batch 1 (at its batch, where its inputs fix one) on
 * the run's first device, or what --reference names; it is sampled when it runs, or loaded for
 * the sample alone (not measured) when it is not among the benched configurations or runs later. A reference sample is dropped
 * once the last configuration compared with it is done, so memory stays at one sample per
 * reference in use.
 */
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';
import { compareSamples, fidelityRecord, nonFiniteIn } from '../fidelity/compare.js';
import type { FidelityLimits } from '../fidelity/thresholds.js';
import { inspectModel, type ModelInfo } from '../model/inspect.js';
import {
  discoverModel,
  PRECISIONS,
  parsePrecision,
  selectVariants,
  type Precision,
} from '../model/variants.js';
import type { ConfigResult, Fidelity } from '../result/schema.js';
import { parseDevice, type Device } from '../runner/providers.js';
import { configId, isSampled, openWorkload, type ConfigSpec, type RunHooks } from '../runner/run-config.js';
import type { OutputSample, Workload } from '../runner/workload.js';
import { planInputs } from '../workload/input-plan.js';
import type { PlannedConfig } from './bench-plan.js';

export interface FidelityRequest {
  /** Queries compared per configuration (fewer when the suite has fewer); 0 turns the check off. */
  queries: number;
  /** --reference as given: a configuration id, a model name, `model/precision`, or a precision. */
  reference?: string;
  limits: FidelityLimits;
}

/** What --reference names; the parts left out follow the default reference. */
export interface ReferenceTarget {
  model?: string;
  precision: Precision;
  batchSize?: number;
  device?: Device;
  maxNewTokens?: number;
  threads?: number;
}

const REFERENCE_HINT =
  'give a configuration id (encoder-tiny/fp32/b1/cpu), a model name (encoder-tiny), model/precision (encoder-tiny/fp16) or a precision (fp32)';

/** Parses --reference; a bad one is a usage error. */
export function parseReference(text: string): ReferenceTarget {
  const parts = text.trim().split('/');
  if (parts.some((p) => p === ''))
    throw usageError(`--reference '${text}' has an empty part`, REFERENCE_HINT);
  if (parts.length === 1) {
    const only = parts[0]!;
    return (PRECISIONS as readonly string[]).includes(only.toLowerCase())
      ? { precision: parsePrecision(only) }
      : { model: only, precision: 'fp32' };
  }
  const [model, precision, batch, device, ...rest] = parts;
  const target: ReferenceTarget = { model: model!, precision: parsePrecision(precision!) };
  if (batch !== undefined) {
    const m = /^b(\d+)$/.exec(batch);
    if (!m || Number(m[1]) < 1)
      throw usageError(`--reference '${text}': '${batch}' is not a batch (b1, b8…)`, REFERENCE_HINT);
    target.batchSize = Number(m[1]);
  }
  if (device !== undefined) target.device = parseDevice(device);
  for (const part of rest) {
    const m = /^([nt])(\d+)$/.exec(part);
    if (!m || Number(m[2]) < 1) {
      throw usageError(
        `--reference '${text}': '${part}' is neither a token budget (n10) nor a thread count (t2)`,
        REFERENCE_HINT,
      );
    }
    if (m[1] === 'n') target.maxNewTokens = Number(m[2]);
    else target.threads = Number(m[2]);
  }
  return target;
}

/** A configuration's id, as its result will have it. */
export function specId(spec: ConfigSpec): string {
  return configId(spec.modelName, spec.precision, spec.batchSize, spec.device, {
    threads: spec.threadsInId ? spec.threads : undefined,
    maxNewTokens: spec.generation?.maxNewTokens,
  });
}

/** A reference's sample with where its inputs came from, or why there is none. */
type ReferenceSample = { sample: OutputSample; inputs: string } | { problem: string };

interface Reference {
  id: string;
  relation: Fidelity['relation'];
  /** How to run it for the sample alone; a problem when it cannot be (no such variant). */
  spec: ConfigSpec | { problem: string };
}

export interface FidelityDeps {
  /** Opens a workload for a reference sampled alone (tests inject a fake). */
  open?: (spec: ConfigSpec) => Workload;
  /** Finds a variant the run does not bench (the reference's precision), for a one-pass model. */
  findVariant?: (base: ConfigSpec, precision: Precision) => Promise<ModelInfo | undefined>;
}

async function findVariantBeside(base: ConfigSpec, precision: Precision): Promise<ModelInfo | undefined> {
  const source = await discoverModel(path.dirname(base.model.path));
  const found = selectVariants(source, [precision]).selected[0];
  return found ? inspectModel(found.path) : undefined;
}

/**
 * Plans the check over the run's configurations: which reference each is compared with. Undefined
 * when it is off. A --reference naming a model the run does not bench is a usage error.
 */
export async function planFidelity(
  configs: readonly PlannedConfig[],
  request: FidelityRequest,
  deps: FidelityDeps = {},
): Promise<FidelityTracker | undefined> {
  if (request.queries === 0) return undefined;
  const specs = configs.flatMap((c) => (c.spec ? [c.spec] : []));
  if (specs.length === 0) return undefined;
  const target =
    request.reference !== undefined ? parseReference(request.reference) : { precision: 'fp32' as const };
  const models = [...new Set(specs.map((s) => s.modelName))];
  if (target.model !== undefined && !models.includes(target.model)) {
    throw usageError(
      `--reference ${request.reference}: no model named '${target.model}' in this run`,
      `the run's models: ${models.join(', ')}`,
    );
  }
  const findVariant = deps.findVariant ?? findVariantBeside;
  const byId = new Map(specs.map((s) => [specId(s), s]));
  const references = new Map<string, Reference>();
  const referenceOf = new Map<string, Reference>();
  for (const spec of specs) {
    const model = target.model ?? spec.modelName;
    const sameModel = specs.filter((s) => s.modelName === model);
    const first = sameModel[0]!;
    const maxNewTokens = target.maxNewTokens ?? spec.generation?.maxNewTokens;
    // `int8` names the _quantized file where there is no _int8 one, benched as q8 (model/variants.ts).
    const precision =
      target.precision === 'int8' &&
      !sameModel.some((s) => s.precision === 'int8') &&
      sameModel.some((s) => s.precision === 'q8')
        ? ('q8' as const)
        : target.precision;
    const wanted = {
      precision,
      batchSize: target.batchSize ?? fixedBatchOf(first) ?? 1,
      device: target.device ?? specs[0]!.device,
      threads: target.threads ?? first.threads,
    };
    const id = configId(model, wanted.precision, wanted.batchSize, wanted.device, {
      threads: first.threadsInId ? wanted.threads : undefined,
      maxNewTokens,
    });
    let reference = references.get(id);
    if (!reference) {
      reference = {
        id,
        relation: model === spec.modelName ? 'same-model' : 'other-model',
        spec: await referenceSpec(id, wanted, sameModel, maxNewTokens, byId, findVariant),
      };
      references.set(id, reference);
    }
    referenceOf.set(specId(spec), {
      ...reference,
      relation: model === spec.modelName ? 'same-model' : 'other-model',
    });
  }
  return new FidelityTracker(referenceOf, request, deps.open ?? openWorkload);
}

/** The batch a model's inputs fix (it runs at no other), or undefined when the batch is free. */
function fixedBatchOf(spec: ConfigSpec): number | undefined {
  if (spec.generation) return undefined;
  try {
    return planInputs(spec.model, spec.task, spec.overrides).fixedBatch;
  } catch {
    return undefined;
  }
}

async function referenceSpec(
  id: string,
  wanted: { precision: Precision; batchSize: number; device: Device; threads: number | undefined },
  sameModel: ConfigSpec[],
  maxNewTokens: number | undefined,
  byId: ReadonlyMap<string, ConfigSpec>,
  findVariant: NonNullable<FidelityDeps['findVariant']>,
): Promise<ConfigSpec | { problem: string }> {
  const planned = byId.get(id);
  if (planned) return planned;
  const variant = (s: ConfigSpec) =>
    s.precision === wanted.precision && s.generation?.maxNewTokens === maxNewTokens;
  const base = sameModel.find(variant);
  const clone = (from: ConfigSpec, extra: Partial<ConfigSpec> = {}): ConfigSpec => ({
    ...from,
    ...extra,
    batchSize: wanted.batchSize,
    device: wanted.device,
    threads: wanted.threads,
    planWarnings: [],
  });
  if (base) return clone(base);
  const onePass = sameModel.find((s) => !s.generation);
  const model = sameModel[0]!.modelName;
  if (!onePass) {
    return {
      problem: `the reference ${id} is not among the benched configurations: add ${wanted.precision} to --precision`,
    };
  }
  try {
    const info = await findVariant(onePass, wanted.precision);
    if (!info)
      return {
        problem: `${model} has no ${wanted.precision} variant to compare against: name another with --reference`,
      };
    return clone(onePass, { model: info, precision: wanted.precision });
  } catch (err) {
    return { problem: `the ${wanted.precision} variant of ${model} could not be read: ${errorMessage(err)}` };
  }
}

const inputsOf = (workload: Workload): string =>
  (workload as { inputs?: ConfigResult['inputs'] }).inputs?.data?.source ?? 'synthetic';

/** Runs each configuration with its sample taken after the trials, and adds its fidelity record. */
export class FidelityTracker {
  private readonly samples = new Map<string, ReferenceSample>();
  /** Configurations still to be compared with each reference: its sample is dropped at 0. */
  private readonly remaining = new Map<string, number>();

  constructor(
    /** Each configuration's reference, by configuration id. */
    private readonly referenceOf: ReadonlyMap<string, Reference>,
    private readonly request: FidelityRequest,
    private readonly open: (spec: ConfigSpec) => Workload,
  ) {
    for (const [id, reference] of referenceOf) {
      if (id !== reference.id) this.remaining.set(reference.id, (this.remaining.get(reference.id) ?? 0) + 1);
    }
  }

  /** The reference a configuration is compared with; undefined for the reference itself. */
  referenceFor(spec: ConfigSpec): string | undefined {
    const id = specId(spec);
    const reference = this.referenceOf.get(id);
    return reference && reference.id !== id ? reference.id : undefined;
  }

  /** References whose sample is held now (at most those some configuration still needs). */
  heldReferences(): string[] {
    return [...this.samples.keys()];
  }

  private count(spec: ConfigSpec): number {
    return Math.min(this.request.queries, spec.queries);
  }

  /** For BenchHooks.around: runs the configuration and gives its result with fidelity. */
  readonly around = async (
    spec: ConfigSpec,
    run: (extra: RunHooks) => Promise<ConfigResult>,
  ): Promise<ConfigResult> => {
    const reference = this.referenceOf.get(specId(spec));
    if (!reference) return run({});
    if (reference.id === specId(spec)) return this.runReference(spec, reference, run);
    if (!('problem' in reference.spec) && reference.spec.task.name !== spec.task.name) {
      this.done(reference.id);
      return notComputed(
        await run({}),
        `the reference ${reference.id} runs ${reference.spec.task.name}, this configuration ${spec.task.name}`,
      );
    }

    let referenceSample = this.samples.get(reference.id);
    if (!referenceSample) {
      referenceSample = await this.sampleAlone(reference);
      this.samples.set(reference.id, referenceSample);
    }
    let candidate: OutputSample | { problem: string } | undefined;
    const forced =
      'sample' in referenceSample && referenceSample.sample.kind === 'generation'
        ? referenceSample.sample.queries.map((q) => q.tokens)
        : undefined;
    const result = await run(
      'sample' in referenceSample
        ? {
            afterTrials: async (workload) => {
              if (!isSampled(workload)) {
                candidate = { problem: 'this configuration cannot give its outputs' };
                return;
              }
              try {
                // No more queries than the reference gave (its sample may have stopped at its byte cap).
                const count = Math.min(this.count(spec), referenceSample.sample.queries.length);
                candidate = await workload.sampleOutputs(count, forced);
              } catch (err) {
                candidate = { problem: `its sample failed: ${errorMessage(err)}` };
              }
            },
          }
        : {},
    );
    this.done(reference.id);
    if (result.status !== 'ok') return result;
    if ('problem' in referenceSample) return notComputed(result, referenceSample.problem);
    if (!candidate) return notComputed(result, 'this configuration gave no sample');
    if ('problem' in candidate) return notComputed(result, candidate.problem);
    const nonFinite = nonFiniteIn(candidate);
    if (nonFinite) {
      return {
        ...result,
        status: 'failed',
        reason: `${nonFinite}: the model or its ${spec.precision} variant is numerically broken`,
      };
    }
    const comparison = compareSamples(spec.task.name, referenceSample.sample, candidate, this.request.limits);
    if (!comparison.ok) return notComputed(result, comparison.problem);
    const fidelity = fidelityRecord(
      {
        reference: reference.id,
        relation: reference.relation,
        inputs: result.inputs?.data?.source ?? 'synthetic',
      },
      comparison,
    );
    const warnings = comparison.missing?.length
      ? [
          `fidelity: ${comparison.missing.map((n) => `'${n}'`).join(', ')} not compared (not split per query at batch ${spec.batchSize})`,
        ]
      : [];
    return { ...result, fidelity, warnings: [...result.warnings, ...warnings] };
  };

  /** The reference's own run: its sample is taken after its trials if a later configuration needs it. */
  private async runReference(
    spec: ConfigSpec,
    reference: Reference,
    run: (extra: RunHooks) => Promise<ConfigResult>,
  ): Promise<ConfigResult> {
    if (this.samples.has(reference.id) || !this.remaining.get(reference.id)) return run({});
    let sample: ReferenceSample | undefined;
    const result = await run({
      afterTrials: async (workload) => {
        sample = await this.takeSample(workload, this.count(spec), reference.id);
      },
    });
    this.samples.set(
      reference.id,
      sample ?? {
        problem: `the reference ${reference.id} ${result.status === 'ok' ? 'gave no sample' : `is ${result.status}: ${result.reason ?? ''}`}`,
      },
    );
    return result;
  }

  /** Loads the reference for its sample alone (not measured), then releases it. */
  private async sampleAlone(reference: Reference): Promise<ReferenceSample> {
    if ('problem' in reference.spec) return { problem: reference.spec.problem };
    const spec = reference.spec;
    const workload = this.open(spec);
    try {
      const preparation = await workload.prepare();
      if (preparation.status !== 'ready') {
        return { problem: `the reference ${reference.id} was ${preparation.status}: ${preparation.reason}` };
      }
      return await this.takeSample(workload, this.count(spec), reference.id);
    } catch (err) {
      return { problem: `the reference ${reference.id} could not run: ${errorMessage(err)}` };
    } finally {
      await workload.release();
    }
  }

  private async takeSample(workload: Workload, count: number, id: string): Promise<ReferenceSample> {
    if (!isSampled(workload)) return { problem: `the reference ${id} cannot give its outputs` };
    try {
      const sample = await workload.sampleOutputs(count);
      const nonFinite = nonFiniteIn(sample);
      if (nonFinite) return { problem: `the reference ${id}'s ${nonFinite}` };
      return { sample, inputs: inputsOf(workload) };
    } catch (err) {
      return { problem: `the reference ${id}'s sample failed: ${errorMessage(err)}` };
    }
  }

  private done(id: string): void {
    const left = (this.remaining.get(id) ?? 1) - 1;
    this.remaining.set(id, left);
    if (left <= 0) this.samples.delete(id);
  }
}

function notComputed(result: ConfigResult, why: string): ConfigResult {
  return { ...result, warnings: [...result.warnings, `fidelity not computed: ${why}`] };
}
