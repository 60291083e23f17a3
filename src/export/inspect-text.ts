/** The text report of `energy-score inspect`. */
import type { ChalkInstance } from 'chalk';
import { formatShape, type ModelInfo } from '../model/inspect.js';
import { formatBytes } from '../workload/memory-fit.js';

export function renderInspectText(
  info: ModelInfo,
  variants: { precision: string; path: string }[],
  task: string,
  chalk: ChalkInstance,
): string {
  const lines: string[] = [];
  const heading = (text: string) => lines.push('', chalk.bold(text));
  lines.push(chalk.bold(info.path));
  lines.push(
    `  size        ${formatBytes(info.fileSizeBytes)}${info.externalDataBytes ? ` + ${formatBytes(info.externalDataBytes)} external data` : ''}`,
  );
  lines.push(`  sha256      ${info.sha256}`);
  lines.push(`  IR version  ${info.irVersion}`);
  lines.push(`  opsets      ${info.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  if (info.producer.name)
    lines.push(`  producer    ${info.producer.name} ${info.producer.version}`.trimEnd());
  lines.push(
    `  parameters  ${info.parameterCount.toLocaleString('en-US')} (${formatBytes(info.parameterBytes)}: ${Object.entries(
      info.parameterCountByDtype,
    )
      .map(([d, n]) => `${d} ${n.toLocaleString('en-US')}`)
      .join(', ')})`,
  );
  lines.push(`  task        ${task}`);
  if (variants.length > 1) lines.push(`  variants    ${variants.map((v) => v.precision).join(', ')}`);
  heading('inputs');
  for (const i of info.inputs) {
    const vocab =
      info.embeddingVocab[i.name] !== undefined ? `  (vocabulary ${info.embeddingVocab[i.name]})` : '';
    lines.push(`  ${i.name}  ${i.dtype} ${formatShape(i.shape)}${vocab}`);
  }
  heading('outputs');
  for (const o of info.outputs) lines.push(`  ${o.name}  ${o.dtype} ${formatShape(o.shape)}`);
  heading(`operators (${info.nodeCount} nodes)`);
  for (const [op, count] of Object.entries(info.opCounts))
    lines.push(`  ${String(count).padStart(5)}  ${op}`);
  return lines.join('\n') + '\n';
}
