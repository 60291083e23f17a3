/** The text report of `energy-score inspect`. */
import type { ChalkInstance } from 'chalk';
import { formatShape, type ModelInfo } from '../model/inspect.js';
import { formatBytes } from '../workload/memory-fit.js';
import { displayName, printable } from '../util/text-safety.js';

export function renderInspectText(
  info: ModelInfo,
  variants: { precision: string; path: string }[],
  task: string,
  chalk: ChalkInstance,
  /** How bench generates with it, in words; absent for a one-pass model. */
  generation?: string,
): string {
  const lines: string[] = [];
  const heading = (text: string) => lines.push('', chalk.bold(text));
  // Names and the producer come from the model file, the path from the user: any may hold escapes.
  lines.push(chalk.bold(printable(info.path)));
  lines.push(
    `  size        ${formatBytes(info.fileSizeBytes)}${info.externalDataBytes ? ` + ${formatBytes(info.externalDataBytes)} external data` : ''}`,
  );
  lines.push(`  sha256      ${info.sha256}`);
  lines.push(`  IR version  ${info.irVersion}`);
  lines.push(`  opsets      ${info.opsets.map((o) => `${printable(o.domain)} ${o.version}`).join(', ')}`);
  if (info.producer.name)
    lines.push(
      `  producer    ${displayName(info.producer.name)} ${printable(info.producer.version)}`.trimEnd(),
    );
  lines.push(
    `  parameters  ${info.parameterCount.toLocaleString('en-US')} (${formatBytes(info.parameterBytes)}: ${Object.entries(
      info.parameterCountByDtype,
    )
      .map(([d, n]) => `${d} ${n.toLocaleString('en-US')}`)
      .join(', ')})`,
  );
  lines.push(`  task        ${printable(task)}`);
  if (generation !== undefined) lines.push(`  generation  ${printable(generation)}`);
  if (variants.length > 1) lines.push(`  variants    ${variants.map((v) => v.precision).join(', ')}`);
  heading('inputs');
  for (const i of info.inputs) {
    const vocab =
      info.embeddingVocab[i.name] !== undefined ? `  (vocabulary ${info.embeddingVocab[i.name]})` : '';
    lines.push(`  ${displayName(i.name)}  ${i.dtype} ${printable(formatShape(i.shape))}${vocab}`);
  }
  heading('outputs');
  for (const o of info.outputs)
    lines.push(`  ${displayName(o.name)}  ${o.dtype} ${printable(formatShape(o.shape))}`);
  heading(`operators (${info.nodeCount} nodes)`);
  for (const [op, count] of Object.entries(info.opCounts))
    lines.push(`  ${String(count).padStart(5)}  ${displayName(op)}`);
  return lines.join('\n') + '\n';
}
