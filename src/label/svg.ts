/**
 * A label in the style of the AI Energy Score label (260×364 px, Inter, #313131, five stars):
 * one configuration's model, task, hardware, date and energy per 1,000 queries, its stars, and
 * the scale and cohort that gave them. It says it is not an official AI Energy Score label.
 *
 * Pure: the same document and result always give the same bytes. No element ids, so several
 * labels can sit inline in one HTML page.
 */
import { formatSig } from '../render/numbers.js';
import { hardwareOf } from '../result/hardware.js';
import type { ConfigResult, RatingRated, RunDocument } from '../result/schema.js';
import { displayName } from '../util/text-safety.js';
import { fidelityVerdictText } from '../render/fidelity-text.js';
import { escapeXml, textWidthPx, truncate, wrap, type Font } from './text.js';

export const LABEL_WIDTH_PX = 260;
export const LABEL_HEIGHT_PX = 364;
export const LABEL_FONT_FAMILY = "Inter, 'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

const MARGIN_PX = 16;
const RIGHT_PX = LABEL_WIDTH_PX - MARGIN_PX;
const CONTENT_WIDTH_PX = RIGHT_PX - MARGIN_PX;
/** Where captions start, after a row's 14 px icon. */
const CAPTION_X_PX = 36;
const GAP_PX = 8;

const INK = '#313131';
const MUTED = '#5c5c5c';
const RULE = '#e3e3e3';
const STAR_EARNED = '#3aa35b';
const STAR_EMPTY = '#d9d9d9';
const ESTIMATED = '#a84e00';

const NAME_FONT: Font = { sizePx: 16, bold: true };
const ROW_FONT: Font = { sizePx: 12 };
const NOTE_FONT: Font = { sizePx: 10 };
const FIGURE_SIZE_PX = 14;
/** Row values and the energy figure shrink to this before they are truncated. */
const MIN_SIZE_PX = 10;

export interface LabelSvgOptions {
  /** Multiplies the width and height attributes; the drawing keeps its 260×364 viewBox. Default 1. */
  scale?: number;
}

/** The label of one configuration of a run, as a standalone SVG document. */
export function labelSvg(document: RunDocument, result: ConfigResult, options: LabelSvgOptions = {}): string {
  const scale = options.scale ?? 1;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(LABEL_WIDTH_PX * scale)}" height="${num(LABEL_HEIGHT_PX * scale)}" viewBox="0 0 ${LABEL_WIDTH_PX} ${LABEL_HEIGHT_PX}" role="img" font-family="${escapeXml(LABEL_FONT_FAMILY)}" fill="${INK}">`,
    `<title>${escapeXml(summary(result))}</title>`,
    `<desc>${escapeXml(`Made by energy-score ${document.tool.version} from configuration ${displayName(result.id)}, in the style of the AI Energy Score label; not an official AI Energy Score label.`)}</desc>`,
    `<rect x="0.5" y="0.5" width="${LABEL_WIDTH_PX - 1}" height="${LABEL_HEIGHT_PX - 1}" rx="10" fill="#ffffff" stroke="${INK}"/>`,
    ...header(),
    ...modelBlock(result),
    ...detailRows(document, result),
    rule(200),
    ...energyBlock(result),
    rule(248),
    ...ratingBlock(document, result),
    ...footer(),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}

/** "0.00624 J per token (estimated)" for a generation with energy; null otherwise. */
function perTokenText(result: ConfigResult): string | null {
  const g = result.generation;
  if (!g || g.perTokenJ === null || g.energyStatus === 'not-measured') return null;
  return `${formatSig(g.perTokenJ, 3)} J per token (${g.energyStatus})`;
}

/** The label's content in one sentence, for screen readers and tooltips. */
function summary(result: ConfigResult): string {
  const e = result.energy;
  const energy =
    e.status === 'not-measured'
      ? 'energy not measured'
      : `${formatSig(e.whPer1k, 3)} Wh per 1,000 queries (${e.status})`;
  const r = result.rating;
  const rating = r.status === 'rated' ? `${r.stars} of 5 stars on the ${r.scale} scale` : 'unrated';
  const perToken = perTokenText(result);
  const f = result.fidelity;
  const answers = f ? `, ${fidelityVerdictText(f)} against ${displayName(f.reference)}` : '';
  return `Energy label for ${displayName(result.model.name)} (${displayName(result.id)}): ${energy}${perToken ? `, ${perToken}` : ''}${answers}, ${rating}`;
}

function header(): string[] {
  const title = 'energy-score';
  const font: Font = { sizePx: 18 };
  const iconPx = 20;
  // Icon and title centred together, as in the original header.
  const left = (LABEL_WIDTH_PX - (iconPx + 6 + textWidthPx(title, font))) / 2;
  return [
    `<path d="M10 0.5H250A9.5 9.5 0 0 1 259.5 10V44H0.5V10A9.5 9.5 0 0 1 10 0.5Z" fill="${INK}"/>`,
    star(left + iconPx / 2, 22, iconPx / 2, STAR_EARNED),
    text(left + iconPx + 6, 28, title, { sizePx: 18, weight: 500, fill: '#ffffff' }),
  ];
}

function modelBlock(result: ConfigResult): string[] {
  const out = [text(MARGIN_PX, 62, 'Model', { sizePx: 12, weight: 400 })];
  const lines = wrap(displayName(oneLine(result.model.name)), CONTENT_WIDTH_PX, NAME_FONT, 2);
  lines.forEach((line, i) => out.push(text(MARGIN_PX, 81 + 18 * i, line, { sizePx: 16, weight: 700 })));
  const g = result.generation;
  // A generation's budget and energy per token take a line of their own where a one-line name
  // leaves room above the details, else the budget joins the variant line.
  const ownLine = g !== undefined && lines.length === 1;
  const budget = g && !ownLine ? ` · ${g.newTokensPerQuery} tokens` : '';
  const variant = `${result.precision} · batch ${result.batchSize} · ${result.device}${budget}`;
  const y = 81 + 18 * (lines.length - 1) + 17;
  out.push(text(MARGIN_PX, y, truncate(oneLine(variant), CONTENT_WIDTH_PX, ROW_FONT), { sizePx: 12 }));
  if (g && ownLine) {
    // The energy first, with its label, so that a cut can only shorten the budget.
    const energy =
      g.perTokenJ !== null && g.energyStatus !== 'not-measured'
        ? `${formatSig(g.perTokenJ, 3)} J/token${g.energyStatus === 'estimated' ? ' est.' : ''} · `
        : '';
    const line = `${energy}${g.newTokensPerQuery} new tokens`;
    out.push(text(MARGIN_PX, y + 14, truncate(line, CONTENT_WIDTH_PX, { sizePx: 11 }), { sizePx: 11 }));
  }
  return out;
}

function detailRows(document: RunDocument, result: ConfigResult): string[] {
  const rows: [icon: string, caption: string, value: string, maxLines: number][] = [
    [ICON_CALENDAR, 'Scored', dateOf(document.createdAt), 1],
    [ICON_TASK, 'Task', result.task, 1],
    // Hardware names run long (CPU brand strings), so they may take a second line.
    [ICON_HARDWARE, 'Hardware', hardwareOf(result, document.environment), 2],
  ];
  return rows.flatMap(([icon, caption, value, maxLines], i) => {
    const y = 138 + 20 * i;
    const maxWidth = RIGHT_PX - (CAPTION_X_PX + textWidthPx(caption, ROW_FONT) + GAP_PX);
    const out = [
      `<g transform="translate(${MARGIN_PX} ${y - 11})" fill="none" stroke="${INK}" stroke-width="1.2" stroke-linecap="round" stroke-linejoin="round">${icon}</g>`,
      text(CAPTION_X_PX, y, caption, { sizePx: 12, weight: 400 }),
    ];
    const clean = oneLine(value);
    if (maxLines > 1 && textWidthPx(clean, ROW_FONT) > maxWidth) {
      wrap(clean, maxWidth, ROW_FONT, maxLines).forEach((line, j) =>
        out.push(text(RIGHT_PX, y + 14 * j, line, { sizePx: 12, weight: 500, anchor: 'end' })),
      );
    } else {
      const size = fittingSize(clean, maxWidth, 12) ?? MIN_SIZE_PX;
      const line = truncate(clean, maxWidth, { sizePx: size });
      out.push(text(RIGHT_PX, y, line, { sizePx: size, weight: 500, anchor: 'end' }));
    }
    return out;
  });
}

function energyBlock(result: ConfigResult): string[] {
  const out = [
    `<g transform="translate(${MARGIN_PX} 214)" fill="none" stroke="${INK}" stroke-width="1.2" stroke-linejoin="round">${ICON_BOLT}</g>`,
    text(CAPTION_X_PX, 219, 'Inference energy', { sizePx: 12, weight: 400 }),
    text(CAPTION_X_PX, 233, 'per 1k queries', { sizePx: 12, weight: 400 }),
  ];
  const left = CAPTION_X_PX + textWidthPx('Inference energy', ROW_FONT) + GAP_PX;
  const maxWidth = RIGHT_PX - left;
  const e = result.energy;
  if (e.status === 'not-measured') {
    // The caption beside it says "Inference energy"; the note below says why it was not measured.
    out.push(text(RIGHT_PX, 228, 'not measured', { sizePx: 12, weight: 500, anchor: 'end' }));
    return out;
  }
  const figure = `${formatSig(e.whPer1k, 3)} Wh`;
  const size = fittingSize(figure, maxWidth, FIGURE_SIZE_PX) ?? MIN_SIZE_PX;
  out.push(text(RIGHT_PX, 224, figure, { sizePx: size, weight: 500, anchor: 'end' }));
  out.push(
    e.status === 'estimated'
      ? text(
          RIGHT_PX,
          238,
          e.modelBand ? `estimated ±${Math.round(e.modelBand.relative * 100)} %` : 'estimated',
          {
            sizePx: 10,
            weight: 700,
            anchor: 'end',
            fill: ESTIMATED,
          },
        )
      : text(RIGHT_PX, 238, 'measured', { sizePx: 10, weight: 400, anchor: 'end', fill: MUTED }),
  );
  return out;
}

/**
 * The headline fidelity in words, "Fidelity ✓ top-1 agreement 99.6% ≥ 99%", where the result was
 * compared with a reference; against another model it names that model (agreement, not accuracy).
 */
export function fidelityLine(document: RunDocument, result: ConfigResult): string | null {
  const f = result.fidelity;
  if (!f) return null;
  const referenceModel = document.results.find((r) => r.id === f.reference)?.model.name;
  // "99.6%" without a space here, so that a wrap never leaves the "%" alone on a line.
  const figure = fidelityVerdictText(f, referenceModel ?? f.reference).replace(/ %/g, '%');
  return `Fidelity ${f.pass ? '✓' : '✗'} ${figure}`;
}

function ratingBlock(document: RunDocument, result: ConfigResult): string[] {
  const r = result.rating;
  const earned = r.status === 'rated' ? r.stars : 0;
  const out = [text(MARGIN_PX, 269, 'Energy Score', { sizePx: 12, weight: 500 })];
  // Five 19 px stars, 20 px apart, the last one ending at the right margin.
  for (let i = 0; i < 5; i++) {
    out.push(star(RIGHT_PX - 9.5 - 20 * (4 - i), 264.5, 9.5, i < earned ? STAR_EARNED : STAR_EMPTY));
  }
  // The fidelity line (one or two lines) takes the note's first lines; the note keeps the rest.
  const fidelity = fidelityLine(document, result);
  const fidelityLines = fidelity ? wrap(fidelity, CONTENT_WIDTH_PX, NOTE_FONT, 2) : [];
  fidelityLines.forEach((line, i) =>
    out.push(text(MARGIN_PX, 287 + 12 * i, line, { sizePx: 10, weight: 500, fill: INK })),
  );
  const note = r.status === 'rated' ? ratedNote(r) : unratedNote(result);
  wrap(note, CONTENT_WIDTH_PX, NOTE_FONT, 3 - fidelityLines.length).forEach((line, i) =>
    out.push(
      text(MARGIN_PX, 287 + 12 * (fidelityLines.length + i), line, { sizePx: 10, weight: 400, fill: MUTED }),
    ),
  );
  return out;
}

/** "Rated on the aies scale · AI Energy Score v1 leaderboard (February 2025), 13 models", and flags. */
export function ratedNote(r: RatingRated): string {
  const c = r.cohort;
  const [one, many] =
    c.kind === 'within-run'
      ? ['configuration', 'configurations']
      : c.kind === 'reference'
        ? ['model', 'models']
        : ['entry', 'entries'];
  const cohort = `${c.kind === 'within-run' ? 'within ' : ''}${c.source}, ${c.size} ${c.size === 1 ? one : many}`;
  const flags = [
    r.clamped === 'below' ? 'below the cohort’s range' : '',
    r.clamped === 'above' ? 'above the cohort’s range' : '',
    r.singleton ? 'the only entry in its cohort' : '',
    r.starsWithin95 && r.starsWithin95[0] !== r.starsWithin95[1]
      ? `${r.starsWithin95[0]}–${r.starsWithin95[1]} stars within the 95 % interval`
      : '',
    r.energyStatus === 'estimated' ? 'rated on estimated energy' : '',
  ].filter(Boolean);
  return [`Rated on the ${r.scale} scale`, cohort, ...flags].join(' · ');
}

/** "Unrated: <first sentence of the reason>", led by why there is no energy figure when there is none. */
export function unratedNote(result: ConfigResult): string {
  const reason = result.rating.status === 'unrated' ? firstSentence(result.rating.reason) : '';
  const energy =
    result.energy.status === 'not-measured'
      ? `energy not measured (${firstSentence(result.energy.reason)}); `
      : '';
  return `Unrated: ${energy}${reason}`;
}

function firstSentence(text: string): string {
  return oneLine(text).split(/\.(?:\s|$)/)[0]!;
}

function footer(): string[] {
  const y = 320;
  return [
    `<rect x="${MARGIN_PX}" y="${y}" width="${CONTENT_WIDTH_PX}" height="28" rx="5" fill="${INK}"/>`,
    text(LABEL_WIDTH_PX / 2, y + 18, 'AI Energy Score-style label · not official', {
      sizePx: 10,
      weight: 500,
      anchor: 'middle',
      fill: '#ffffff',
    }),
  ];
}

function rule(y: number): string {
  return `<path d="M1 ${y}H259" stroke="${RULE}"/>`;
}

/** The largest size from `preferredPx` down to the minimum at which `text` fits, or null. */
function fittingSize(text: string, maxWidthPx: number, preferredPx: number): number | null {
  for (let size = preferredPx; size >= MIN_SIZE_PX; size--) {
    if (textWidthPx(text, { sizePx: size }) <= maxWidthPx) return size;
  }
  return null;
}

interface TextStyle {
  sizePx: number;
  weight?: 400 | 500 | 700;
  anchor?: 'middle' | 'end';
  fill?: string;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attrs = [`x="${num(x)}"`, `y="${num(y)}"`, `font-size="${style.sizePx}"`];
  attrs.push(`font-weight="${style.weight ?? 500}"`);
  if (style.anchor) attrs.push(`text-anchor="${style.anchor}"`);
  if (style.fill) attrs.push(`fill="${style.fill}"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** A five-pointed star centred on (cx, cy), its points `r` from the centre. */
function star(cx: number, cy: number, r: number, fill: string): string {
  const inner = r * 0.4;
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    points.push(`${num(cx + radius * Math.cos(angle))},${num(cy + radius * Math.sin(angle))}`);
  }
  return `<polygon points="${points.join(' ')}" fill="${fill}"/>`;
}

/** Two decimals at most, no trailing zeros: stable text for the same geometry. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** YYYY-MM-DD from an ISO timestamp; anything else as it is. */
function dateOf(createdAt: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(createdAt)?.[0] ?? createdAt;
}

// 14×14 line icons, drawn with the row's stroke.
const ICON_CALENDAR =
  '<rect x="1" y="2.5" width="12" height="10.5" rx="2"/><path d="M1 6.5H13M4.5 1V4M9.5 1V4"/>';
const ICON_TASK = '<rect x="1" y="1" width="12" height="12" rx="2"/><path d="M4 7.2L6.2 9.4L10 5"/>';
const ICON_HARDWARE =
  '<rect x="1" y="1" width="12" height="5.2" rx="1.5"/><rect x="1" y="7.8" width="12" height="5.2" rx="1.5"/><path d="M3.8 3.6H4M3.8 10.4H4"/>';
const ICON_BOLT = '<path d="M8 1L2.5 8H7L6 13L11.5 6H7Z"/>';
