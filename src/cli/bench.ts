/** `energy-score bench`: measure models and print the report. */
import type { Command } from 'commander';
import { collectEnvironment } from '../env/environment.js';
import { parsePrecision, type Precision } from '../model/variants.js';
import { renderTable, makeChalk } from '../export/table.js';
import { newDocument, planBench, runBench, type BenchOptions } from '../app/bench-plan.js';
import { parseDevice, type Device } from '../runner/providers.js';
import { parseOverrides } from '../workload/overrides.js';
import { TASK_NAMES } from '../workload/tasks.js';
import { stopMeters } from '../meters/registry.js';
import type { EnergyMeter } from '../meters/types.js';
import { DEMO_MAX_SECONDS } from '../runner/protocol.js';
import { readGpuTemperaturesC } from '../devices/gpu-temperature.js';
import {
  addMeterOptions,
  addProtocolOptions,
  protocolFrom,
  startMeters,
  type EnergyFlags,
} from './energy-options.js';
import { OutputWriter } from './outputs.js';
import { appendStepSummary } from '../ci/github.js';
import { toMarkdown } from '../export/formats.js';
import { renderHtmlReport } from '../export/html.js';
import { checkFolderWritable, writeFileAtomic } from '../util/atomic-write.js';
import { addRatingOptions, ratingPlan, type RatingFlags } from './rating-options.js';
import { addCarbonOptions, carbonFrom, type CarbonFlags } from './carbon-options.js';
import { rateItems, type RatingPlan } from '../rating/assign.js';
import type { RunDocument } from '../result/schema.js';
import { collect, list, nonNegativeInt, positiveInt } from './parse.js';
import { createProgress } from './progress.js';

interface BenchFlags extends EnergyFlags, RatingFlags, CarbonFlags {
  rateWithinRun?: boolean;
  task?: string;
  device?: Device[];
  precision?: Precision[];
  batch?: number[];
  queries?: number;
  warmup: number;
  threads?: number;
  seed: number;
  dim?: string[];
  shape?: string[];
  fill?: string[];
  json?: string;
  csv?: string;
  markdown?: string;
  html?: string;
}

export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description('measure models: every precision variant × batch size × device is one configuration')
    .argument(
      '[models...]',
      '.onnx files or model folders (Hugging Face naming); none runs the built-in demo',
    )
    .option('--task <task>', `task suite (${TASK_NAMES.join(', ')}); inferred from the inputs when left out`)
    .option('--device <list>', 'cpu, cuda, or both (default: cpu)', list('--device', parseDevice))
    .option(
      '--precision <list>',
      'variants to run: fp32, fp16, q8 (model_quantized), int8, uint8, q4, q4f16, bnb4 (default: every variant found)',
      list('--precision', parsePrecision),
    )
    .option('--batch <list>', 'batch sizes (default: 1)', list('--batch', positiveInt('--batch')))
    .option(
      '--queries <n>',
      "queries per configuration (default: the task's suite, 1000)",
      positiveInt('--queries'),
    )
    .option(
      '--warmup <n>',
      'batches run before timing starts (at least 1: its outputs are checked for NaN)',
      nonNegativeInt('--warmup'),
      5,
    )
    .option(
      '--threads <n>',
      "ONNX Runtime intra-op threads (default: ONNX Runtime's, one per core)",
      positiveInt('--threads'),
    )
    .option('--seed <n>', 'seed for query sizes and input values', nonNegativeInt('--seed'), 0)
    .option('--dim <name=n>', 'size of a named dynamic dim, e.g. sequence_length=128 (repeatable)', collect)
    .option(
      '--shape <input=AxB>',
      'whole shape of an input, e.g. pixel_values=1x3x224x224 (repeatable)',
      collect,
    )
    .option(
      '--fill <input=value>',
      'constant value for an input, e.g. attention_mask=1 (repeatable)',
      collect,
    )
    .option('--json <file|->', 'write the result JSON (the full record) to a file, or - for stdout')
    .option('--csv <file|->', 'write one CSV row per configuration')
    .option('--markdown <file|->', 'write a Markdown report (for a pull request or CI summary)')
    .option('--html <file>', 'write a self-contained HTML report: table, plots, label, carbon (at the end)');
  addProtocolOptions(addMeterOptions(command));
  command.option(
    '--rate-within-run',
    'rate the configurations of this run among themselves (the demo does); needs energy',
  );
  addRatingOptions(command);
  addCarbonOptions(command);
  command
    .addHelpText(
      'after',
      `
Examples:
  energy-score bench                                   the built-in demo: three encoders, every precision
  energy-score bench model.onnx --batch 1,8,32 --json result.json
  energy-score bench ./my-model --precision fp32,int8 --queries 200 --csv -
  energy-score bench model.onnx --device cuda --meter nvml --gpus 0 --target-ci 1
  energy-score bench vit.onnx --task image-classification --dim height=384 --dim width=384
  energy-score bench a.onnx b.onnx --rate-within-run   star ratings among this run's configurations
  energy-score bench model.onnx --cohort earlier/*.json --scale log
  energy-score bench model.onnx --batch 1,8,32 --html report.html --region FRA --price 0.25

Energy: the best meter per domain is picked (NVML, nvidia-smi, RAPL, else an estimate from
the CPU's TDP and load, labelled estimated). Idle power is measured first; each configuration
runs whole passes of the suite in windows of at least --min-window seconds, repeated until the
95 % interval of energy per query is within --target-ci percent.
Results are written after every configuration, so Ctrl-C keeps what was measured.

Ratings: GPU energy measured on one H100 is rated against the shipped AI Energy Score v1
leaderboard in its five one-forward-pass tasks (text classification, sentence similarity,
question answering, image classification, object detection); anything else needs a cohort
(--rate-within-run, --cohort) or stays unrated, saying why.`,
    )
    .action(async (models: string[], flags: BenchFlags, cmd: Command) => {
      // The demo caps trials so a first run finishes in about a minute, unless told otherwise.
      if (models.length === 0 && cmd.getOptionValueSource('maxSeconds') === 'default') {
        flags.maxSeconds = DEMO_MAX_SECONDS;
      }
      // The demo compares its bundled models, so it rates them among themselves.
      if (models.length === 0 && flags.rateWithinRun === undefined) flags.rateWithinRun = true;
      process.exitCode = await bench(models, flags);
    });
}

async function bench(models: string[], flags: BenchFlags): Promise<number> {
  const writer = new OutputWriter({ json: flags.json, csv: flags.csv, markdown: flags.markdown });
  const options: BenchOptions = {
    models,
    task: flags.task,
    devices: flags.device ?? ['cpu'],
    precisions: flags.precision,
    batchSizes: flags.batch ?? [1],
    queries: flags.queries,
    warmup: flags.warmup,
    threads: flags.threads,
    seed: flags.seed,
    overrides: parseOverrides(flags),
  };
  // Ctrl-C or SIGTERM from here on stops after the batch in flight and keeps what was measured;
  // a second one quits at once.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(
      `\ninterrupted (${signal}): finishing the batch in flight and saving what was measured (Ctrl-C again to quit now)\n`,
    );
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgress();
  let meters: EnergyMeter[] = [];
  try {
    if (flags.html) await checkFolderWritable(flags.html);
    const planned = await planBench(options);
    // Cohort files are read before anything is measured: a bad one fails now, not after the run.
    const plan = await ratingPlan(flags, {
      enabled: Boolean(flags.rateWithinRun),
      source: 'this run',
      flag: '--rate-within-run',
    });
    const carbon = carbonFrom(flags);
    const document = newDocument(options, await collectEnvironment());
    document.carbon = carbon;
    const save = async () => {
      rate(document, plan);
      await writer.writeFiles(document);
    };
    await save();

    const started = await startMeters(flags, 'process', (seconds) => {
      if (process.stderr.isTTY)
        process.stderr.write(`measuring idle power for ${seconds} s (--idle 0 skips this)\n`);
    });
    meters = started.meters;
    document.energyNotes = started.notes;
    const energy =
      started.meters.length > 0
        ? {
            meters: started.meters,
            idlePowerW: started.idlePowerW,
            idleSeconds: started.idleSeconds,
            protocol: protocolFrom(flags),
            ...(started.meters.some((m) => m.info.domain === 'gpu')
              ? { gpuTemperaturesC: () => readGpuTemperaturesC() }
              : {}),
          }
        : undefined;

    await runBench(
      planned,
      document,
      {
        signal: abort.signal,
        onConfigStart: (item, index, total) => {
          const id = item.spec
            ? `${item.spec.modelName} ${item.spec.precision} b${item.spec.batchSize} ${item.spec.device}`
            : item.skipped.id;
          progress.start(id, index, total);
        },
        onProgress: (done, total) => progress.update(done, total),
        onConfigEnd: async () => {
          progress.clear();
          await save();
        },
      },
      energy,
    );
    if (abort.signal.aborted) document.interrupted = true;
    // Only the last write says the run is complete: a crash or a kill leaves complete: false.
    document.complete = !document.interrupted;
    await save();

    const tableStream = writer.stdoutFormat ? process.stderr : process.stdout;
    tableStream.write(renderTable(document, makeChalk(tableStream)));
    writer.writeStdout(document);
    if (flags.html) await writeFileAtomic(flags.html, await renderHtmlReport(document, { carbon }));
    // In GitHub Actions the report also goes to the job summary.
    await appendStepSummary(toMarkdown(document));
    if (document.interrupted) return 130;
    return document.results.some((r) => r.status === 'failed') ? 1 : 0;
  } finally {
    await stopMeters(meters);
    progress.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function rate(document: RunDocument, plan: RatingPlan): void {
  rateItems(
    document.results.map((result) => ({ result, document, source: 'this run' })),
    plan,
  );
}
