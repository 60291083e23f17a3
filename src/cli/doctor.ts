/** `energy-score doctor`: which providers and meters work here. The work is app/doctor.ts. */
import type { Command } from 'commander';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';

export function registerDoctor(program: Command): void {
  const command = program
    .command('doctor')
    .description('show which execution providers and energy meters work here, and how to enable the rest');
  addOutputOptions(command, ['json'], {
    json: 'write one JSON object {providers, meters, gpus, auto} to a file, or to stdout instead of text (bare --json or -)',
  });
  command
    .addHelpText(
      'after',
      `
Examples:
  energy-score doctor                       what works here, with a fix: line under what does not
  energy-score doctor --json | jq .auto     the meter --meter auto picks per domain

Exits 0 even when meters are missing: doctor reports, it does not fail.`,
    )
    .action(async (flags: OutputFlags) => {
      const [{ OutputSink }, { diagnose }, { renderDoctor }, { makeChalk }] = await Promise.all([
        import('../export/sink.js'),
        import('../app/doctor.js'),
        import('../export/doctor-text.js'),
        import('../export/table.js'),
      ]);
      const sink = await OutputSink.open(await outputRequests(flags, ['json']));
      const report = await diagnose();
      const json = JSON.stringify(report, null, 2) + '\n';
      if (sink.stdoutFormat === 'json') await sink.write('json', json);
      else {
        await sink.writeFile('json', json);
        await sink.text(renderDoctor(report, makeChalk(sink.textStream)));
      }
    });
}
