/**
 * The trial loop over a Workload: meter windows back to back, each as short as the headline
 * meters allow and read while the next runs, cycling through the suite's batches, until every
 * batch has run once, the minimum number of windows is reached and the 95 % interval of energy
 * per query is tight, or until the time budget or the window cap says stop. It knows nothing of
 * what a batch runs, and takes its clock, so tests drive it with fakes.
 */
import { errorMessage } from '../errors.js';
import type { EnergyMeter } from '../meters/types.js';
import { ENERGY_NOT_MEASURED, type EnergyMeasured, type EnergyNotMeasured } from '../result/schema.js';
import { firstLine } from '../util/first-line.js';
import {
  energyResult,
  headlineMeterIndexes,
  markEach,
  readEach,
  stopReason,
  targetMet,
  trialPerQueryJ,
  windowSeconds,
  type Marks,
  type ProtocolSettings,
  type StopReason,
  type Trial,
} from './protocol.js';
import type { Turn } from './turns.js';
import { systemClock, type Clock, type Workload } from './workload.js';

/** Progress callbacks at most this often, so the measured loop stays bare. */
export const PROGRESS_EVERY_MS = 50;

export interface TrialRun {
  workload: Pick<Workload, 'runBatch'>;
  /** Batches in one pass of the suite, from the workload's preparation: each runs at least once. */
  passBatches: number;
  device: string;
  /** Without meters the suite runs once and only time is measured. */
  meters: readonly EnergyMeter[];
  protocol: ProtocolSettings;
  clock?: Clock;
  /** Aborting stops the loop after the batch in flight. */
  signal?: AbortSignal;
  /**
   * Queries done so far in the trials (the pass without meters), and the seconds the trials have
   * run (waits for other configurations' turns left out): after a batch at most every 50 ms,
   * and once more as each window ends.
   */
  onProgress?: (queriesDone: number, elapsedS: number) => void;
  /**
   * Interleaved rounds (turns.ts): the budget is cut into `turn.slices` equal slices, and after
   * each but the last the machine passes to the other configurations. The interval's target
   * then ends the trials only in the last slice, or for every configuration at once when all
   * have met it over a round (from the second on). Without it the trials run in one stretch.
   */
  turn?: Turn;
}

export interface TrialsOutcome {
  /** The trials read, in order; none without meters. */
  trials: Trial[];
  /** Meters that failed and were dropped, as indexes into the meters, in the order they failed. */
  droppedMeters: number[];
  /** Why each dropped meter was dropped. */
  meterWarnings: string[];
  /** Every batch run, an interrupted window's included: its latency and its queries. */
  latenciesMs: number[];
  batchQueries: number[];
  /** Queries and loop seconds of the completed windows. */
  queries: number;
  seconds: number;
  /** Batches run in completed windows; at least passBatches when the whole suite ran. */
  batchesRun: number;
  /** The length every window had to reach, seconds; 0 without meters. */
  windowS: number;
  /** Why the trials ended; null without meters or when interrupted. */
  stoppedBy: StopReason | null;
  interrupted: boolean;
  /** Seconds the trials ran, warm-up windows included and waits for other turns left out. */
  elapsedS: number;
}

export async function runTrials(run: TrialRun): Promise<TrialsOutcome> {
  const { workload, passBatches, device, meters, protocol, signal, turn } = run;
  const clock = run.clock ?? systemClock;
  // Time spent waiting for other configurations' turns: not this configuration's to count.
  let pausedMs = 0;
  const trialsStart = clock.nowMs();
  const elapsedS = () => (clock.nowMs() - trialsStart - pausedMs) / 1000;
  const onProgress = (queries: number) => run.onProgress?.(queries, elapsedS());
  // Coverage is counted in batches: a pass of 0 batches would be covered before it ran.
  if (!(Number.isInteger(passBatches) && passBatches >= 1)) {
    throw new RangeError(`a pass must hold at least one batch, not ${passBatches}`);
  }
  const latenciesMs: number[] = [];
  const batchQueries: number[] = [];
  let queriesDone = 0;

  /**
   * Runs batches for at least `minMs` and at least `minBatches` batches, continuing the suite
   * where the last window stopped; times each batch.
   */
  const runWindow = async (minMs: number, minBatches: number) => {
    let queries = 0;
    let count = 0;
    const start = clock.nowMs();
    let now = start;
    let lastProgress = start;
    // The loop does as little as it can besides the batch: one clock read after each serves
    // the latency, the window and the progress throttle.
    while (count < minBatches || now - start < minMs) {
      if (signal?.aborted) return { queries, batches: count, ms: now - start, completed: false };
      const t0 = clock.nowMs();
      const batch = await workload.runBatch();
      now = clock.nowMs();
      latenciesMs.push(now - t0);
      batchQueries.push(batch.queries);
      queries += batch.queries;
      count++;
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        onProgress?.(queriesDone + queries);
      }
    }
    queriesDone += queries;
    onProgress?.(queriesDone);
    return { queries, batches: count, ms: now - start, completed: true };
  };

  /** Runs batches for `minMs` (at least one), recording nothing. */
  const warmWindow = async (minMs: number) => {
    const start = clock.nowMs();
    let count = 0;
    while ((count < 1 || clock.nowMs() - start < minMs) && !signal?.aborted) {
      await workload.runBatch();
      count++;
    }
  };

  const outcome: TrialsOutcome = {
    trials: [],
    droppedMeters: [],
    meterWarnings: [],
    latenciesMs,
    batchQueries,
    queries: 0,
    seconds: 0,
    batchesRun: 0,
    windowS: 0,
    stoppedBy: null,
    interrupted: false,
    elapsedS: 0,
  };

  if (meters.length === 0) {
    const pass = await runWindow(0, passBatches);
    if (pass.completed) {
      outcome.queries = pass.queries;
      outcome.seconds = pass.ms / 1000;
      outcome.batchesRun = pass.batches;
    } else outcome.interrupted = true;
    outcome.elapsedS = elapsedS();
    return outcome;
  }

  const { trials, droppedMeters, meterWarnings } = outcome;
  const dropped = new Set<number>();
  // The headline meters among those still working, as indexes into `meters`.
  const headlineNow = () => {
    const working = meters.flatMap((_, i) => (dropped.has(i) ? [] : [i]));
    return headlineMeterIndexes(
      device,
      working.map((i) => meters[i]!),
    ).map((k) => working[k]!);
  };
  const windowS = windowSeconds(
    headlineNow().map((i) => meters[i]!),
    protocol.minWindowS,
  );
  outcome.windowS = windowS;
  let perTrialJ: number[] = [];
  // A meter that fails drops out of this configuration; the others carry on.
  const readWindow = (from: Marks, to: Marks) =>
    readEach(
      meters,
      from,
      to,
      (i, err) => {
        dropped.add(i);
        droppedMeters.push(i);
        meterWarnings.push(
          `meter ${meters[i]!.info.name} failed and was dropped: ${firstLine(errorMessage(err))}`,
        );
      },
      (i) => dropped.has(i),
    );
  // Windows are back to back (one window's end mark is the next one's start), and each is read
  // while the next one runs: a polled meter waits for a sample after the window's end, and that
  // wait must not stall the work.
  let pending: { queries: number; round?: number; readings: Promise<Trial['readings']> } | null = null;
  const collect = async () => {
    if (!pending) return;
    const { queries, round } = pending;
    trials.push({ queries, ...(round !== undefined ? { round } : {}), readings: await pending.readings });
    pending = null;
    // Recomputed over every trial from the meters still working, as the reported figures are.
    const headline = headlineNow();
    perTrialJ = trials.map((t) => trialPerQueryJ(t, headline));
  };
  // Windows' worth of batches before the first measured window, inside the budget: the
  // first window after the warm-up batches still read 1.1–1.4× the rest on the small zoo
  // encoders (caches, the thread pool and the allocator settling), a transient that widened
  // the interval and could flip a verdict. Nothing of it is measured or counted.
  for (let w = 0; w < (protocol.warmupWindows ?? 0); w++) await warmWindow(windowS * 1000);
  if (signal?.aborted) {
    outcome.interrupted = true;
    return outcome;
  }
  let longestWindowMs = 0;
  // The slice of an interleaved run this window belongs to, from 1.
  let slice = 1;
  const slices = turn?.slices ?? 1;
  let from = await markEach(meters);
  for (;;) {
    const window = await runWindow(windowS * 1000, 1);
    const to = await markEach(meters);
    await collect();
    if (!window.completed) break;
    outcome.queries += window.queries;
    outcome.seconds += window.ms / 1000;
    outcome.batchesRun += window.batches;
    longestWindowMs = Math.max(longestWindowMs, window.ms);
    pending = {
      queries: window.queries,
      ...(turn ? { round: slice } : {}),
      readings: readWindow(from, to),
    };
    from = to;
    const state = {
      perQueryJ: perTrialJ,
      queries: trials.map((t) => t.queries),
      trialsRun: trials.length + 1,
      elapsedS: elapsedS(),
      // The next window would last about as long as the longest so far: a budget it would
      // overrun is spent.
      nextWindowS: longestWindowMs / 1000,
      suiteCovered: outcome.batchesRun >= passBatches,
    };
    let reason = stopReason(state, protocol);
    // Before the last slice, the target speaks only through the rotation (below).
    if (reason === 'target' && slice < slices) reason = null;
    if (reason) {
      outcome.stoppedBy = reason;
      break;
    }
    // Every meter has failed: further windows would measure nothing, only take time.
    if (dropped.size === meters.length) {
      outcome.stoppedBy = 'meters-failed';
      break;
    }
    if (turn && slice < slices && state.elapsedS >= (slice * protocol.maxSeconds) / slices) {
      await collect();
      // Met over at least two slices, so that the interval spans more than one stretch of time.
      const met =
        slice >= 2 &&
        targetMet(
          {
            perQueryJ: perTrialJ,
            queries: trials.map((t) => t.queries),
            trialsRun: trials.length,
            suiteCovered: state.suiteCovered,
          },
          protocol,
        );
      const pausedAt = clock.nowMs();
      const next = await turn.pass(met);
      pausedMs += clock.nowMs() - pausedAt;
      slice++;
      if (next.stop) {
        outcome.stoppedBy = 'target';
        break;
      }
      if (signal?.aborted) break;
      // Other models ran in between: one unmeasured batch first. In three demo runs of each
      // kind, the first window after a turn read 0.999 of its round's mean with that batch,
      // 1.007 without, 1.004 after a whole warm-up window (which costs a window a slice).
      if (next.othersRan) {
        await warmWindow(0);
        if (elapsedS() + longestWindowMs / 1000 > protocol.maxSeconds) {
          outcome.stoppedBy = 'budget';
          break;
        }
      }
      from = await markEach(meters);
      continue;
    }
  }
  await collect();
  outcome.interrupted = signal?.aborted ?? false;
  if (outcome.interrupted) outcome.stoppedBy = null;
  outcome.elapsedS = elapsedS();
  return outcome;
}

/**
 * What the result should say about how the trials ended when the budget cut them short: fewer
 * windows than the minimum, or a suite not yet run whole. Empty otherwise.
 */
export function budgetWarnings(
  outcome: Pick<TrialsOutcome, 'trials' | 'batchesRun' | 'stoppedBy'>,
  passBatches: number,
  protocol: Pick<ProtocolSettings, 'maxSeconds' | 'minTrials'>,
): string[] {
  if (outcome.stoppedBy !== 'budget' && outcome.stoppedBy !== 'max-trials') return [];
  const limit =
    outcome.stoppedBy === 'budget'
      ? `the ${protocol.maxSeconds} s budget (--max-seconds)`
      : 'the window cap (--max-trials)';
  const warnings: string[] = [];
  if (outcome.batchesRun < passBatches) {
    warnings.push(
      `${limit} ended the trials after ${outcome.batchesRun} of the suite's ${passBatches} batches: the figure covers part of the suite`,
    );
  }
  if (outcome.trials.length < protocol.minTrials) {
    warnings.push(
      `${limit} left ${outcome.trials.length} window${outcome.trials.length === 1 ? '' : 's'}, fewer than the ${protocol.minTrials} asked for (--min-trials)`,
    );
  }
  return warnings;
}

export interface TrialsEnergySetup {
  device: string;
  meters: readonly EnergyMeter[];
  /** Idle power per meter (index-aligned), or null where not measured. */
  idlePowerW: readonly (number | null)[];
  idleSeconds: number;
  targetCi: number;
}

/**
 * The result's energy from the trials and the meters still working; `warnings` (the dropped
 * meters' and any others) go into its warnings, or into its reason when it is not measured.
 */
export function trialsEnergy(
  setup: TrialsEnergySetup,
  outcome: Pick<TrialsOutcome, 'trials' | 'droppedMeters'>,
  warnings: readonly string[],
): EnergyMeasured | EnergyNotMeasured {
  const { meters } = setup;
  const { trials } = outcome;
  const working = meters.flatMap((_, i) => (outcome.droppedMeters.includes(i) ? [] : [i]));
  if (working.length === 0 || trials.length === 0) {
    return { ...ENERGY_NOT_MEASURED, reason: `every meter failed: ${warnings.join('; ')}` };
  }
  const energy = energyResult(
    setup.device,
    working.map((i) => meters[i]!),
    working.map((i) => setup.idlePowerW[i] ?? null),
    setup.idleSeconds,
    trials.map((t) => ({ ...t, readings: working.map((i) => t.readings[i]!) })),
    setup.targetCi,
  );
  if (energy.status === 'not-measured') {
    if (warnings.length) energy.reason += `; ${warnings.join('; ')}`;
  } else energy.warnings.push(...warnings);
  return energy;
}
