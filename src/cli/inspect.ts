/** `energy-score inspect`: what a model takes, gives and contains. */
import type { Command } from 'commander';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';

export function registerInspect(program: Command): void {
  const command = program
    .command('inspect')
    .description(
      'show a model: inputs and outputs with dynamic dims, IR version, opsets, operators, parameters',
    )
    .argument('<model>', '.onnx file, or a model folder (its fp32 variant, or the only one)');
  addOutputOptions(command, ['json'], {
    json: 'write JSON to a file, or to stdout instead of text (bare --json or -)',
  })
    .addHelpText(
      'after',
      `
Examples:
  energy-score inspect model.onnx
  energy-score inspect ./distilbert-onnx --json | jq .inputs`,
    )
    .action(async (model: string, flags: OutputFlags) => {
      const [{ OutputSink }, { inspect }, { renderInspectText }, { makeChalk }] = await Promise.all([
        import('../export/sink.js'),
        import('../app/inspect.js'),
        import('../export/inspect-text.js'),
        import('../export/table.js'),
      ]);
      const sink = await OutputSink.open(await outputRequests(flags, ['json']));
      const report = await inspect(model);
      const json = JSON.stringify(report, null, 2) + '\n';
      if (sink.stdoutFormat === 'json') await sink.write('json', json);
      else {
        await sink.writeFile('json', json);
        const { variants, inferredTask, generation, ...info } = report;
        const task = `${inferredTask.task} (${inferredTask.reason})`;
        const generates =
          generation === null
            ? undefined
            : generation.status === 'found'
              ? `${generation.description}; ${generation.cacheInputs} cache inputs; context ${generation.contextTokens} tokens (${generation.contextSource})${generation.assumptions.map((a) => `; assumed: ${a}`).join('')}`
              : `cannot be driven: ${generation.reason}`;
        await sink.text(renderInspectText(info, variants, task, makeChalk(sink.textStream), generates));
      }
    });
}
