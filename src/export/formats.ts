/** Machine formats of a run document: JSON (the contract), CSV and Markdown (its flattenings). */
import { starString } from '../render/stars.js';
import { stringify } from 'csv-stringify/sync';
import { energySummary, energyWarnings } from '../render/energy-text.js';
import { formatSig } from '../render/numbers.js';
import { FLAT_COLUMNS, flatten } from '../render/flatten.js';
import { anyGeneration, budgetVerdict } from '../render/generation.js';
import { carbonFigures, carbonText } from '../carbon/carbon.js';
import { isInt8Precision } from '../devices/cpu-flags.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';
import { defuseFormula, displayName, escapeMarkdown, jsonText } from '../util/text-safety.js';
import { documentCarbon, ratingSummary, runTasks } from './table.js';
import { verdictTexts } from '../render/verdict.js';
import { anyFidelity, fidelityCell, precisionCell, referenceIds } from '../render/fidelity-text.js';

export type ExportFormat = 'json' | 'csv' | 'markdown';

export function toJson(document: RunDocument): string {
  return jsonText(JSON.stringify(document, null, 2)) + '\n';
}

export function toCsv(document: RunDocument): string {
  const rows = document.results.map((r) => {
    const flat = flatten(r);
    return FLAT_COLUMNS.map((c) => (typeof flat[c] === 'string' ? defuseFormula(flat[c]) : flat[c]));
  });
  return stringify(rows, { header: true, columns: [...FLAT_COLUMNS], cast: { number: (n) => String(n) } });
}

const MARKDOWN_COLUMNS: [string, (row: ReturnType<typeof flatten>, result: ConfigResult) => string][] = [
  ['model', (r) => displayName(r.model)],
  ['precision', (r) => (r.conversion_recipe ? `${r.precision} (converted)` : r.precision)],
  ['batch', (r) => String(r.batch_size)],
  ['device', (r) => r.device],
  ['status', (r) => r.status],
  ['p50 ms/query', (r) => fixed(r.latency_per_query_p50_ms, 3)],
  ['p95 ms/batch', (r) => fixed(r.latency_p95_ms, 3)],
  ['queries/s', (r) => fixed(r.throughput_qps, 1)],
  [
    'Wh/1k queries',
    (r) =>
      r.energy_wh_per_1k === null
        ? r.energy_status
        : `${formatSig(r.energy_wh_per_1k, 3)}${estimatedNote(r)}`,
  ],
  [
    'J/query',
    (r) => (r.energy_per_query_j === null ? '–' : `${formatSig(r.energy_per_query_j, 3)}${estimatedNote(r)}`),
  ],
  [
    '±95%',
    (r) => (r.energy_ci95_relative === null ? '–' : `±${(r.energy_ci95_relative * 100).toFixed(1)} %`),
  ],
  ['stars', (r) => (r.stars === null ? r.rating_status : starString(r.stars))],
];

/** " (estimated, ±36 % model)" on estimated rows, nothing on measured ones. */
function estimatedNote(r: ReturnType<typeof flatten>): string {
  if (r.energy_status !== 'estimated') return '';
  const band = r.energy_model_band_relative;
  return band === null ? ' (estimated)' : ` (estimated, ±${Math.round(band * 100)} % model)`;
}

const estimatedJ = (value: number | null, r: ReturnType<typeof flatten>) =>
  value === null ? '–' : `${formatSig(value, 3)}${estimatedNote(r)}`;

/** Per-token columns, after J/query, when the run generated tokens. */
const GENERATION_MARKDOWN_COLUMNS: typeof MARKDOWN_COLUMNS = [
  ['new tokens', (r) => (r.max_new_tokens === null ? '–' : String(r.max_new_tokens))],
  ['J/token', (r) => estimatedJ(r.energy_per_token_j, r)],
  ['prefill J/query', (r) => estimatedJ(r.prefill_per_query_j, r)],
  ['decode J/token', (r) => estimatedJ(r.decode_per_token_j, r)],
  ['tokens/s', (r) => fixed(r.tokens_per_s, 1)],
  ['TTFT p50 ms', (r) => fixed(r.ttft_p50_ms, 3)],
];

function fixed(value: number | null, digits: number): string {
  return value === null ? '–' : value.toFixed(digits);
}

/** Beside 8-bit results, the CPU's int8-relevant ISA flags: their speed and saturation depend on them. */
function int8FlagsNote(document: RunDocument): string {
  const flags = document.environment.cpuFlags;
  if (!flags || !document.results.some((r) => r.device === 'cpu' && isInt8Precision(r.precision))) return '';
  return ` (int8 ISA: ${flags.length ? flags.join(' ') : 'none of the int8 flags'})`;
}

export function toMarkdown(document: RunDocument): string {
  const carbon = documentCarbon(document);
  const perMillion = (
    whPer1k: number | null,
    status: ReturnType<typeof flatten>,
    pick: 'gCo2ePerMillion' | 'costPerMillion',
  ) => {
    if (whPer1k === null) return '–';
    const value = carbonFigures(whPer1k, carbon)[pick];
    return value === null
      ? '–'
      : `${formatSig(value, 3)}${status.energy_status === 'estimated' ? estimatedNote(status) : ''}`;
  };
  const mixed = runTasks(document.results).length > 1;
  const withTask: typeof MARKDOWN_COLUMNS = [
    ...MARKDOWN_COLUMNS.slice(0, 1),
    ...(mixed ? ([['task', (r) => r.task]] as typeof MARKDOWN_COLUMNS) : []),
    ...MARKDOWN_COLUMNS.slice(1),
  ];
  const stars = withTask.length - 1;
  const base = anyGeneration(document.results)
    ? [...withTask.slice(0, stars), ...GENERATION_MARKDOWN_COLUMNS, ...withTask.slice(stars)]
    : withTask;
  // Fidelity beside energy, after its interval, where any configuration was compared; the
  // precision says where the tool converted the variant.
  const byId = new Map(document.results.map((r) => [r.id, r]));
  const references = referenceIds(document.results);
  const interval = base.findIndex(([name]) => name === '±95%') + 1;
  type MarkdownColumn = (typeof MARKDOWN_COLUMNS)[number];
  const fidelityColumn: MarkdownColumn = ['fidelity', (_, result) => fidelityCell(result, references, byId)];
  const withFidelity: MarkdownColumn[] = (
    anyFidelity(document.results)
      ? [...base.slice(0, interval), fidelityColumn, ...base.slice(interval)]
      : base
  ).map(([name, cell]): MarkdownColumn =>
    name === 'precision' ? [name, (_, result) => precisionCell(result)] : [name, cell],
  );
  const columns: typeof MARKDOWN_COLUMNS = [
    ...withFidelity,
    ['gCO2e/1M queries', (r) => perMillion(r.energy_wh_per_1k, r, 'gCo2ePerMillion')],
    ...(carbon.pricePerKwh === null
      ? []
      : ([
          ['cost/1M queries', (r) => perMillion(r.energy_wh_per_1k, r, 'costPerMillion')],
        ] as typeof MARKDOWN_COLUMNS)),
  ];
  const header = columns.map(([name]) => name);
  const lines = [
    `## energy-score bench`,
    '',
    `${document.environment.cpu}${int8FlagsNote(document)} · ${document.environment.os} · onnxruntime ${document.environment.onnxruntimeVersion} · ${document.createdAt}`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
  ];
  const notes: string[] = [];
  for (const result of document.results) {
    const flat = flatten(result);
    lines.push(`| ${columns.map(([, cell]) => escapeMarkdown(cell(flat, result))).join(' | ')} |`);
    const id = escapeMarkdown(displayName(result.id));
    if (result.reason) notes.push(`- ${id}: ${escapeMarkdown(result.reason)}`);
    for (const w of result.warnings) notes.push(`- ${id}: ${escapeMarkdown(w)}`);
  }
  const energyNotes = energyWarnings(document.results);
  for (const [id, w] of energyNotes.byRow)
    notes.push(`- ${escapeMarkdown(displayName(id))}: energy: ${escapeMarkdown(w)}`);
  if (notes.length) lines.push('', ...notes);
  for (const v of verdictTexts(document.results)) {
    lines.push('', `**${escapeMarkdown(v.headline)}**`, '');
    const [head, ...pairs] = v.details;
    lines.push(escapeMarkdown(head!), '', ...pairs.map((d) => `- ${escapeMarkdown(d)}`));
  }
  const budgets = budgetVerdict(document.results);
  if (budgets) lines.push('', `**${escapeMarkdown(budgets)}**`);
  const ratings = ratingSummary(document.results);
  if (ratings) lines.push('', `Ratings: ${escapeMarkdown(ratings)}.`);
  lines.push('', `Energy: ${escapeMarkdown(energySummary(document))}.`);
  lines.push('', `Carbon: ${escapeMarkdown(carbonText(carbon))}.`);
  for (const w of energyNotes.shared) lines.push('', `Energy: ${escapeMarkdown(w)}.`);
  if (document.interrupted)
    lines.push(
      '',
      'The run was interrupted: rows marked ok were measured in full; the rest did not run or did not finish.',
    );
  return lines.join('\n') + '\n';
}

export function render(format: ExportFormat, document: RunDocument): string {
  switch (format) {
    case 'json':
      return toJson(document);
    case 'csv':
      return toCsv(document);
    case 'markdown':
      return toMarkdown(document);
  }
}
