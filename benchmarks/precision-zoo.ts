/**
 * Precision, energy and fidelity over the fixture zoo, the way a user with only an fp32 export
 * would meet them: each zoo model's fp32 files (and its tokenizer and config files, never its own
 * fp16 or quantized variants) are copied into a fresh folder, and the built CLI benches that
 * folder at fp32, fp16 and int8, converting the missing variants in the tool. Prints, per model
 * and precision, the conversion's op counts, energy per query against fp32 at batch 1, and the
 * fidelity figure the result records. The machine's load average is printed beside the figures;
 * energy ratios come from one run, interleaved within each model.
 *
 *   npm run bench:precision [-- --models encoder-tiny,cnn-small --seconds 3 --batch 1]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { ConfigResult, RunDocument } from '../src/result/schema.js';
import { isFp32FileName } from '../src/model/variants.js';

const { values } = parseArgs({
  options: {
    models: {
      type: 'string',
      default:
        'encoder-tiny,encoder-small,encoder-medium,cnn-small,mlp-small,speech-encoder,gpt-tiny,gpt-tiny-merged',
    },
    seconds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1' },
    precisions: { type: 'string', default: 'fp32,fp16,int8' },
  },
});
const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'energy-score.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-precision-'));
const cacheDir = path.join(work, 'cache');

function fp32Copy(name: string): string {
  const from = path.join(repo, 'fixtures', 'zoo', name);
  const to = path.join(work, name);
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    // The fp32 files and everything that is not a model (tokenizer, configs); no other variant.
    if (!entry.isFile() || (entry.name.endsWith('.onnx') && !isFp32FileName(entry.name))) continue;
    fs.copyFileSync(path.join(from, entry.name), path.join(to, entry.name));
  }
  return to;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const fmt = (x: number) => (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2));

function fidelityCell(r: ConfigResult): string {
  const f = r.fidelity;
  if (!f) return r.precision === 'fp32' ? 'reference' : '–';
  const others = f.figures
    .filter((x) => x.metric !== f.metric)
    .map((x) => `${x.metric} ${fmt(x.value)}`)
    .join(', ');
  return `${f.metric} ${fmt(f.value)} (${f.pass ? 'pass' : 'FAIL'} ${f.threshold}, ${f.queries} q${others ? `; ${others}` : ''})`;
}

function opChanges(r: ConfigResult): string {
  const c = r.conversion;
  if (!c) return r.precision === 'fp32' ? '' : 'own file';
  const types = new Set([...Object.keys(c.opCountsBefore), ...Object.keys(c.opCountsAfter)]);
  const changed = [...types]
    .map((t) => [t, (c.opCountsAfter[t] ?? 0) - (c.opCountsBefore[t] ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([t, d]) => `${t} ${d > 0 ? '+' : ''}${d}`);
  return changed.join(', ') || 'no op count changed';
}

console.log(
  `precision zoo: ${values.models}; --precision ${values.precisions} --batch ${values.batch} --max-seconds ${values.seconds}; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs\n`,
);
console.log(
  '| model | precision | status | J/query (est.) | × fp32 | ±95 % | fidelity | ops changed by the conversion |',
);
console.log('| --- | --- | --- | ---: | ---: | ---: | --- | --- |');
for (const name of values.models.split(',')) {
  const folder = fp32Copy(name);
  const json = path.join(work, `${name}.json`);
  const run = spawnSync(
    process.execPath,
    [
      bin,
      'bench',
      folder,
      '--precision',
      values.precisions,
      '--batch',
      values.batch,
      '--max-seconds',
      values.seconds,
      '--cache-dir',
      cacheDir,
      '--json',
      json,
    ],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  if (!fs.existsSync(json)) {
    console.log(
      `| ${name} | – | no result (exit ${run.status}) | | | | ${run.stderr.trim().split('\n').pop() ?? ''} | |`,
    );
    continue;
  }
  const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as RunDocument;
  const perQuery = (r: ConfigResult) => (r.energy.status === 'not-measured' ? null : r.energy.perQueryJ);
  const reference = doc.results.find((r) => r.precision === 'fp32' && r.status === 'ok');
  const refJ = reference ? perQuery(reference) : null;
  for (const r of doc.results) {
    const j = perQuery(r);
    const ci = r.energy.status === 'not-measured' ? null : r.energy.ci95Relative;
    const status = r.status === 'ok' ? 'ok' : `${r.status}: ${r.reason ?? ''}`;
    console.log(
      `| ${name} | ${r.precision}${r.conversion ? ' (converted)' : ''} b${r.batchSize} | ${status} | ${j === null ? '–' : j.toExponential(3)} | ${j !== null && refJ ? (j / refJ).toFixed(3) : '–'} | ${ci === null ? '–' : pct(ci)} | ${fidelityCell(r)} | ${opChanges(r)} |`,
    );
  }
}
fs.rmSync(work, { recursive: true, force: true });
