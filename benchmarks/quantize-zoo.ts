/**
 * Quantizes every fp32 model of the fixture zoo with the in-tool converter (q8: transformers.js's
 * weight-type choice) and prints, per model, the op counts that changed, the file sizes, and how
 * far the outputs moved from fp32 on seeded inputs (max |Δ| over max |fp32| per output, the worst
 * output; top-1 agreement for the classifiers). The figures in docs/precision.md come from here.
 *
 *   npm run bench:quantize-zoo [-- --seeds 6 --weight-type auto|int8|uint8]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';

import { countOps } from '../src/convert/graph.js';
import { quantizeDynamic } from '../src/convert/quantize-dynamic.js';
import { decodeModel, encodeModel, type ModelProto } from '../src/model/onnx-proto.js';
import { modelFeeds } from '../test/helpers/model-feeds.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '6' },
    'weight-type': { type: 'string', default: 'auto' },
  },
});

const zooDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'zoo');

function fp32Models(): string[] {
  const found: string[] = [];
  for (const dir of fs.readdirSync(zooDir).sort())
    for (const file of fs.readdirSync(path.join(zooDir, dir)).sort())
      if (file.endsWith('.onnx') && !/_(fp16|quantized|q4|int8|uint8)\.onnx$/.test(file))
        found.push(`${dir}/${file}`);
  return found;
}

async function run(
  model: ModelProto,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, t]) => [name, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function relativeError(reference: Float32Array, actual: Float32Array): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < reference.length; i++) {
    scale = Math.max(scale, Math.abs(reference[i]!));
    error = Math.max(error, Math.abs(reference[i]! - actual[i]!));
  }
  return scale === 0 ? error : error / scale;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** "MatMul 9 → 2, +MatMulInteger 7": the ops whose counts changed. */
function changes(before: Record<string, number>, after: Record<string, number>): string {
  const ops = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return ops
    .filter((op) => before[op] !== after[op])
    .map((op) =>
      before[op] === undefined
        ? `+${op} ${after[op]}`
        : after[op] === undefined
          ? `${op} ${before[op]} → 0`
          : `${op} ${before[op]} → ${after[op]}`,
    )
    .join(', ');
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const seeds = Number(values.seeds);
  const weightType = values['weight-type'] as 'auto' | 'int8' | 'uint8';
  console.log('| model | nodes | ops changed | size (KB) | max rel. error | top-1 agreement |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const relative of fp32Models()) {
    const bytes = fs.readFileSync(path.join(zooDir, relative));
    const source = decodeModel(bytes);
    const { model } = quantizeDynamic(source, { weightType });
    const quantizedBytes = encodeModel(model);
    const before = countOps(source);
    const after = countOps(model);
    let worst = 0;
    let agree = 0;
    let classified = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const feeds = modelFeeds(source, seed);
      const reference = await run(source, feeds);
      const quantized = await run(model, feeds);
      for (const [name, values] of Object.entries(reference))
        worst = Math.max(worst, relativeError(values, quantized[name]!));
      const logits = reference.logits;
      // One row of logits: a classifier (the decoders' logits are per position).
      if (logits && logits.length <= 16) {
        classified++;
        if (argmax(logits) === argmax(quantized.logits!)) agree++;
      }
    }
    const sizes = `${(bytes.length / 1024).toFixed(0)} → ${(quantizedBytes.length / 1024).toFixed(0)}`;
    const top1 = classified ? `${agree}/${classified}` : '';
    console.log(
      `| ${relative} | ${total(before)} → ${total(after)} | ${changes(before, after)} | ${sizes} | ${(worst * 100).toFixed(1)} % | ${top1} |`,
    );
  }
}

await main();
