/**
 * Generation fidelity of the zoo's gpt-tiny variants against its fp32 model at batch 1, computed as
 * a bench computes it (src/fidelity/generation.ts): free-running token agreement and mean
 * teacher-forced KL along the reference's continuation, with the reported figures beside them.
 * docs/fidelity-generation.md quotes its output.
 *
 *   npm run bench:generation-fidelity [-- --queries 16 --max-new-tokens 10 --batch 4]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { generationFidelity } from '../src/fidelity/generation.js';
import { inspectModel } from '../src/model/inspect.js';
import { GenerationWorkload } from '../src/runner/generation-workload.js';
import type { OutputSample } from '../src/runner/workload.js';
import { detectLayout, readGenerativeFiles } from '../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '16' },
    'max-new-tokens': { type: 'string', default: '10' },
    batch: { type: 'string', default: '4' },
  },
});
const queries = Number(values.queries);
const maxNewTokens = Number(values['max-new-tokens']);
const batch = Number(values.batch);
const folder = fileURLToPath(new URL('../../fixtures/zoo/gpt-tiny/', import.meta.url));

async function workload(file: string, precision: string, batchSize: number): Promise<GenerationWorkload> {
  const model = await inspectModel(path.join(folder, file));
  const detection = await detectLayout({
    model,
    files: await readGenerativeFiles(folder),
    overrides: NO_OVERRIDES,
    inspect: inspectModel,
  });
  if (detection.status !== 'found') throw new Error(`${file}: ${JSON.stringify(detection)}`);
  const w = new GenerationWorkload(
    {
      modelName: 'gpt-tiny',
      precision,
      model,
      task: getTask('text-generation'),
      device: 'cpu',
      batchSize,
      threads: 1,
      queries,
      warmup: 1,
      seed: 0,
      overrides: NO_OVERRIDES,
    },
    { layout: detection.layout, maxNewTokens },
  );
  const preparation = await w.prepare();
  if (preparation.status !== 'ready') throw new Error(`${file}: ${preparation.reason}`);
  return w;
}

function generationSample(sample: OutputSample): Extract<OutputSample, { kind: 'generation' }> {
  if (sample.kind !== 'generation') throw new Error('not a generation sample');
  return sample;
}

const reference = await workload('model.onnx', 'fp32', 1);
const referenceSample = generationSample(await reference.sampleOutputs(queries));
const forced = referenceSample.queries.map((q) => q.tokens);
console.log(`gpt-tiny, ${queries} queries × ${maxNewTokens} new tokens, reference fp32 at batch 1`);
for (const [file, precision, batchSize] of [
  ['model.onnx', 'fp32', 1],
  ['model.onnx', 'fp32', batch],
  ['model_fp16.onnx', 'fp16', 1],
  ['model_fp16.onnx', 'fp16', batch],
] as const) {
  const candidate = await workload(file, precision, batchSize);
  try {
    const sample = generationSample(await candidate.sampleOutputs(queries, forced));
    const figures = generationFidelity(referenceSample, sample, { minTokenAgreement: 0.95, maxKl: 0.02 });
    const line = figures.map((f) => `${f.metric} ${Number(f.value.toPrecision(4))}`).join(', ');
    console.log(`${precision} b${batchSize}: ${line}`);
  } finally {
    await candidate.release();
  }
}
await reference.release();
