/**
 * Quantizes every fp32 model of the fixture zoo with an in-tool converter (`--precision q8`, the
 * default, with transformers.js's weight-type choice; int8, uint8; q4 for MatMulNBits) and prints, per model, the op counts that changed, the file sizes, and how
 * far the outputs moved from fp32 on seeded inputs (max |Δ| over max |fp32| per output, the worst
 * output; top-1 agreement for the classifiers). The figures in docs/precision.md come from here.
 *
 *   npm run bench:quantize-zoo [-- --seeds 6 --precision q8|int8|uint8|q4]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { countOps } from '../src/convert/graph.js';
import { quantize4Bit } from '../src/convert/quantize-4bit.js';
import { quantizeDynamic } from '../src/convert/quantize-dynamic.js';
import { ConversionRefused, type Converted } from '../src/convert/types.js';
import { decodeModel, encodeModel, type ModelProto } from '../src/model/onnx-proto.js';
import { modelFeeds } from '../test/helpers/model-feeds.js';
import { runModel } from '../fixtures/run-model.js';
import { isFp32FileName } from '../src/model/variants.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '6' },
    precision: { type: 'string', default: 'q8' },
  },
});

const zooDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'zoo');

function fp32Models(): string[] {
  const found: string[] = [];
  for (const dir of fs.readdirSync(zooDir).sort())
    for (const file of fs.readdirSync(path.join(zooDir, dir)).sort())
      if (isFp32FileName(file)) found.push(`${dir}/${file}`);
  return found;
}

const run = runModel;

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
  const precision = values.precision!;
  const convert: (model: ModelProto) => Converted =
    precision === 'q4'
      ? (model) => quantize4Bit(model)
      : precision === 'q8' || precision === 'int8' || precision === 'uint8'
        ? (model) => quantizeDynamic(model, { weightType: precision === 'q8' ? 'auto' : precision })
        : () => {
            throw new Error(`--precision ${precision}: give q8, int8, uint8 or q4`);
          };
  console.log('| model | nodes | ops changed | size (KB) | max rel. error | top-1 agreement |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const relative of fp32Models()) {
    const bytes = fs.readFileSync(path.join(zooDir, relative));
    const source = decodeModel(bytes);
    let model: ModelProto;
    try {
      model = convert(source).model;
    } catch (err) {
      if (!(err instanceof ConversionRefused)) throw err;
      console.log(`| ${relative} | refused: ${err.message} | | | | |`);
      continue;
    }
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
