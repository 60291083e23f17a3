/** The human report: an aligned table, skip and failure reasons, and a one-line verdict. */
import { starString } from '../render/stars.js';
import { Chalk, type ChalkInstance } from 'chalk';
import { energyCell, energySummary, energyWarnings, modelBandPct } from '../render/energy-text.js';
import { carbonFigures, carbonSettings, carbonText, type CarbonSettings } from '../carbon/carbon.js';
import { ratingCaveats } from '../render/flatten.js';
import { displayName, printable } from '../util/text-safety.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';
import {
  anyGeneration,
  budgetVerdict,
  configLabel,
  generationEnergyCell,
  generationNumberCell,
} from '../render/generation.js';

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function makeChalk(stream: NodeJS.WriteStream): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  return new Chalk({ level: enabled ? 1 : 0 });
}

interface Column {
  title: string;
  align: 'left' | 'right';
  cell: (r: ConfigResult) => string;
}

const num = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** Five stars, the earned ones filled; "unrated" where there is no rating. */
export function ratingCell(r: ConfigResult): string {
  return r.rating.status === 'rated' ? starString(r.rating.stars) : 'unrated';
}

const BASE_COLUMNS: Column[] = [
  { title: 'model', align: 'left', cell: (r) => displayName(r.model.name) },
  // A variant the tool converted from the fp32 file says so beside its precision.
  {
    title: 'precision',
    align: 'left',
    cell: (r) => (r.conversion ? `${r.precision} (converted)` : r.precision),
  },
  { title: 'batch', align: 'right', cell: (r) => String(r.batchSize) },
  { title: 'device', align: 'left', cell: (r) => r.device },
  { title: 'stars', align: 'left', cell: ratingCell },
  { title: 'Wh/1k', align: 'right', cell: (r) => energyCell(r, (x) => x.energy.whPer1k, 3) },
  { title: 'J/query', align: 'right', cell: (r) => energyCell(r, (x) => x.energy.perQueryJ, 3) },
  { title: 'queries/J', align: 'right', cell: (r) => energyCell(r, (x) => x.energy.queriesPerJ, 3) },
  {
    title: '±95%',
    align: 'right',
    cell: (r) =>
      r.energy.status === 'not-measured' || r.energy.ci95Relative === null
        ? '–'
        : `${(r.energy.ci95Relative * 100).toFixed(1)}%`,
  },
  { title: 'queries/s', align: 'right', cell: (r) => num(r.throughputQps, 1) },
  { title: 'p50 ms/query', align: 'right', cell: (r) => num(r.latencyPerQueryMs?.p50, 3) },
  { title: 'p95 ms/batch', align: 'right', cell: (r) => num(r.latencyMs?.p95, 3) },
  { title: 'peak RSS MB', align: 'right', cell: (r) => num(r.peakRssMB, 0) },
  { title: 'method', align: 'left', cell: (r) => r.energy.status },
];

const THREADS_COLUMN: Column = {
  title: 'threads',
  align: 'right',
  cell: (r) => (r.threads === null ? '–' : String(r.threads)),
};

/** Beside the 95 % interval when any row is estimated: the model's own uncertainty. */
const MODEL_BAND_COLUMN: Column = {
  title: '±model',
  align: 'right',
  cell: (r) => modelBandPct(r)?.replace(' ', '') ?? '–',
};

/** The table's columns: the model band only where an estimated row has one. */
export function tableColumns(results: readonly ConfigResult[]): Column[] {
  if (!results.some((r) => modelBandPct(r) !== null)) return BASE_COLUMNS;
  const at = BASE_COLUMNS.findIndex((c) => c.title === '±95%') + 1;
  return [...BASE_COLUMNS.slice(0, at), MODEL_BAND_COLUMN, ...BASE_COLUMNS.slice(at)];
}

/** The carbon settings a document's figures are converted with (the world average for older files). */
export function documentCarbon(document: RunDocument): CarbonSettings {
  return document.carbon ?? carbonSettings({});
}

/** Carbon (and, with a price, cost) per million queries, labelled like the energy it comes from. */
function carbonColumns(carbon: CarbonSettings): Column[] {
  const columns: Column[] = [
    {
      title: 'gCO2e/1M q',
      align: 'right',
      cell: (r) => energyCell(r, (x) => carbonFigures(x.energy.whPer1k!, carbon).gCo2ePerMillion, 3),
    },
  ];
  if (carbon.pricePerKwh !== null) {
    columns.push({
      title: 'cost/1M q',
      align: 'right',
      cell: (r) => energyCell(r, (x) => carbonFigures(x.energy.whPer1k!, carbon).costPerMillion, 3),
    });
  }
  return columns;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Per-token columns, shown when the run generated tokens. */
const GENERATION_COLUMNS: Column[] = [
  { title: 'J/token', align: 'right', cell: (r) => generationEnergyCell(r, (g) => g.perTokenJ) },
  { title: 'prefill J/q', align: 'right', cell: (r) => generationEnergyCell(r, (g) => g.prefill.perQueryJ) },
  { title: 'decode J/tok', align: 'right', cell: (r) => generationEnergyCell(r, (g) => g.decode.perTokenJ) },
  { title: 'tokens/s', align: 'right', cell: (r) => generationNumberCell(r, (g) => g.tokensPerSecond, 1) },
  {
    title: 'TTFT p50 ms',
    align: 'right',
    cell: (r) => generationNumberCell(r, (g) => g.timeToFirstTokenMs.p50, 3),
  },
  {
    title: 'ITL p50 ms',
    align: 'right',
    cell: (r) => generationNumberCell(r, (g) => g.interTokenLatencyMs?.p50 ?? null, 3),
  },
];

const BUDGET_COLUMN: Column = {
  title: 'new tokens',
  align: 'right',
  cell: (r) => (r.generation ? String(r.generation.newTokensPerQuery) : '–'),
};

/** The tasks of a run's results, in order of first appearance. */
export function runTasks(results: readonly ConfigResult[]): string[] {
  return [...new Set(results.map((r) => r.task))];
}

const TASK_COLUMN: Column = { title: 'task', align: 'left', cell: (r) => r.task };

/** Where a configuration's input values came from, in a few words, for the report's footer. */
export function dataText(data: NonNullable<ConfigResult['inputs']>['data']): string | undefined {
  if (!data) return undefined;
  const through = [data.tokenizer, data.preprocessing].filter((f): f is string => f !== null);
  const parts = [data.source === 'synthetic' ? 'synthetic values' : `${data.source} (${data.queries} items)`];
  if (through.length) parts.push(`through ${through.join(' and ')}`);
  if (data.preprocessMsPerItem !== null) {
    parts.push(`preprocessing ${data.preprocessMsPerItem.toFixed(2)} ms per item before the measured loop`);
  }
  if (data.note) parts.push(data.note);
  return parts.join(', ');
}

export function renderTable(document: RunDocument, chalk: ChalkInstance): string {
  const carbon = documentCarbon(document);
  const base = tableColumns(document.results);
  const tasks = runTasks(document.results);
  // The identity a row that did not run keeps: the task where a run covers several (their figures
  // are not comparable), threads where the run made them a dimension (--threads 1,2,4), the budget
  // where it generated.
  const threadsVary = new Set(document.results.map((r) => r.threads)).size > 1;
  const generative = anyGeneration(document.results);
  const identity = [
    ...base.slice(0, 1),
    ...(tasks.length > 1 ? [TASK_COLUMN] : []),
    ...base.slice(1, 4),
    ...(threadsVary ? [THREADS_COLUMN] : []),
    ...(generative ? [BUDGET_COLUMN] : []),
  ];
  const figures = base.slice(4);
  // Per-token figures follow the intervals (the model band's included).
  const after = Math.max(...['±95%', '±model'].map((t) => figures.findIndex((c) => c.title === t)));
  const COLUMNS = [
    ...identity,
    ...(generative
      ? [...figures.slice(0, after + 1), ...GENERATION_COLUMNS, ...figures.slice(after + 1)]
      : figures),
    ...carbonColumns(carbon),
  ];
  const rows = document.results.map((r) =>
    COLUMNS.map((c) =>
      r.status === 'ok' ||
      c.title === 'model' ||
      c.title === 'task' ||
      c.title === 'precision' ||
      c.title === 'batch' ||
      c.title === 'device'
        ? c.cell(r)
        : '',
    ),
  );
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((row) => row[i]!.length)));
  const lines: string[] = [];
  lines.push(chalk.bold(COLUMNS.map((c, i) => pad(c.title, widths[i]!, c.align)).join('  ')));
  document.results.forEach((result, index) => {
    const row = rows[index]!;
    let line = COLUMNS.map((c, i) => pad(row[i]!, widths[i]!, c.align))
      .join('  ')
      .trimEnd();
    if (result.status !== 'ok') {
      const label = result.status === 'failed' ? chalk.red('failed') : chalk.yellow(result.status);
      line = `${COLUMNS.slice(0, identity.length)
        .map((c, i) => pad(row[i]!, widths[i]!, c.align))
        .join('  ')}  ${label}`;
    }
    lines.push(line);
  });

  const notes = document.results.filter((r) => r.reason || r.warnings.length);
  const energyNotes = energyWarnings(document.results);
  if (notes.length || energyNotes.byRow.length) lines.push('');
  for (const r of notes) {
    if (r.reason)
      lines.push(
        `${r.status === 'failed' ? chalk.red('✗') : chalk.yellow('–')} ${displayName(r.id)}: ${printable(r.reason)}`,
      );
    for (const w of r.warnings) lines.push(`${chalk.yellow('!')} ${displayName(r.id)}: ${printable(w)}`);
  }
  for (const [id, w] of energyNotes.byRow)
    lines.push(`${chalk.yellow('!')} ${displayName(id)}: energy: ${printable(w)}`);
  for (const r of document.results) {
    const note = r.rating.status === 'rated' ? ratingCaveats(r.rating) : '';
    if (note) lines.push(`${chalk.yellow('!')} ${displayName(r.id)}: rating: ${printable(note)}`);
  }

  const footer: string[] = [];
  for (const task of tasks) {
    const first = document.results.find((r) => r.task === task && r.inputs);
    if (!first?.inputs) continue;
    const dims = Object.entries(first.inputs.dims)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const data = dataText(first.inputs.data);
    footer.push(
      chalk.dim(
        printable(
          `task ${first.task} (${first.taskSource}); inputs: ${dims || 'no dynamic dims'}${data ? `; data: ${data}` : ''}`,
        ),
      ),
    );
  }
  if (footer.length) lines.push('', ...footer);
  const lineList = verdicts(document.results);
  if (lineList.length) lines.push('', ...lineList);
  const budgets = budgetVerdict(document.results);
  if (budgets) lines.push(lineList.length ? budgets : `\n${budgets}`);
  const ratings = ratingSummary(document.results);
  if (ratings) lines.push(chalk.dim(`ratings: ${printable(ratings)}`));
  lines.push(chalk.dim(`energy: ${printable(energySummary(document))}`));
  lines.push(chalk.dim(`carbon: ${carbonText(carbon)}`));
  for (const w of energyNotes.shared) lines.push(chalk.dim(`energy: ${printable(w)}`));
  for (const note of document.energyNotes) lines.push(chalk.dim(`meters: ${printable(note)}`));
  if (document.interrupted)
    lines.push(
      chalk.yellow(
        'interrupted: rows marked ok were measured in full; the rest did not run or did not finish',
      ),
    );
  return lines.join('\n') + '\n';
}

const label = configLabel;

/** One verdict per task (configurations of different tasks are never compared), each named by its task when there are several. */
export function verdicts(results: ConfigResult[]): string[] {
  const tasks = runTasks(results.filter((r) => r.status === 'ok'));
  if (tasks.length <= 1) {
    const line = verdict(results);
    return line ? [line] : [];
  }
  return tasks.flatMap((task) => {
    const line = verdict(results.filter((r) => r.task === task));
    return line ? [`${task}: ${line}`] : [];
  });
}

/**
 * The most and least efficient configurations by energy per query when energy was measured
 * (or estimated, and then said so); by throughput otherwise, and then it says that instead.
 */
export function verdict(results: ConfigResult[]): string | undefined {
  const ok = results.filter((r) => r.status === 'ok');
  // Only like with like: the same task and the same energy basis (CPU+DRAM is not GPU energy).
  const basisOf = (r: ConfigResult) =>
    `${r.task}|${r.energy.status === 'not-measured' ? '' : r.energy.basis.domains.join('+')}`;
  const measured = ok.filter((r) => r.energy.status !== 'not-measured' && (r.energy.perQueryJ ?? 0) > 0);
  const firstBasis = measured[0] ? basisOf(measured[0]) : '';
  const withEnergy = measured.filter((r) => basisOf(r) === firstBasis);
  if (withEnergy.length >= 2) {
    const perQuery = (r: ConfigResult) => r.energy.perQueryJ!;
    const sorted = [...withEnergy].sort((a, b) => perQuery(a) - perQuery(b));
    const best = sorted[0]!;
    const worst = sorted[sorted.length - 1]!;
    const estimated = withEnergy.some((r) => r.energy.status === 'estimated') ? ' (estimated energy)' : '';
    const ci = (r: ConfigResult) => (r.energy.status === 'not-measured' ? null : r.energy.ci95PerQueryJ);
    const [ciBest, ciWorst] = [ci(best), ci(worst)];
    // Overlapping 95 % intervals: the ranking may be noise, and the line must say so.
    const noise =
      ciBest !== null && ciWorst !== null && perQuery(best) + ciBest >= perQuery(worst) - ciWorst
        ? ', within the 95 % intervals: not a clear difference'
        : '';
    return `${label(best)} uses ${(perQuery(worst) / perQuery(best)).toFixed(1)}× less energy per query than ${label(worst)}${estimated}${noise}`;
  }
  const timed = ok.filter((r) => r.throughputQps);
  if (timed.length < 2) return undefined;
  const sorted = [...timed].sort((a, b) => b.throughputQps! - a.throughputQps!);
  const best = sorted[0]!;
  const worst = sorted[sorted.length - 1]!;
  const ratio = best.throughputQps! / worst.throughputQps!;
  return `${label(best)} serves ${ratio.toFixed(1)}× the queries per second of ${label(worst)} (energy not measured)`;
}

/**
 * How the configurations were rated, in one line: each distinct scale and cohort source, or the
 * reason they were not (the same reason once, however many configurations share it).
 */
export function ratingSummary(results: readonly ConfigResult[]): string | undefined {
  const ok = results.filter((r) => r.status === 'ok');
  if (ok.length === 0) return undefined;
  const parts = new Set<string>();
  for (const r of ok) {
    const rating = r.rating;
    if (rating.status === 'rated') {
      const energy = rating.energyStatus === 'estimated' ? ', on estimated energy' : '';
      parts.add(`${rating.scale} scale against ${rating.cohort.source} (${rating.cohort.kind})${energy}`);
    } else {
      parts.add(`unrated: ${rating.reason}`);
    }
  }
  return [...parts].join('; ');
}
