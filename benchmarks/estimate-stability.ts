/**
 * Estimate stability: one configuration measured alone, then beside two busy-looping child
 * processes, with the meters `--meter auto` picks here (the CPU estimate on a machine without
 * RAPL). Prints the ratio of energy per query loaded ÷ alone (target: within 10 %), and the
 * windows and the 95 % interval reached after 4 s, 10 s and 30 s of trials.
 *
 * Each condition is one run of `--seconds` (default 30) with no early stop; the figures at 4 s
 * and 10 s are those of its first windows (what a budget of that length would have measured,
 * without the interval's early stop).
 *
 *   npm run bench:estimate-stability [-- --model fixtures/zoo/encoder-small --precision fp32 --seconds 30]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverModel, selectVariants, type Precision } from '../src/model/variants.js';
import { inspectModel } from '../src/model/inspect.js';
import { meterFactories, selectMeters, stopMeters } from '../src/meters/registry.js';
import { DEFAULT_PROTOCOL, relativeCi } from '../src/runner/protocol.js';
import { runConfiguration } from '../src/runner/run-config.js';
import { defaultSpin } from '../src/runner/spin.js';
import { lag1Autocorrelation, meanInterval95 } from '../src/stats/batch-means.js';
import { mean } from '../src/stats/summary.js';
import { getTask } from '../src/workload/tasks.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fixtures/zoo/encoder-small' },
    precision: { type: 'string', default: 'fp32' },
    seconds: { type: 'string', default: '30' },
  },
});
const repo = fileURLToPath(new URL('../../', import.meta.url));
const seconds = Number(values.seconds);
const horizons = [4, 10, 30].filter((s) => s <= seconds);

const source = await discoverModel(path.resolve(repo, values.model));
const variant = selectVariants(source, [values.precision as Precision]).selected[0];
if (!variant) throw new Error(`${values.model} has no ${values.precision} variant`);
const model = await inspectModel(variant.path);
const { meters } = await selectMeters('auto', meterFactories());
for (const meter of meters) await meter.start();
const spin = defaultSpin({
  cpuEstimated: meters.some((m) => m.info.domain === 'cpu' && m.info.method === 'estimated'),
  loadAverage1: os.loadavg()[0] ?? 0,
});

interface Run {
  perTrialJ: number[];
  windowS: number;
  perQueryJ: number;
  throughputQps: number;
}

async function measure(): Promise<Run> {
  const result = await runConfiguration({
    modelName: source.name,
    precision: variant!.precision,
    model,
    task: getTask('text-classification'),
    taskSource: 'benchmark',
    device: 'cpu',
    batchSize: 1,
    threads: undefined,
    queries: 1000,
    warmup: 5,
    seed: 0,
    overrides: NO_OVERRIDES,
    spin: spin.value,
    energy: {
      meters,
      idlePowerW: meters.map(() => null),
      idleSeconds: 0,
      // No early stop and no window cap: the budget alone ends the trials.
      protocol: { ...DEFAULT_PROTOCOL, targetCi: 0, maxTrials: 1_000_000, maxSeconds: seconds },
    },
  });
  const e = result.energy;
  if (e.status === 'not-measured') throw new Error(`not measured: ${e.reason}`);
  return {
    perTrialJ: e.perTrialJ ?? [],
    windowS: e.windowSeconds,
    perQueryJ: e.perQueryJ,
    throughputQps: result.throughputQps ?? NaN,
  };
}

function busyLoops(count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

/** The windows that fit in the first `s` seconds, at the run's mean window length. */
const prefix = (run: Run, s: number) => run.perTrialJ.slice(0, Math.max(1, Math.floor(s / run.windowS)));
const pct = (x: number) => (Number.isFinite(x) ? `±${(x * 100).toFixed(1)} %` : '–');

console.log(
  `estimate stability: ${source.name} ${variant.precision} batch 1, ${seconds} s of trials per condition; ` +
    `meters ${meters.map((m) => `${m.info.name} (${m.info.domain}, ${m.info.method})`).join(', ')}; ` +
    `spin ${spin.value} (${spin.source}); load average before ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs`,
);
const alone = await measure();
const children = busyLoops(2);
let loaded: Run;
try {
  // Let the loops start spinning before the configuration loads.
  await new Promise((r) => setTimeout(r, 1000));
  loaded = await measure();
} finally {
  for (const child of children) child.kill();
}
await stopMeters(meters);

console.log('');
console.log('condition  horizon  windows  J/query*    ±95 %     method (batches)  lag-1 r');
for (const [name, run] of [
  ['alone', alone],
  ['loaded', loaded],
] as const) {
  for (const s of horizons) {
    const windows = prefix(run, s);
    const interval = meanInterval95(windows);
    console.log(
      `${name.padEnd(9)}  ${`${s} s`.padStart(7)}  ${String(windows.length).padStart(7)}  ${mean(windows).toExponential(4)}  ${pct(relativeCi(windows)).padStart(8)}  ${`${interval?.method ?? '–'} (${interval?.batches ?? 0})`.padEnd(16)}  ${lag1Autocorrelation(windows).toFixed(2)}`,
    );
  }
}
console.log(
  "* the mean of the windows' J/query; the whole runs' figure below is their energy over their queries",
);
console.log('');
console.log(
  `throughput: alone ${alone.throughputQps.toFixed(1)} queries/s, loaded ${loaded.throughputQps.toFixed(1)} queries/s`,
);
for (const s of horizons) {
  const ratio = mean(prefix(loaded, s)) / mean(prefix(alone, s));
  console.log(`J/query loaded ÷ alone after ${s} s: ${ratio.toFixed(3)} (target within 10 %: 0.900–1.100)`);
}
console.log(
  `J/query loaded ÷ alone, whole runs (energy over queries): ${(loaded.perQueryJ / alone.perQueryJ).toFixed(3)}`,
);
