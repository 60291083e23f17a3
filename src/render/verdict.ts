/**
 * The frugal verdict: per task, model, device and token budget, the least-energy configuration
 * whose answers hold against the reference configuration, stated against that reference, with
 * every other configuration compared with the reference pair by pair.
 *
 * The rule (README, "The frugal verdict"):
 * - The reference is the configuration the others' fidelity was measured against (fp32 at batch 1
 *   by default, or --reference); without fidelity records, this model's fp32 at its smallest batch,
 *   else its first configuration in run order.
 * - A configuration is a candidate when its fidelity passes (the reference counts as passing).
 *   Without any fidelity record in the group, every configuration is, and the verdict says that
 *   the answers were not compared.
 * - A candidate is cheaper only when its energy per query is distinguishably below the
 *   reference's: where both were measured in the same interleaved rounds (--rounds), the 95 %
 *   interval of the reference's J/query over the candidate's, round by round, lies above 1;
 *   otherwise their 95 % intervals do not overlap. And by at least MIN_VERDICT_DIFFERENCE (10 %):
 *   a smaller difference, though told apart, is 'slight'. The frugal choice is the cheapest such
 *   candidate; if none is, the reference stays the frugal choice.
 * - Candidates within the 95 % intervals of the cheapest, or within 10 % of it, tie with it
 *   (noise could order them either way from one run to the next); the tie goes to the one whose
 *   answers are closest to the reference's, then the higher precision, the smaller batch, fewer
 *   threads and the run order, so that the choice does not flip between two runs whose figures
 *   lie within each other's noise.
 * - Another model joins a reference's group only when its fidelity was measured against that
 *   configuration (relation `other-model`, from --reference); it is then "agreement with" that
 *   model, never accuracy.
 */
import type { ConfigResult, EnergyMeasured } from '../result/schema.js';
import { pairedRatio95, type PairedRatio, type RoundSeries } from '../stats/paired-rounds.js';
import { displayName } from '../util/text-safety.js';
import { configLabel } from './generation.js';
import { fidelityInputsText, fidelityText, rejectionText } from './fidelity-text.js';

/** How a candidate's energy per query stands against the reference's. */
export type EnergyOutcome =
  | 'less'
  | 'more'
  | 'indistinguishable'
  /** Told apart, but by less than MIN_VERDICT_DIFFERENCE: not a difference a verdict acts on. */
  | 'slight'
  | 'no-interval'
  | 'loaded';

/**
 * The least difference in energy per query the verdict acts on: 10 %. A pair's ratio moves
 * between runs on one machine by more than one run's interval says: over eight demo runs
 * interleaved in rounds (1-minute loads 2.1-4.5, half of them beside two busy loops),
 * encoder-medium q8 against fp32 read 0.92 to 1.07, and in one run its paired interval
 * excluded 1, which made q8 the frugal choice for a 7 % difference the next run did not see.
 */
export const MIN_VERDICT_DIFFERENCE = 0.1;

/** The outcome of a pair told apart: 'slight' below the verdict's least difference, either way. */
function apartOutcome(ratio: number): 'less' | 'more' | 'slight' {
  if (Math.max(ratio, 1 / ratio) < 1 + MIN_VERDICT_DIFFERENCE) return 'slight';
  return ratio > 1 ? 'less' : 'more';
}

export interface EnergyComparison {
  /** Reference J/query ÷ candidate J/query: above 1 the candidate uses less. */
  ratio: number;
  outcome: EnergyOutcome;
  /**
   * Where both were measured in the same interleaved rounds: that ratio round by round, whose
   * 95 % interval decided the outcome instead of the two figures' intervals.
   */
  paired?: PairedRatio;
}

/** Whether two figures' model bands are one and the same (and so cancel in their ratio). */
function sameModelBand(a: EnergyMeasured, b: EnergyMeasured): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'measured') return true;
  const [x, y] = [a.modelBand ?? null, b.modelBand ?? null];
  if (x === null || y === null) return x === y;
  return x.method === y.method && x.relative === y.relative;
}

/**
 * The half-width a figure is compared with. Two estimates made on the same machine with the same
 * power model share its error: the model band scales both figures alike and cancels in their
 * ratio, so only the statistical 95 % interval (the trials' noise, which does not cancel) is used.
 * Where the bands differ (an estimate against a measurement, or two power models) the band is
 * added to the interval.
 */
function halfWidthJ(e: EnergyMeasured, bandsCancel: boolean): number | null {
  if (e.ci95PerQueryJ === null) return null;
  const band =
    !bandsCancel && e.status === 'estimated' && e.modelBand ? e.modelBand.relative * e.perQueryJ : 0;
  return e.ci95PerQueryJ + band;
}

/**
 * a's J/query over b's round by round, where both carry rounds. The verdict takes the results of
 * one run's document, so the same round number is the same stretch of time for both.
 */
function pairedOf(a: EnergyMeasured, b: EnergyMeasured): PairedRatio | null {
  const series = (e: EnergyMeasured): RoundSeries | null =>
    e.perTrialJ && e.perTrialQueries && e.perTrialRound
      ? { perTrialJ: e.perTrialJ, perTrialQueries: e.perTrialQueries, perTrialRound: e.perTrialRound }
      : null;
  const [sa, sb] = [series(a), series(b)];
  return sa && sb ? pairedRatio95(sa, sb) : null;
}

/**
 * A candidate's energy per query against the reference's, and whether they tell apart: by the
 * ratio's interval over the rounds where both ran in the same interleaved rounds, else by
 * whether the two 95 % intervals overlap.
 */
export function compareEnergy(candidate: EnergyMeasured, reference: EnergyMeasured): EnergyComparison {
  const ratio = reference.perQueryJ / candidate.perQueryJ;
  // A whole-package figure measured while other processes loaded the CPU holds their energy too.
  if (candidate.otherCpu?.loaded || reference.otherCpu?.loaded) return { ratio, outcome: 'loaded' };
  const cancel = sameModelBand(candidate, reference);
  // Measured in the same rounds: the drift both saw cancels in the ratio, round by round.
  const paired = cancel ? pairedOf(reference, candidate) : null;
  if (paired) {
    const apart = paired.low > 1 || paired.high < 1;
    return { ratio, outcome: apart ? apartOutcome(ratio) : 'indistinguishable', paired };
  }
  const [hc, hr] = [halfWidthJ(candidate, cancel), halfWidthJ(reference, cancel)];
  if (hc === null || hr === null) return { ratio, outcome: 'no-interval' };
  const [c, r] = [candidate.perQueryJ, reference.perQueryJ];
  if (c + hc >= r - hr && r + hr >= c - hc) return { ratio, outcome: 'indistinguishable' };
  return { ratio, outcome: apartOutcome(ratio) };
}

/** A configuration's answers against the reference's. */
export type FidelityState = 'reference' | 'pass' | 'fail' | 'not-compared';

export interface Pairing {
  result: ConfigResult;
  fidelity: FidelityState;
  /** Null where the energy cannot be compared; `energyNote` says why. */
  energy: EnergyComparison | null;
  energyNote: string | null;
}

export interface ModelVerdict {
  task: string;
  reference: ConfigResult;
  /** Every other configuration of the group, in run order. */
  pairs: Pairing[];
  /** Whether any configuration of the group carries fidelity. */
  compared: boolean;
  /** The frugal choice: the reference itself when no candidate is distinguishably cheaper. */
  frugal: ConfigResult;
  /** Candidates as cheap as the frugal choice within the 95 % intervals, which the tie rule passed over. */
  ties: ConfigResult[];
  /** Energy per query of the reference measured (or estimated): otherwise the verdict is on throughput. */
  energy: boolean;
  estimated: boolean;
  /** The id the answers were compared with where that is not `reference` (null when it is). */
  answersComparedWith: string | null;
}

const hasEnergy = (r: ConfigResult): r is ConfigResult & { energy: EnergyMeasured } =>
  r.energy.status !== 'not-measured' && r.energy.perQueryJ > 0;

const basisOf = (e: EnergyMeasured) => e.basis.domains.join('+');

/** Precisions from the most faithful to the least, for the tie rule. */
const PRECISION_ORDER = ['fp32', 'fp16', 'bf16', 'q8', 'int8', 'uint8', 'q4f16', 'q4', 'bnb4'];

const precisionRank = (r: ConfigResult) => {
  const i = PRECISION_ORDER.indexOf(r.precision);
  return i < 0 ? PRECISION_ORDER.length : i;
};

/** Positive when `b`'s answers are closer to the reference's than `a`'s (same headline metric only). */
function fidelityOrder(a: ConfigResult, b: ConfigResult): number {
  const [fa, fb] = [a.fidelity, b.fidelity];
  if (!fa || !fb || fa.metric !== fb.metric || fa.value === fb.value) return 0;
  const bound = fa.figures.find((f) => f.metric === fa.metric)?.bound ?? 'min';
  return bound === 'min' ? fb.value - fa.value : fa.value - fb.value;
}

/** The defaults' reference: fp32 at the smallest batch, else the first configuration, of `model`. */
function defaultReference(members: readonly ConfigResult[], model: string): ConfigResult {
  const own = members.filter((r) => r.model.name === model);
  const pool = own.length ? own : members;
  const fp32 = pool.filter((r) => r.precision === 'fp32');
  if (!fp32.length) return pool[0]!;
  const smallest = Math.min(...fp32.map((r) => r.batchSize));
  return fp32.find((r) => r.batchSize === smallest)!;
}

interface Group {
  task: string;
  model: string;
  members: ConfigResult[];
}

/** Configurations that may be compared: the same task, model (or its --reference), device and budget. */
function groups(results: readonly ConfigResult[]): Group[] {
  const ok = results.filter((r) => r.status === 'ok');
  const byId = new Map(ok.map((r) => [r.id, r]));
  const out = new Map<string, Group>();
  for (const r of ok) {
    const other = r.fidelity?.relation === 'other-model' ? byId.get(r.fidelity.reference) : undefined;
    const anchor = other ?? r;
    const key = JSON.stringify([
      anchor.task,
      anchor.model.name,
      r.device,
      r.generation?.newTokensPerQuery ?? null,
    ]);
    const group = out.get(key) ?? { task: anchor.task, model: anchor.model.name, members: [] };
    group.members.push(r);
    out.set(key, group);
  }
  return [...out.values()];
}

function verdictOf(group: Group): ModelVerdict | undefined {
  const { members } = group;
  if (members.length < 2) return undefined;
  const named = members
    .map((r) => r.fidelity?.reference)
    .find((id) => id !== undefined && members.some((m) => m.id === id));
  const reference = members.find((m) => m.id === named) ?? defaultReference(members, group.model);
  // The answers may have been compared with a configuration outside the group (another budget,
  // or a reference that did not run to the end): the verdict then names it.
  const elsewhere = members.find((m) => m.fidelity && m.fidelity.reference !== reference.id)?.fidelity;
  const compared = members.some((m) => m.fidelity !== undefined);
  const refEnergy = hasEnergy(reference) ? reference.energy : null;
  const pairs: Pairing[] = members
    .filter((m) => m !== reference)
    .map((m) => {
      const fidelity: FidelityState = m.fidelity ? (m.fidelity.pass ? 'pass' : 'fail') : 'not-compared';
      if (!refEnergy) return { result: m, fidelity, energy: null, energyNote: null };
      if (!hasEnergy(m)) return { result: m, fidelity, energy: null, energyNote: 'energy not measured' };
      if (basisOf(m.energy) !== basisOf(refEnergy))
        return {
          result: m,
          fidelity,
          energy: null,
          energyNote: `energy of another basis (${basisOf(m.energy)}, the reference's ${basisOf(refEnergy)}): not compared`,
        };
      return { result: m, fidelity, energy: compareEnergy(m.energy, refEnergy), energyNote: null };
    });
  const eligible = (p: Pairing) => (compared ? p.fidelity === 'pass' : true);
  const runIndex = new Map(members.map((m, i) => [m, i]));
  let frugal = reference;
  let ties: ConfigResult[] = [];
  if (refEnergy) {
    const cheaper = pairs.filter((p) => eligible(p) && p.energy?.outcome === 'less').map((p) => p.result);
    if (cheaper.length) {
      const energyOf = (r: ConfigResult) => (r.energy as EnergyMeasured).perQueryJ;
      const cheapest = cheaper.reduce((a, b) => (energyOf(b) < energyOf(a) ? b : a));
      // Within the noise of the cheapest, or within the least difference a verdict acts on.
      const tied = cheaper.filter((r) => {
        if (r === cheapest) return true;
        const { outcome } = compareEnergy(r.energy as EnergyMeasured, cheapest.energy as EnergyMeasured);
        return outcome === 'indistinguishable' || outcome === 'slight';
      });
      tied.sort(
        (a, b) =>
          fidelityOrder(a, b) ||
          precisionRank(a) - precisionRank(b) ||
          a.batchSize - b.batchSize ||
          (a.threads ?? 0) - (b.threads ?? 0) ||
          runIndex.get(a)! - runIndex.get(b)!,
      );
      [frugal, ...ties] = tied as [ConfigResult, ...ConfigResult[]];
    }
  }
  const estimated = [reference, ...pairs.filter((p) => p.energy).map((p) => p.result)].some(
    (r) => r.energy.status === 'estimated',
  );
  return {
    task: group.task,
    reference,
    pairs,
    compared,
    frugal,
    ties,
    energy: refEnergy !== null,
    estimated,
    answersComparedWith: elsewhere ? elsewhere.reference : null,
  };
}

/** The verdict of every group of comparable configurations, in run order. */
export function frugalVerdicts(results: readonly ConfigResult[]): ModelVerdict[] {
  return groups(results).flatMap((g) => verdictOf(g) ?? []);
}

/** "3.1×": one decimal, two below 1.1× (where one would read 1.0×). */
export function ratioText(ratio: number): string {
  return `${ratio.toFixed(ratio < 1.1 ? 2 : 1)}×`;
}

/** The configuration without its model's name ("int8 at batch 8"), where the model goes without saying. */
function shortLabel(r: ConfigResult): string {
  // configLabel starts with the model's display name and a space.
  return configLabel(r).slice(displayName(r.model.name).length + 1);
}

/** A configuration named against `other`: without the model's name when it is the same model. */
const labelBeside = (r: ConfigResult, other: ConfigResult) =>
  r.model.name === other.model.name ? shortLabel(r) : configLabel(r);

/**
 * "95 % interval 1.08–1.21× over 4 interleaved rounds": the paired interval, read the way the
 * ratio is (less energy: reference ÷ candidate; more: candidate ÷ reference).
 */
function pairedText(paired: PairedRatio, less: boolean): string {
  const [low, high] = less ? [paired.low, paired.high] : [1 / paired.high, 1 / paired.low];
  return `95 % interval ${low.toFixed(2)}–${high.toFixed(2)}× over ${paired.rounds} interleaved rounds`;
}

function energyText(p: Pairing): string {
  if (!p.energy) return p.energyNote ?? 'energy not measured';
  const { ratio, outcome, paired } = p.energy;
  const head =
    ratio >= 1
      ? `${ratioText(ratio)} less energy per query`
      : `${ratioText(1 / ratio)} more energy per query`;
  if (paired) {
    const told =
      outcome === 'indistinguishable'
        ? ', indistinguishable'
        : outcome === 'slight'
          ? `, under the ${MIN_VERDICT_DIFFERENCE * 100} % a verdict acts on`
          : '';
    return `${head}${told} (${pairedText(paired, ratio >= 1)})`;
  }
  const tail: Record<EnergyOutcome, string> = {
    less: '',
    more: '',
    indistinguishable: ', indistinguishable (within the 95 % intervals)',
    slight: `, under the ${MIN_VERDICT_DIFFERENCE * 100} % a verdict acts on`,
    'no-interval': ', not told apart (no 95 % interval: a single trial)',
    loaded: ', not told apart (other processes loaded the CPU while the package was measured)',
  };
  return head + tail[outcome];
}

/** One verdict in words: the headline, then each configuration against the reference. */
export interface VerdictText {
  headline: string;
  details: string[];
}

const NOT_COMPARED = 'answers not compared (no fidelity figures)';

function headline(v: ModelVerdict): string {
  const { reference: ref, frugal } = v;
  const refModel = ref.model.name;
  const est = v.estimated ? ' (estimated energy)' : '';
  if (!v.energy) return throughputHeadline(v);
  if (frugal === ref) {
    const which = v.compared ? 'no configuration whose answers hold' : 'no configuration';
    return `${configLabel(ref)} stays the frugal choice: ${which} uses distinguishably less energy per query than it (by 10 % or more)${est}${v.compared ? '' : `; ${NOT_COMPARED}`}`;
  }
  const pair = v.pairs.find((p) => p.result === frugal)!;
  const ties = v.ties.length
    ? `; as cheap within the 95 % intervals: ${v.ties.map((t) => labelBeside(t, frugal)).join(', ')}`
    : '';
  const answers = frugal.fidelity
    ? `, ${fidelityText(frugal.fidelity, refModel)} ${fidelityInputsText(frugal.fidelity, frugal.task)}`
    : `; ${NOT_COMPARED}: energy alone`;
  return `${configLabel(frugal)}: ${ratioText(pair.energy!.ratio)} less energy per query than ${labelBeside(ref, frugal)}${est}${answers}${ties}`;
}

/** Without energy: the candidate serving the most queries per second, against the reference. */
function throughputHeadline(v: ModelVerdict): string {
  const ref = v.reference;
  const candidates = [
    ref,
    ...v.pairs.filter((p) => (v.compared ? p.fidelity === 'pass' : true)).map((p) => p.result),
  ];
  const timed = candidates.filter((r) => r.throughputQps);
  const best = timed.reduce<ConfigResult | undefined>(
    (a, b) => (!a || b.throughputQps! > a.throughputQps! ? b : a),
    undefined,
  );
  const answers = v.compared ? '' : `; ${NOT_COMPARED}`;
  if (!best || best === ref || !ref.throughputQps)
    return `${configLabel(ref)}: no configuration${v.compared ? ' whose answers hold' : ''} serves more queries per second (energy not measured)${answers}`;
  const fid = best.fidelity ? `, ${fidelityText(best.fidelity, ref.model.name)}` : '';
  return `${configLabel(best)} serves ${ratioText(best.throughputQps! / ref.throughputQps)} the queries per second of ${labelBeside(ref, best)} (energy not measured)${fid}${answers}`;
}

function detail(v: ModelVerdict, p: Pairing): string {
  const r = p.result;
  const label = labelBeside(r, v.reference);
  const refModel = v.reference.model.name;
  const energy = v.energy ? energyText(p) : null;
  if (p.fidelity === 'fail')
    return `${label}: rejected, ${rejectionText(r.fidelity!, refModel)}${energy ? `; ${energy}` : ''}`;
  const answers =
    p.fidelity === 'pass'
      ? `; ${fidelityText(r.fidelity!, refModel)}`
      : v.compared
        ? '; answers not compared'
        : '';
  return `${label}: ${energy ?? 'energy not measured'}${answers}`;
}

/** The verdicts in words; each headline names its task when the run covers several. */
export function verdictTexts(results: readonly ConfigResult[]): VerdictText[] {
  const list = frugalVerdicts(results);
  const several = new Set(list.map((v) => v.task)).size > 1;
  return list.map((v) => ({
    headline: `${several ? `${v.task}: ` : ''}${headline(v)}`,
    details: [
      `against ${configLabel(v.reference)} (the reference${v.answersComparedWith ? `; answers compared with ${displayName(v.answersComparedWith)}` : ''}):`,
      ...v.pairs.map((p) => detail(v, p)),
    ],
  }));
}

/** The verdicts as plain lines: each headline, then its pairs indented (the terminal table's form). */
export function verdictLines(results: readonly ConfigResult[]): string[] {
  return verdictTexts(results).flatMap((t) => [t.headline, ...t.details.map((d) => `  ${d}`)]);
}
