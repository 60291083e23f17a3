/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no network) with the
 * results table, the verdict, carbon and cost, two plots, the label of the best configuration,
 * warnings and the method. The same document and settings always give the same bytes.
 */
import { starString } from '../render/stars.js';
import { labelSvg, ratedNote } from '../label/svg.js';
import { selectConfig } from '../label/select.js';
import { carbonFigures, carbonText, type CarbonSettings } from '../carbon/carbon.js';
import {
  describeEnergy,
  energyCell,
  energySummary,
  energyWarnings,
  modelBandPct,
} from '../render/energy-text.js';
import { formatSig } from '../render/numbers.js';
import { renderPlots, type LeftOut, type RenderedPlots } from './plots.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';
import { runTasks } from './table.js';
import { verdictTexts } from '../render/verdict.js';
import {
  anyFidelity,
  fidelityCell,
  metricWords,
  precisionCell,
  referenceIds,
} from '../render/fidelity-text.js';
import {
  anyGeneration,
  budgetVerdict,
  generationEnergyCell,
  generationNumberCell,
} from '../render/generation.js';
import { displayName, printable } from '../util/text-safety.js';

export interface HtmlReportOptions {
  carbon: CarbonSettings;
  /** The page's title; default "energy-score report: <models>". */
  title?: string;
}

/** Text made safe for HTML text and quoted attribute values: printable, and markup characters as entities. */
export function escapeHtml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const esc = escapeHtml;

const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

const withEnergy = (r: ConfigResult) => r.status === 'ok' && r.energy.status !== 'not-measured';

/** "est." after every figure that derives from estimated energy, as in the terminal table. */
const estMark = (r: ConfigResult) => (r.energy.status === 'estimated' ? ' est.' : '');

function starsCell(r: ConfigResult): string {
  if (r.status !== 'ok') return '';
  const rating = r.rating;
  if (rating.status === 'unrated') return `<span title="${esc(rating.reason)}">unrated</span>`;
  const stars = starString(rating.stars);
  return `<span class="stars" aria-label="${rating.stars} of 5 stars">${stars}</span>`;
}

function identityCells(r: ConfigResult): string {
  return [
    `<td>${esc(displayName(r.model.name))}</td>`,
    `<td>${esc(precisionCell(r))}</td>`,
    `<td class="n">${r.batchSize}</td>`,
    `<td>${esc(r.device)}</td>`,
  ].join('');
}

/** Per-token headers and cells, when the run generated tokens. */
const GENERATION_HEAD = [
  'new tokens',
  'J/token',
  'prefill J/query',
  'decode J/token',
  'tokens/s',
  'TTFT p50 ms',
];

function generationCells(r: ConfigResult): string[] {
  return [
    r.generation ? String(r.generation.newTokensPerQuery) : '–',
    generationEnergyCell(r, (g) => g.perTokenJ),
    generationEnergyCell(r, (g) => g.prefill.perQueryJ),
    generationEnergyCell(r, (g) => g.decode.perTokenJ),
    generationNumberCell(r, (g) => g.tokensPerSecond, 1),
    generationNumberCell(r, (g) => g.timeToFirstTokenMs.p50, 3),
  ];
}

function resultsTable(document: RunDocument): string {
  // The model band's column only where an estimated row has one.
  const withBand = document.results.some((r) => modelBandPct(r) !== null);
  const generative = anyGeneration(document.results);
  const withFidelity = anyFidelity(document.results);
  const references = referenceIds(document.results);
  const byId = new Map(document.results.map((r) => [r.id, r]));
  const head = [
    'model',
    'precision',
    'batch',
    'device',
    'status',
    'stars',
    'Wh/1k queries',
    'J/query',
    'queries/J',
    '±95%',
    ...(withBand ? ['±model'] : []),
    ...(withFidelity ? ['fidelity'] : []),
    'queries/s',
    'p50 ms/query',
    ...(generative ? GENERATION_HEAD : []),
    'energy',
    ...(runTasks(document.results).length > 1 ? ['task'] : []),
  ];
  const mixed = runTasks(document.results).length > 1;
  const rows = document.results.map((r) => {
    const ok = r.status === 'ok';
    const e = r.energy;
    const cells = ok
      ? [
          energyCell(r, (x) => x.energy.whPer1k, 3),
          energyCell(r, (x) => x.energy.perQueryJ, 3),
          energyCell(r, (x) => x.energy.queriesPerJ, 3),
          e.status === 'not-measured' || e.ci95Relative === null
            ? '–'
            : `${(e.ci95Relative * 100).toFixed(1)}%`,
          ...(withBand ? [modelBandPct(r)?.replace(' ', '') ?? '–'] : []),
          ...(withFidelity ? [fidelityCell(r, references, byId)] : []),
          fixed(r.throughputQps, 1),
          fixed(r.latencyPerQueryMs?.p50, 3),
          ...(generative ? generationCells(r) : []),
        ]
      : Array<string>(
          6 + (withBand ? 1 : 0) + (withFidelity ? 1 : 0) + (generative ? GENERATION_HEAD.length : 0),
        ).fill('');
    const method = !ok ? '' : e.status === 'not-measured' ? 'not measured' : e.status;
    return (
      `<tr class="${ok ? (e.status === 'estimated' ? 'estimated' : '') : 'not-ok'}">` +
      identityCells(r) +
      `<td>${esc(r.status)}</td><td>${starsCell(r)}</td>` +
      cells.map((c) => `<td class="n">${esc(c)}</td>`).join('') +
      `<td>${esc(method)}</td>${mixed ? `<td>${esc(r.task)}</td>` : ''}</tr>`
    );
  });
  return table(head, rows, 6);
}

/** A table whose columns from `firstNumeric` on are right-aligned. */
function table(head: string[], rows: string[], firstNumeric: number): string {
  const th = head.map(
    (h, i) => `<th${i >= firstNumeric || h === 'batch' ? ' class="n"' : ''}>${esc(h)}</th>`,
  );
  return `<div class="scroll"><table>\n<thead><tr>${th.join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table></div>`;
}

function carbonSection(document: RunDocument, settings: CarbonSettings): string {
  const rows = document.results.filter(withEnergy);
  const parts = [`<h2>Carbon and cost</h2>`, `<p class="source">${esc(carbonText(settings))}</p>`];
  if (rows.length === 0) {
    parts.push('<p>No configuration has an energy figure, so there are no carbon or cost figures.</p>');
    return parts.join('\n');
  }
  const priced = settings.pricePerKwh !== null;
  const head = [
    'model',
    'precision',
    'batch',
    'device',
    'Wh/1k queries',
    'gCO2e/1k queries',
    'gCO2e/1M queries',
    ...(priced ? ['cost/1k queries', 'cost/1M queries'] : []),
  ];
  const body = rows.map((r) => {
    const f = carbonFigures(r.energy.whPer1k!, settings);
    const mark = estMark(r);
    const cells = [
      `${formatSig(f.whPer1k, 3)}${mark}`,
      `${formatSig(f.gCo2ePer1k, 3)}${mark}`,
      `${formatSig(f.gCo2ePerMillion, 3)}${mark}`,
      ...(priced
        ? [`${formatSig(f.costPer1k!, 3)}${mark}`, `${formatSig(f.costPerMillion!, 3)}${mark}`]
        : []),
    ];
    return `<tr>${identityCells(r)}${cells.map((c) => `<td class="n">${esc(c)}</td>`).join('')}</tr>`;
  });
  parts.push(table(head, body, 4));
  parts.push(
    `<p class="small">gCO2e per 1,000 queries = Wh per 1,000 queries ÷ 1,000 × gCO2e/kWh; per million queries, 1,000 times that.` +
      (priced ? ' Cost is in the currency the price was given in.' : '') +
      (rows.some((r) => r.energy.status === 'estimated')
        ? ' Figures marked est. come from estimated energy, and are as uncertain as it is.'
        : '') +
      '</p>',
  );
  return parts.join('\n');
}

function leftOutList(items: LeftOut[]): string {
  return `<ul>${items.map((i) => `<li><code>${esc(displayName(i.id))}</code>: ${esc(i.reason)}</li>`).join('')}</ul>`;
}

function plotsSection(plots: RenderedPlots): string {
  const { data } = plots;
  const parts = ['<h2>Plots</h2>'];
  if (!plots.energyByBatchSvg) {
    parts.push('<p>Nothing to plot: no configuration has an energy figure.</p>');
    if (data.leftOut.length) parts.push(leftOutList(data.leftOut));
    return parts.join('\n');
  }
  const hollow = data.estimated === 'some' ? ' Hollow points are estimated, filled ones measured.' : '';
  const scale = data.logEnergy ? ' The energy axis is logarithmic.' : '';
  const bars =
    data.points.some((p) => p.loJ !== null) || data.droppedErrorBars
      ? ' Vertical bars: the 95 % confidence interval over the trials.' +
        (data.droppedErrorBars
          ? ` ${data.droppedErrorBars} interval(s) reaching 0 or below are not drawn on the log axis.`
          : '')
      : '';
  parts.push(
    `<figure id="energy-by-batch">${plots.energyByBatchSvg}<figcaption>Energy per query against batch size, one line per model and precision${data.multiDevice ? ' and device' : ''}.${hollow}${bars}${scale}</figcaption></figure>`,
  );
  if (plots.energyVsThroughputSvg) {
    parts.push(
      `<figure id="energy-vs-throughput">${plots.energyVsThroughputSvg}<figcaption>Energy per query against throughput, one point per configuration, labelled with its batch size; down and to the right is better.${hollow}${scale}</figcaption></figure>`,
    );
  } else {
    parts.push('<p>No configuration has a throughput figure, so energy is not plotted against it.</p>');
  }
  if (plots.energyByBudgetSvg) {
    parts.push(
      `<figure id="energy-by-budget">${plots.energyByBudgetSvg}<figcaption>Energy per query against the token budget (new tokens per query), one line per model, precision and batch size: what each extra token costs.${hollow}</figcaption></figure>`,
    );
  }
  for (const plot of plots.energyVsFidelity) {
    parts.push(
      `<figure id="energy-vs-fidelity-${esc(slug(plot.task))}">${plot.svg}<figcaption>${esc(
        `${plot.task}: energy per query against ${metricWords(plot.metric)} with the reference configuration, one point per configuration compared; the dashed line is the threshold, and grey marks the reference itself. Lower is better, on the passing side of the line; a rejected point's energy is not a saving.${
          plot.estimated === 'all'
            ? ' All energy here is estimated.'
            : plot.estimated === 'some'
              ? ' Hollow points are estimated, filled ones measured.'
              : ''
        }`,
      )}</figcaption></figure>`,
    );
  }
  if (data.leftOut.length) parts.push('<p>Left out of both plots:</p>', leftOutList(data.leftOut));
  if (data.noThroughput.length && plots.energyVsThroughputSvg)
    parts.push('<p>Left out of the throughput plot:</p>', leftOutList(data.noThroughput));
  return parts.join('\n');
}

/** A task name as an id fragment: letters, digits and hyphens. */
function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function labelSection(document: RunDocument): string {
  const parts = ['<h2>Label</h2>'];
  if (!document.results.some((r) => r.status === 'ok')) {
    parts.push('<p>No label: no configuration ran to the end.</p>');
    return parts.join('\n');
  }
  const chosen = selectConfig(document, 'the run');
  const rated = document.results.some((r) => r.status === 'ok' && r.rating.status === 'rated');
  const why = rated
    ? 'the best-rated configuration (most stars, then least energy per query)'
    : document.results.some(withEnergy)
      ? 'no configuration is rated, so this is the one with least energy per query'
      : 'no configuration has an energy figure, so this is the first that ran to the end';
  parts.push(
    `<figure id="label">${labelSvg(document, chosen)}<figcaption>Label for <code>${esc(displayName(chosen.id))}</code>: ${esc(why)}.</figcaption></figure>`,
  );
  return parts.join('\n');
}

function notesSection(document: RunDocument): string {
  const items: string[] = [];
  const note = (id: string | null, text: string) =>
    items.push(`<li>${id === null ? '' : `<code>${esc(displayName(id))}</code>: `}${esc(text)}</li>`);
  if (document.interrupted)
    note(
      null,
      'The run was interrupted: rows marked ok were measured in full; the rest did not run or did not finish.',
    );
  if (!document.complete)
    note(null, 'The result file is incomplete: the run that wrote it crashed or was killed.');
  for (const r of document.results) {
    if (r.reason) note(r.id, `${r.status}: ${r.reason}`);
    for (const w of r.warnings) note(r.id, w);
  }
  const energy = energyWarnings(document.results);
  for (const w of energy.shared) note(null, `energy: ${w}`);
  for (const [id, w] of energy.byRow) note(id, `energy: ${w}`);
  for (const n of document.energyNotes) note(null, `meters: ${n}`);
  for (const r of document.results) {
    if (r.status !== 'ok') continue;
    if (r.rating.status === 'rated') note(r.id, ratedNote(r.rating));
  }
  const unrated = document.results.filter((r) => r.status === 'ok' && r.rating.status === 'unrated');
  const reasons = new Set(unrated.map((r) => (r.rating.status === 'unrated' ? r.rating.reason : '')));
  // One reason shared by every unrated row is said once.
  if (unrated.length > 1 && reasons.size === 1) note(null, `unrated: ${[...reasons][0]}`);
  else
    for (const r of unrated) note(r.id, `unrated: ${r.rating.status === 'unrated' ? r.rating.reason : ''}`);
  if (items.length === 0) return '';
  return `<h2>Warnings and notes</h2>\n<ul class="notes">\n${items.join('\n')}\n</ul>`;
}

function methodSection(document: RunDocument): string {
  const methods = new Set(document.results.filter(withEnergy).map(describeEnergy));
  return [
    '<h2>Method</h2>',
    `<p class="small">Energy: ${esc(energySummary(document))}.</p>`,
    methods.size > 1
      ? `<ul class="small">${[...methods].map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`
      : '',
    '<p class="small">Each configuration (model, precision, batch size, device) runs a warm-up, then a measured loop of ' +
      'queries over several trials. J/query is the energy over the measured windows divided by the queries run; ' +
      'Wh per 1,000 queries (AI Energy Score’s unit) is J/query × 1,000 ÷ 3,600; queries/J is its inverse. ±95% is ' +
      'the half-width of the 95 % confidence interval of J/query over the trials, relative to it. Energy marked ' +
      'estimated comes from a model of power (TDP and load), not a meter. Stars rate a configuration’s energy ' +
      'within a cohort (1 to 5, 5 the least energy); a rating is only as good as the energy and the cohort behind it. ' +
      'Carbon figures multiply energy by a yearly average grid intensity, not the marginal or hourly intensity of ' +
      'the electricity actually used. The verdict sets each configuration against the reference (the one the ' +
      'others’ answers were compared with, else fp32 at the smallest batch): two figures whose 95 % intervals ' +
      'overlap are indistinguishable (for estimated energy without the model band, which two estimates on one ' +
      'machine share; for two measured in the same interleaved rounds, the interval of their ratio round by ' +
      'round decides); the frugal choice is the cheapest configuration whose fidelity passes and whose energy ' +
      'is distinguishably below the reference’s by 10 % or more, else the reference.</p>',
  ]
    .filter(Boolean)
    .join('\n');
}

function environmentLine(document: RunDocument): string {
  const env = document.environment;
  const parts = [
    env.cpu,
    ...env.gpus.map((g) => `GPU ${g.index}: ${g.name}`),
    env.os,
    `onnxruntime ${env.onnxruntimeVersion}`,
    `${document.tool.name} ${document.tool.version}`,
    document.createdAt,
  ];
  return `<p class="env">${parts.map(esc).join(' · ')}</p>`;
}

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #1f2328; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.env, .source, .small, figcaption { color: #57606a; }
.small, figcaption { font-size: 0.9em; }
.verdict { font-size: 1.1em; font-weight: 600; }
ul.pairs { margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; text-align: left; white-space: nowrap; }
th { background: #f3f4f6; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.not-ok td { color: #8c959f; }
.stars { color: #3aa35b; letter-spacing: 1px; }
figure { margin: 16px 0; background: #fff; border: 1px solid #e5e7eb; padding: 12px; display: inline-block; max-width: calc(100% - 26px); }
figure svg { display: block; max-width: 100%; height: auto; }
code { font-size: 0.9em; }
ul.notes li { margin: 2px 0; }
@media print { body { background: #fff; } figure { break-inside: avoid; } }
`;

/** The report page for a run document. */
export async function renderHtmlReport(document: RunDocument, options: HtmlReportOptions): Promise<string> {
  const models = [...new Set(document.results.map((r) => displayName(r.model.name)))];
  const title = options.title ?? `energy-score report: ${models.join(', ') || 'no results'}`;
  const plots = await renderPlots(document);
  const verdictHtml = verdictTexts(document.results).flatMap((v) => {
    const [head, ...pairs] = v.details;
    return [
      `<p class="verdict">${esc(v.headline)}</p>`,
      `<p class="small">${esc(head!)}</p>`,
      `<ul class="pairs">${pairs.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`,
    ];
  });
  const budgets = budgetVerdict(document.results);
  const body = [
    `<h1>${esc(title)}</h1>`,
    environmentLine(document),
    ...verdictHtml,
    budgets ? `<p class="verdict">${esc(budgets)}</p>` : '',
    '<h2>Results</h2>',
    document.results.length ? resultsTable(document) : '<p>The run has no results.</p>',
    carbonSection(document, options.carbon),
    plotsSection(plots),
    labelSection(document),
    notesSection(document),
    methodSection(document),
  ].filter(Boolean);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
