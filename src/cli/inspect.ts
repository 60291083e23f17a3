/** `energy-score inspect`: what a model takes, gives and contains. */
import type { Command } from 'commander';
import { formatShape, inspectModel, type ModelInfo } from '../model/inspect.js';
import { discoverModel } from '../model/variants.js';
import { makeChalk } from '../export/table.js';
import { inferTask } from '../workload/infer-task.js';
import { formatBytes } from '../workload/memory-fit.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'show a model: inputs and outputs with dynamic dims, IR version, opsets, operators, parameters',
    )
    .argument('<model>', '.onnx file, or a model folder (its fp32 variant, or the only one)')
    .option('--json', 'print JSON instead of text')
    .addHelpText(
      'after',
      `
Examples:
  energy-score inspect model.onnx
  energy-score inspect ./distilbert-onnx --json | jq .inputs`,
    )
    .action(async (model: string, flags: { json?: boolean }) => {
      const source = await discoverModel(model);
      const info = await inspectModel(source.variants[0]!.path);
      const task = inferTask(info);
      const variants = source.variants.map((v) => ({ precision: v.precision, path: v.path }));
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...info, variants, inferredTask: task }, null, 2) + '\n');
      } else {
        process.stdout.write(describe(info, variants, `${task.task} (${task.reason})`));
      }
    });
}

function describe(info: ModelInfo, variants: { precision: string; path: string }[], task: string): string {
  const chalk = makeChalk(process.stdout);
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
