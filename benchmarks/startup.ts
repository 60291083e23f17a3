/**
 * Start-up time: the wall time of `energy-score --help`, `doctor --json` and `bench --help` against
 * a bare `node -e 0`, and of the whole test suite.
 * Targets: --help ≤ 2 × node -e 0; the suite (what `npm test` runs after the build) under 120 s
 * on a quiet 2-core machine, with its CPU time beside it, which the load does not distort.
 * Each pair runs interleaved, round by round, with the order swapped every round, and the ratio is
 * the median of the per-round ratios: on a shared machine the load drifts by more than the
 * difference being measured, and a pair run back to back sees nearly the same load.
 * The load average at the start and the end says how quiet the machine was.
 *
 *   npm run bench:startup [-- --rounds 15 --no-suite]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../src/stats/summary.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    'no-suite': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = 'bin/energy-score.js';
const BARE = ['-e', '0'];

interface Timed {
  ms: number;
  status: number | null;
  stdout: string;
}

/** One `node …` from the repository root, timed from spawn to exit. */
function timeNode(args: readonly string[], keepOutput = false): Timed {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, {
    cwd: repo,
    stdio: ['ignore', keepOutput ? 'pipe' : 'ignore', 'ignore'],
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  return { ms, status: run.status, stdout: keepOutput ? run.stdout : '' };
}

/**
 * CPU seconds (user + sys) of this process's finished children and their descendants, from
 * /proc/self/stat (cutime, cstime); NaN where there is no /proc. The load average cannot make
 * this figure look better or worse the way it does the wall time.
 */
function childrenCpuS(): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    const ticksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // cutime and cstime are fields 16 and 17 of stat(5); fields[0] here is field 3.
    return (Number(fields[13]) + Number(fields[14])) / ticksPerS;
  } catch {
    return Number.NaN;
  }
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

interface PairFigures {
  commandMs: number;
  bareMs: number;
  ratio: number;
  failures: number;
}

/** `rounds` interleaved runs of the command and of `node -e 0`, after one untimed run of each. */
function comparePair(args: readonly string[]): PairFigures {
  timeNode(args);
  timeNode(BARE);
  const command: number[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  let failures = 0;
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always gets the warmer caches.
    const first = r % 2 === 0 ? timeNode(args) : timeNode(BARE);
    const second = r % 2 === 0 ? timeNode(BARE) : timeNode(args);
    const [c, b] = r % 2 === 0 ? [first, second] : [second, first];
    if (c.status !== 0) failures += 1;
    command.push(c.ms);
    bare.push(b.ms);
    ratios.push(c.ms / b.ms);
  }
  return { commandMs: median(command), bareMs: median(bare), ratio: median(ratios), failures };
}

console.log(
  `start-up: ${rounds} interleaved rounds per pair; node ${process.version}, ` +
    `${os.availableParallelism()} CPUs`,
);
console.log(`load average at the start (1, 5, 15 min): ${loadAverage()}`);
console.log('');
console.log(
  'command'.padEnd(34) +
    'median ms'.padStart(11) +
    'node -e 0 ms'.padStart(14) +
    'ratio'.padStart(9) +
    '   (median of per-round ratios)',
);
const PAIRS: { label: string; args: string[] }[] = [
  { label: 'energy-score --help', args: [cli, '--help'] },
  { label: 'energy-score doctor --json', args: [cli, 'doctor', '--json'] },
  { label: 'energy-score bench --help', args: [cli, 'bench', '--help'] },
];
for (const pair of PAIRS) {
  const f = comparePair(pair.args);
  const failed = f.failures > 0 ? `   exit status ≠ 0 in ${f.failures} of ${rounds} rounds` : '';
  console.log(
    pair.label.padEnd(34) +
      f.commandMs.toFixed(1).padStart(11) +
      f.bareMs.toFixed(1).padStart(14) +
      `${f.ratio.toFixed(2)}×`.padStart(9) +
      failed,
  );
}
console.log('target: energy-score --help ≤ 2× node -e 0');

if (!values['no-suite']) {
  console.log('');
  // What `npm test` runs after the build: the checks beside the test files (scripts/test.js).
  // Its report is TAP when stdout is not a terminal, so that the counts parse.
  const cpuBefore = childrenCpuS();
  const suite = timeNode(['scripts/test.js'], true);
  const cpuS = childrenCpuS() - cpuBefore;
  // The TAP report ends with "# pass N" and "# fail N".
  const count = (name: string): string =>
    suite.stdout.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? '?';
  console.log(
    `test suite (npm test after the build: checks and node --test): ${(suite.ms / 1000).toFixed(1)} s, ` +
      (Number.isNaN(cpuS) ? '' : `${cpuS.toFixed(1)} s CPU (user+sys), `) +
      `${count('pass')} passed, ${count('fail')} failed, exit status ${suite.status}`,
  );
  console.log('target: < 120 s on a quiet 2-core machine');
}
console.log(`load average at the end (1, 5, 15 min): ${loadAverage()}`);
