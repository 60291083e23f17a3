/** `energy-score bench`: measure models and print the report. Only wiring: the work is app/bench.ts. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { parsePrecision, type Precision } from '../model/variants.js';
import type { DataChoice } from '../inputs/prepare.js';
import type { RunDocument } from '../result/schema.js';
import { parseDevice, type Device } from '../runner/providers.js';
import { DEFAULT_ROUNDS, DEMO_MAX_SECONDS } from '../runner/protocol.js';
import { DEFAULT_FIDELITY_QUERIES, DEFAULT_LIMITS } from '../fidelity/thresholds.js';
import { TASK_NAMES } from '../workload/tasks.js';
import { addCarbonOptions, carbonFrom, type CarbonFlags } from './carbon-options.js';
import {
  addMeterOptions,
  addProtocolOptions,
  meterRequest,
  protocolFrom,
  type EnergyFlags,
} from './energy-options.js';
import {
  addFidelityOptions,
  limitOverrides,
  splitReference,
  type FidelityFlags,
} from './fidelity-options.js';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';
import { collect, list, nonNegativeInt, parseSpin, positiveInt } from './parse.js';
import type { Spin } from '../runner/spin.js';
import { addRatingOptions, ratingRequest, type RatingFlags } from './rating-options.js';

interface BenchFlags extends EnergyFlags, RatingFlags, CarbonFlags, OutputFlags, FidelityFlags {
  rateWithinRun?: boolean;
  task?: string;
  device?: Device[];
  precision?: Precision[];
  batch?: number[];
  maxNewTokens?: number[];
  queries?: number;
  warmup: number;
  threads?: number[];
  seed: number;
  dim?: string[];
  shape?: string[];
  fill?: string[];
  data?: string;
  dataColumn?: string;
  cacheDir?: string;
  verbose?: boolean;
  spin?: Spin;
  rounds?: number;
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
      'variants to run: fp32, fp16, q8 (model_quantized), int8, uint8, q4, q4f16, bnb4 (default: every variant found); fp16 missing from the folder is converted from the fp32 file',
      list('--precision', parsePrecision),
    )
    .option(
      '--batch <list>',
      "batch sizes (default: 1, or the model's fixed batch)",
      list('--batch', positiveInt('--batch')),
    )
    .option(
      '--max-new-tokens <list>',
      'new tokens per query for generative models, each budget a configuration (default: 10, as AI Energy Score)',
      list('--max-new-tokens', positiveInt('--max-new-tokens')),
    )
    .option(
      '--queries <n>',
      "queries per configuration (default: the task's suite, 1000)",
      positiveInt('--queries'),
    )
    .option(
      '--warmup <n>',
      'batches run before timing starts (at least 1: its outputs are checked for NaN)',
      positiveInt('--warmup'),
      5,
    )
    .option(
      '--threads <list>',
      "ONNX Runtime intra-op threads; several are each a configuration (default: ONNX Runtime's, one per core)",
      list('--threads', positiveInt('--threads')),
    )
    .option(
      '--spin <on|off>',
      "ONNX Runtime's intra-op spin-waiting (default: off when the CPU energy is estimated or the machine is shared, else on)",
      parseSpin,
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
    .option(
      '--data <file|dir>',
      'inputs: a .txt (a query a line), .jsonl, .csv, a folder of images or WAV files, or synthetic (default: the bundled set the model can take)',
    )
    .option('--data-column <name>', 'the column of a --data .csv that holds the queries (default: text)')
    .option(
      '--cache-dir <dir>',
      'where variants converted from the fp32 file are kept (default: $XDG_CACHE_HOME/energy-score/converted or ~/.cache/energy-score/converted)',
    );
  addOutputOptions(command, ['json', 'csv', 'markdown', 'html'], {
    json: 'write the result JSON (the full record) to a file, or to stdout (bare --json or -)',
    csv: 'write one CSV row per configuration, to a file or stdout',
    markdown: 'write a Markdown report (for a pull request or CI summary), to a file or stdout',
    html: 'write a self-contained HTML report: table, plots, label, carbon (at the end)',
  });
  addProtocolOptions(addMeterOptions(command));
  command.option(
    '--rounds <n>',
    `interleaved rounds: the configurations take turns, each budget cut into n slices (default ${DEFAULT_ROUNDS} where the sessions fit in memory; 1 runs them one after another)`,
    positiveInt('--rounds'),
  );
  const fidelityFlags = addFidelityOptions(command);
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
  energy-score bench ./gpt2-onnx --max-new-tokens 10,100   a generative folder: J/token, prefill/decode
  energy-score bench ./bert --data reviews.csv --data-column text   your own text, through its tokenizer
  energy-score bench model.onnx --threads 1,2 --spin off   threads and spinning are energy levers too
  energy-score bench ./my-model --precision fp32,int8 --rounds 8   more, shorter turns against a drifting machine
  energy-score bench ./fp32-only --precision fp32,fp16,int8   the missing variants converted in the tool, answers compared with fp32

Energy: the best meter per domain is picked (NVML, nvidia-smi, RAPL, else an estimate from a
CPU power model and this process's CPU time, labelled estimated, with its model band). Idle power is measured first; each configuration
runs windows as short as its meters allow (at least --min-window seconds), cycling through the
suite's batches until every query has run once and the 95 % interval of energy per query is
within --target-ci percent, or until --max-seconds, a hard cap, is spent.
With two or more configurations they take turns (--rounds, default ${DEFAULT_ROUNDS} where their
sessions fit in memory): each budget is cut into slices, round after round, so a drift of the
machine reaches all of them, and the verdict compares each pair round by round. Results are
written as each configuration ends (then all in the last round), so Ctrl-C keeps what ended;
--rounds 1 runs and writes them one after another.

Fidelity: after its trials, each configuration's outputs on the suite's first --fidelity-queries
queries are compared with the reference's (the same model's fp32 at batch 1, loaded for the
sample alone when it is not benched): top-1 agreement, cosine, span agreement, token agreement
and KL, or relative error, by task; the result's fidelity says whether they pass the limits.

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
      // --verbose is the program's option, and also accepted after the subcommand.
      flags.verbose = Boolean(cmd.optsWithGlobals<{ verbose?: boolean }>().verbose);
      // --reference CONFIG (fidelity) and --no-reference (rating) share commander's `reference`.
      const { fidelity, rateAgainstReference } = splitReference(flags.reference, fidelityFlags);
      process.exitCode = await runBenchCommand(
        models,
        { ...flags, reference: rateAgainstReference },
        fidelity,
      );
    });
}

function dataChoice(flags: BenchFlags): DataChoice {
  if (flags.data === undefined) {
    if (flags.dataColumn !== undefined) {
      throw usageError(
        '--data-column names a column of a --data .csv file',
        'for example --data queries.csv --data-column review',
      );
    }
    return { kind: 'default' };
  }
  if (flags.data === 'synthetic') return { kind: 'synthetic' };
  return {
    kind: 'path',
    path: flags.data,
    ...(flags.dataColumn !== undefined ? { column: flags.dataColumn } : {}),
  };
}

async function runBenchCommand(
  models: string[],
  flags: BenchFlags,
  fidelityReference: string | undefined,
): Promise<number> {
  const [
    { bench, benchExitCode, nothingMeasured },
    { OutputSink },
    { parseOverrides },
    formats,
    { createProgress },
  ] = await Promise.all([
    import('../app/bench.js'),
    import('../export/sink.js'),
    import('../workload/overrides.js'),
    import('../export/formats.js'),
    import('./progress.js'),
  ]);
  const sink = await OutputSink.open(await outputRequests(flags, ['json', 'csv', 'markdown', 'html']), {
    reads: flags.cohort ?? [],
  });
  if (sink.stdoutFormat === 'html')
    throw usageError('--html takes a file name', 'for example --html report.html');
  const carbon = carbonFrom(flags);
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
  // Machine formats are rewritten after every configuration, so an interrupted run keeps what it
  // measured; nothing is written before the first configuration has a result.
  const writeFiles = async (document: RunDocument) => {
    for (const format of sink.fileFormats()) {
      if (format === 'json' || format === 'csv' || format === 'markdown')
        await sink.writeFile(format, formats.render(format, document));
    }
  };
  try {
    const document = await bench(
      {
        options: {
          models,
          task: flags.task,
          devices: flags.device ?? ['cpu'],
          precisions: flags.precision,
          batchSizes: flags.batch,
          ...(flags.maxNewTokens ? { maxNewTokens: flags.maxNewTokens } : {}),
          queries: flags.queries,
          warmup: flags.warmup,
          threads: flags.threads,
          seed: flags.seed,
          overrides: parseOverrides(flags),
          onnxRuntimeLogs: Boolean(flags.verbose),
          ...(flags.spin ? { spin: flags.spin } : {}),
          data: dataChoice(flags),
          ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
        },
        meters: meterRequest(flags),
        protocol: { ...protocolFrom(flags), ...(flags.rounds !== undefined ? { rounds: flags.rounds } : {}) },
        rating: ratingRequest(flags, {
          within: Boolean(flags.rateWithinRun),
          withinSource: 'this run',
          withinFlag: '--rate-within-run',
        }),
        carbon,
        fidelity: {
          queries: flags.fidelityQueries ?? DEFAULT_FIDELITY_QUERIES,
          ...(fidelityReference !== undefined ? { reference: fidelityReference } : {}),
          limits: { ...DEFAULT_LIMITS, ...limitOverrides(flags) },
        },
        commandLine: process.argv.slice(2),
      },
      {
        onIdle: (seconds) => {
          if (process.stderr.isTTY)
            process.stderr.write(`measuring idle power for ${seconds} s (--idle 0 skips this)\n`);
        },
        onConfigStart: (item, index, total, round) => {
          const id = item.spec
            ? `${item.spec.modelName} ${item.spec.precision} b${item.spec.batchSize} ${item.spec.device}${item.spec.generation ? ` n${item.spec.generation.maxNewTokens}` : ''}`
            : item.skipped.id;
          progress.start(round !== undefined ? `${id} (round ${round})` : id, index, total);
        },
        onProgress: (done, total, time) => progress.update(done, total, time),
        onResult: async (doc) => {
          progress.clear();
          await writeFiles(doc);
        },
      },
      abort.signal,
    );
    await writeFiles(document);
    progress.clear();
    const { renderTable, makeChalk } = await import('../export/table.js');
    await sink.text(renderTable(document, makeChalk(sink.textStream)));
    const stdoutFormat = sink.stdoutFormat;
    if (stdoutFormat === 'json' || stdoutFormat === 'csv' || stdoutFormat === 'markdown')
      await sink.write(stdoutFormat, formats.render(stdoutFormat, document));
    if (sink.has('html')) {
      const { renderHtmlReport } = await import('../export/html.js');
      await sink.writeFile('html', await renderHtmlReport(document, { carbon }));
    }
    // In GitHub Actions the report also goes to the job summary.
    const { appendStepSummary } = await import('../ci/github.js');
    await appendStepSummary(formats.toMarkdown(document));
    // A run that skipped everything ends with an error saying so, after its outputs are written.
    const nothing = nothingMeasured(document);
    if (nothing) throw nothing;
    return benchExitCode(document);
  } finally {
    progress.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
