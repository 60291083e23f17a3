/**
 * Converts every model of the ONNX backend test corpus (Debian's `libonnx-testdata`, one
 * operator per model) to fp16 with the tool's converter and sorts the outcomes: converted and
 * runs in ONNX Runtime on the model's own test inputs, refused (by reason), or converted but
 * failing to load or run. Only models that ONNX Runtime itself runs in fp32 on those inputs are
 * counted, so what is left is the converter's doing. For those that run, the largest difference
 * from the fp32 outputs is counted against float16's precision.
 *
 *   npm run bench:convert-corpus [-- --corpus /usr/share/libonnx-testdata/data] [--filter REGEX] [--verbose]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { convertToFloat16 } from '../src/convert/fp16.js';
import { ConversionRefused } from '../src/convert/types.js';
import { decodeModel, decodeTensor, encodeModel } from '../src/model/onnx-proto.js';
import { findModels, toOrtTensor } from './corpus-data.js';
import { isFp32FileName } from '../src/model/variants.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/usr/share/libonnx-testdata/data' },
    filter: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

type Outputs = Record<string, ort.Tensor>;

async function run(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<Outputs> {
  const session = await ort.InferenceSession.create(model as Uint8Array, { logSeverityLevel: 4 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The model's own test inputs, or undefined where onnxruntime-node cannot feed them. */
function ownFeeds(dir: string, bytes: Uint8Array): Record<string, ort.Tensor> | undefined {
  const graph = decodeModel(bytes).graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  const inputs = (graph?.input ?? []).filter((i) => !initializers.has(i.name));
  for (const [index, input] of inputs.entries()) {
    const file = path.join(dir, 'test_data_set_0', `input_${index}.pb`);
    if (!input.type?.tensorType || !fs.existsSync(file)) return undefined;
    const tensor = toOrtTensor(decodeTensor(fs.readFileSync(file)));
    if (!tensor) return undefined;
    feeds[input.name] = tensor;
  }
  return feeds;
}

/** Outputs equal bit for bit (NaN where NaN). */
function sameOutputs(a: Outputs, b: Outputs): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => {
    const x = a[name]!;
    const y = b[name];
    if (!y || x.type !== y.type || x.dims.join() !== y.dims.join()) return false;
    const xs = x.data as ArrayLike<unknown>;
    const ys = y.data as ArrayLike<unknown>;
    if (xs.length !== ys.length) return false;
    for (let i = 0; i < xs.length; i++) if (!Object.is(xs[i], ys[i]) && xs[i] !== ys[i]) return false;
    return true;
  });
}

/** Largest |Δ| over float outputs, relative to the output's largest magnitude (at least 1). */
function worstRelative(reference: Outputs, converted: Outputs): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(reference)) {
    const got = converted[name];
    if (!got || ref.type !== 'float32' || got.type !== 'float32') continue;
    const a = ref.data as Float32Array;
    const b = got.data as Float32Array;
    let scale = 1;
    for (const v of a) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
      if (a[i] === b[i]) continue;
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
    }
  }
  return worst;
}

/** Reasons with the model-specific names taken out, so that they group. */
function reasonClass(message: string): string {
  return message
    .replace(/\(node [^)]*\)/g, '')
    .replace(/ \(\d+, such as [^)]*\)/g, '')
    .replace(/^\S+ keeps its data/, 'a tensor keeps its data')
    .replace(/^cannot tell the type of \S+/, 'cannot tell the type of a value')
    .trim();
}

/** Each fp32 zoo model: bytes before and after conversion, and how long the conversion took. */
function zooSizes(): void {
  const zoo = fileURLToPath(new URL('../../fixtures/zoo/', import.meta.url));
  console.log('zoo fp32 models converted to fp16: bytes before → after (own fp16 file), time');
  for (const dir of fs.readdirSync(zoo).sort())
    for (const file of fs.readdirSync(path.join(zoo, dir)).sort()) {
      if (!isFp32FileName(file)) continue;
      const bytes = fs.readFileSync(path.join(zoo, dir, file));
      const start = performance.now();
      const out = encodeModel(convertToFloat16(decodeModel(bytes)).model);
      const ms = performance.now() - start;
      const own = path.join(zoo, dir, file.replace(/\.onnx$/, '_fp16.onnx'));
      const ownSize = fs.existsSync(own) ? ` (${fs.statSync(own).size})` : '';
      console.log(
        `  ${`${dir}/${file}`.padEnd(48)} ${bytes.length} → ${out.length}${ownSize}, ${ms.toFixed(0)} ms`,
      );
    }
  console.log('');
}

async function main(): Promise<void> {
  zooSizes();
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const dirs = findModels(values.corpus!).filter((d) => !filter || filter.test(d));
  let runnable = 0;
  let roundTripSame = 0;
  const roundTripDiffer: string[] = [];
  let converted = 0;
  let within = 0;
  const refused = new Map<string, string[]>();
  const failed: string[] = [];
  const far: string[] = [];
  for (const dir of dirs) {
    const name = path.basename(dir);
    const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
    const feeds = ownFeeds(dir, bytes);
    if (!feeds) continue;
    let reference: Outputs;
    try {
      reference = await run(bytes, feeds);
    } catch {
      continue; // ONNX Runtime does not run it in fp32 either
    }
    runnable++;
    // The schema keeps every field: the model decoded and encoded again runs with the same outputs.
    const again = await run(encodeModel(decodeModel(bytes)), feeds).catch(() => undefined);
    if (again && sameOutputs(reference, again)) roundTripSame++;
    else roundTripDiffer.push(name);
    let fp16: Uint8Array;
    try {
      fp16 = encodeModel(convertToFloat16(decodeModel(bytes)).model);
    } catch (err) {
      if (!(err instanceof ConversionRefused)) throw err;
      const key = reasonClass(err.message);
      refused.set(key, [...(refused.get(key) ?? []), name]);
      continue;
    }
    converted++;
    try {
      const out = await run(fp16, feeds);
      const worst = worstRelative(reference, out);
      // float16's rounding is 2^-11 of a value; one operator's result within 1 % of the output scale.
      if (worst <= 0.01) within++;
      else far.push(`${name} (${worst.toPrecision(2)})`);
    } catch (err) {
      failed.push(`${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  }
  console.log(
    `${dirs.length} models in ${values.corpus}; ONNX Runtime runs ${runnable} on their own test data in fp32`,
  );
  console.log(`  decoded and encoded again, runs with identical outputs  ${roundTripSame}`);
  if (roundTripDiffer.length > 0) console.log(`    differ: ${roundTripDiffer.join(', ')}`);
  console.log(`  converted                 ${converted}`);
  console.log(`    loads and runs          ${converted - failed.length}`);
  console.log(`      outputs within 1 %    ${within}`);
  console.log(`      outputs further off   ${far.length}`);
  console.log(`    fails to load or run    ${failed.length}`);
  const refusedTotal = [...refused.values()].reduce((n, l) => n + l.length, 0);
  console.log(`  refused                   ${refusedTotal}`);
  for (const [reason, names] of [...refused.entries()].sort((a, b) => b[1].length - a[1].length))
    console.log(
      `    ${String(names.length).padStart(4)}  ${reason}${values.verbose ? `: ${names.join(', ')}` : ''}`,
    );
  if (failed.length > 0) console.log(`\nfailing after conversion:\n  ${failed.join('\n  ')}`);
  if (far.length > 0) console.log(`\noutputs further than 1 % from fp32:\n  ${far.join('\n  ')}`);
}

await main();
