/**
 * Meter overhead, two figures:
 *  1. sampling cost: this process's CPU time while meters run and nothing else does, as a share
 *     of one core (target ≤ 1 %);
 *  2. measurement cost: wall time per query of a whole configuration measured with meters
 *     against the same trials with a meter that costs nothing (target ≤ 2 % more).
 * Meters: the ones `--meter auto` picks here, plus the nvidia-smi stream fed by the fake that
 * replays the recorded H100 trace (our side of the stream: reading and parsing 10 lines a second).
 *
 *   npm run build && node dist/benchmarks/meter-overhead.js [--seconds 10] [--rounds 3] [--window 1]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { meterFactories, selectMeters, stopMeters } from '../src/meters/registry.js';
import { nvidiaSmiMeterFactory } from '../src/meters/nvidia-smi.js';
import { FakeMeter } from '../src/testing/fake-meter.js';
import type { EnergyMeter } from '../src/meters/types.js';
import { inspectModel } from '../src/model/inspect.js';
import { DEFAULT_PROTOCOL, measureIdle } from '../src/runner/protocol.js';
import { runConfiguration, type ConfigSpec } from '../src/runner/run-config.js';
import { median } from '../src/stats/summary.js';
import { getTask } from '../src/workload/tasks.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '1' },
  },
});
const idleSeconds = Number(values.seconds);
const rounds = Number(values.rounds);
const minWindowS = Number(values.window);
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** This process's CPU share while the meters run an idle window, as the idle measurement does. */
async function cpuShareWhile(meters: EnergyMeter[], seconds: number): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (meters.length > 0) await measureIdle(meters, seconds);
  else await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  return (cpu.user + cpu.system) / 1e6 / wallS;
}

const auto = await selectMeters('auto', meterFactories());
const smi = await nvidiaSmiMeterFactory({
  executable: path.join(repo, 'test/fixtures/fake-nvidia-smi'),
  env: { ...process.env, FAKE_NVIDIA_SMI_TIMESTAMPS: 'now' },
}).create();
await smi.start();

console.log(`meter overhead: ${rounds} alternating rounds; ${idleSeconds} s idle per sampling figure`);
console.log(
  `meters picked here: ${auto.meters.map((m) => `${m.info.name} (${m.info.domain}, ${m.info.method})`).join(', ')}`,
);
console.log('');
console.log('1. sampling cost (this process, share of one core)');
const shares = { none: [] as number[], auto: [] as number[], smi: [] as number[] };
for (let r = 0; r < rounds; r++) {
  shares.none.push(await cpuShareWhile([], idleSeconds));
  shares.auto.push(await cpuShareWhile(auto.meters, idleSeconds));
  shares.smi.push(await cpuShareWhile([smi], idleSeconds));
}
const pct = (v: number) => `${(v * 100).toFixed(3)} %`;
const none = median(shares.none);
console.log(`   no meters                         ${pct(none)}`);
console.log(
  `   auto meters                       ${pct(median(shares.auto))}  (+${pct(median(shares.auto) - none)})`,
);
console.log(
  `   nvidia-smi stream (fake, 10 Hz)   ${pct(median(shares.smi))}  (+${pct(median(shares.smi) - none)})`,
);

const spec: ConfigSpec = {
  modelName: 'encoder-small',
  precision: 'fp32',
  model: await inspectModel(path.join(repo, 'fixtures/zoo/encoder-small/model.onnx')),
  task: getTask('text-classification'),
  taskSource: 'benchmark',
  device: 'cpu',
  batchSize: 8,
  threads: 1,
  queries: 1000,
  warmup: 10,
  seed: 0,
  overrides: { dims: { sequence_length: 128 }, shapes: {}, fills: {} },
};

/**
 * Wall milliseconds per query of a whole configuration (load, warm-up and trials), metered by
 * `meters`. The bare run uses a meter that costs nothing (a constant-power fake) with the same
 * update period, so both run the same trials and windows and differ only in the meters' cost:
 * their marks, readings, waits and background sampling.
 */
async function msPerQuery(meters: readonly EnergyMeter[]): Promise<number> {
  const start = performance.now();
  const result = await runConfiguration({
    ...spec,
    energy: {
      meters: [...meters],
      idlePowerW: meters.map(() => null),
      idleSeconds: 0,
      protocol: { ...DEFAULT_PROTOCOL, minTrials: 3, maxTrials: 3, minWindowS },
    },
  });
  if (result.status !== 'ok') throw new Error(result.reason);
  return (performance.now() - start) / result.queries;
}

console.log('');
console.log(
  `2. measurement cost (encoder-small fp32, 128 tokens, batch 8, 1 thread; 3 trials, windows of at least ${minWindowS} s)`,
);
for (const [label, meters] of [
  ['auto meters', auto.meters],
  ['nvidia-smi stream (fake)', [smi]],
] as const) {
  const bare: number[] = [];
  const measured: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Paired rounds, alternating which goes first: the machine's speed drifts between rounds.
    const updatePeriodS = Math.max(...meters.map((m) => m.info.updatePeriodS));
    const runBare = () =>
      msPerQuery([new FakeMeter({ domain: meters[0]!.info.domain, powerW: 0, updatePeriodS })]);
    const runMeasured = () => msPerQuery(meters);
    const [b, m] = r % 2 === 0 ? [await runBare(), await runMeasured()] : [0, 0];
    const [m2, b2] = r % 2 === 1 ? [await runMeasured(), await runBare()] : [m, b];
    bare.push(b2);
    measured.push(m2);
    ratios.push(m2 / b2);
    if (process.env.VERBOSE) console.log(`     round ${r + 1}: ${((m2 / b2 - 1) * 100).toFixed(2)} %`);
  }
  const ratio = median(ratios);
  console.log(
    `   ${label.padEnd(26)} bare ${median(bare).toFixed(4)} ms/query, measured ${median(measured).toFixed(4)} ms/query: ${((ratio - 1) * 100).toFixed(2)} % (median of per-round ratios)`,
  );
}
/** Wraps a meter to add up the time the runner waits in its calls. */
function timed(meter: EnergyMeter, spent: { ms: number; calls: number }): EnergyMeter {
  const time = async <T>(call: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await call();
    } finally {
      spent.ms += performance.now() - t0;
      spent.calls++;
    }
  };
  return {
    info: meter.info,
    start: () => meter.start(),
    stop: () => meter.stop(),
    mark: () => time(() => meter.mark()),
    between: (a, b) => time(() => meter.between(a, b)),
  };
}

// The machine's noise (± several % between rounds) hides small costs in figure 2; this one is
// direct: the time spent inside the meters' marks, against the windows' length. Readings
// overlap the next window's work, so this is an upper bound on what they add.
console.log('');
console.log('3. time inside meter calls (marks and readings), share of the measured windows');
for (const [label, meters] of [
  ['auto meters', auto.meters],
  ['nvidia-smi stream (fake)', [smi]],
] as const) {
  const spent = { ms: 0, calls: 0 };
  const result = await runConfiguration({
    ...spec,
    energy: {
      meters: meters.map((m) => timed(m, spent)),
      idlePowerW: meters.map(() => null),
      idleSeconds: 0,
      protocol: { ...DEFAULT_PROTOCOL, minTrials: 3, maxTrials: 3, minWindowS },
    },
  });
  const windowMs = (result.measuredSeconds ?? 0) * 1000;
  console.log(
    `   ${label.padEnd(26)} ${spent.ms.toFixed(1)} ms in ${spent.calls} calls over ${(windowMs / 1000).toFixed(1)} s of windows: ${((spent.ms / windowMs) * 100).toFixed(2)} %`,
  );
}
await stopMeters([...auto.meters, smi]);
