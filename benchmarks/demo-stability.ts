/**
 * Demo stability: the demo (`energy-score bench`, the built CLI, as a user runs it) several times
 * in interleaved rounds (the default) and one configuration after another (`--rounds 1`),
 * alternating, optionally beside busy-looping processes. Prints per run the wall time, the
 * median 95 % interval and the frugal choices; then per arm how far each configuration's
 * J/query moved between runs (1.96 × its coefficient of variation, set against the interval
 * the runs claimed), each pair's ratio to fp32 from run to run, and how many frugal choices,
 * pair outcomes and star ratings (among the run's configurations) changed between runs.
 *
 *   npm run bench:demo-stability [-- --runs 4 --busy 2]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunDocument } from '../src/result/schema.js';
import { frugalVerdicts } from '../src/render/verdict.js';
import { median, mean, stddev } from '../src/stats/summary.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    busy: { type: 'string', default: '0' },
  },
});
const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'energy-score.js');
const runs = Number(values.runs);
const busy = Number(values.busy);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-demo-stability-'));

const ARMS = [
  { name: 'interleaved (default)', flags: [] as string[] },
  { name: 'one after another (--rounds 1)', flags: ['--rounds', '1'] },
];

const loops: ChildProcess[] = [];
for (let i = 0; i < busy; i++) loops.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const shortId = (id: string) => id.split('/').slice(0, 2).join('/');

interface Run {
  document: RunDocument;
  wallS: number;
  load: number;
}
const results: Run[][] = ARMS.map(() => []);
try {
  if (busy) await new Promise((r) => setTimeout(r, 3000));
  for (let i = 0; i < runs; i++) {
    for (const [a, arm] of ARMS.entries()) {
      const file = path.join(scratch, `${a}-${i}.json`);
      const load = os.loadavg()[0] ?? 0;
      const start = performance.now();
      const child = spawnSync(process.execPath, [bin, 'bench', ...arm.flags, '--json', file], {
        cwd: repo,
        encoding: 'utf8',
      });
      const wallS = (performance.now() - start) / 1000;
      if (child.status !== 0) throw new Error(`bench exited ${child.status}: ${child.stderr}`);
      const document = JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;
      results[a]!.push({ document, wallS, load });
      const cis = document.results.flatMap((r) =>
        r.energy.status !== 'not-measured' && r.energy.ci95Relative !== null ? [r.energy.ci95Relative] : [],
      );
      const frugal = frugalVerdicts(document.results).map((v) => shortId(v.frugal.id));
      console.log(
        `${arm.name.padEnd(31)} run ${i + 1}: load ${load.toFixed(2)}, ${wallS.toFixed(1)} s, median interval ±${(median(cis) * 100).toFixed(1)} %, frugal: ${frugal.join(', ')}`,
      );
    }
  }
} finally {
  for (const loop of loops) loop.kill();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const perQueryJ = (d: RunDocument, id: string) => {
  const e = d.results.find((r) => r.id === id)?.energy;
  return e && e.status !== 'not-measured' ? e.perQueryJ : NaN;
};
console.log(`\n${runs} runs per arm${busy ? `, beside ${busy} busy loops` : ''}:`);
for (const [a, arm] of ARMS.entries()) {
  const docs = results[a]!.map((r) => r.document);
  const ids = docs[0]!.results.map((r) => r.id);
  const moved = ids.map((id) => {
    const v = docs.map((d) => perQueryJ(d, id));
    return (1.96 * stddev(v)) / mean(v);
  });
  const claimed = docs.flatMap((d) =>
    d.results.flatMap((r) =>
      r.energy.status !== 'not-measured' && r.energy.ci95Relative !== null ? [r.energy.ci95Relative] : [],
    ),
  );
  const verdicts = docs.map((d) => frugalVerdicts(d.results));
  const pairs = verdicts[0]!.flatMap((v) => v.pairs.map((p) => p.result.id));
  const ratioRanges = pairs.map((id) => {
    const ratios = verdicts.map((vs) => {
      const pair = vs.flatMap((v) => v.pairs).find((p) => p.result.id === id);
      return pair?.energy?.ratio ?? NaN;
    });
    return `${shortId(id)} ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  });
  const changed = (values: string[][]) =>
    values[0]!.filter((_, k) => new Set(values.map((v) => v[k])).size > 1).length;
  const outcomes = verdicts.map((vs) => vs.flatMap((v) => v.pairs.map((p) => p.energy?.outcome ?? 'none')));
  const frugal = verdicts.map((vs) => vs.map((v) => v.frugal.id));
  // The demo rates its configurations among themselves: a star that moves is a ranking that moved.
  const stars = docs.map((d) => d.results.map((r) => String(r.rating.stars)));
  const walls = results[a]!.map((r) => r.wallS);
  console.log(`- ${arm.name}: ${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)} s a run`);
  console.log(
    `  J/query moved between runs by ±${(median(moved) * 100).toFixed(1)} % (median over configurations, 1.96 × CV); the runs' intervals claimed ±${(median(claimed) * 100).toFixed(1)} % (median)`,
  );
  console.log(
    `  ratio to fp32 (reference ÷ candidate), lowest–highest over the runs: ${ratioRanges.join(', ')}`,
  );
  console.log(
    `  frugal choices that changed between runs: ${changed(frugal)} of ${frugal[0]!.length}; pair outcomes: ${changed(outcomes)} of ${outcomes[0]!.length}; star ratings: ${changed(stars)} of ${stars[0]!.length}`,
  );
}
