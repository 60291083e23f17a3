/**
 * Runs `energy-score bench` over the ONNX backend test corpus (Debian's `libonnx-testdata`), as a
 * user would. First every model runs in ONNX Runtime on its own test data (test_data_set_0): only
 * the models that ONNX Runtime itself runs are kept, so what is left to count is the tool's doing.
 * Then the built CLI benches each of them at its default settings (few queries, no meter) and
 * the outcome is sorted: measured, nothing measured (every configuration skipped), failed, refused,
 * and whether ONNX Runtime's own log lines reached stderr.
 *
 *   npm run bench:corpus [-- --corpus /usr/share/libonnx-testdata/data --bin bin/energy-score.js]
 *     [--json corpus.json] [--filter REGEX]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import {
  decodeModel,
  decodeTensor,
  TensorDataType,
  toNumber,
  type TensorProto,
} from '../src/model/onnx-proto.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/usr/share/libonnx-testdata/data' },
    bin: { type: 'string', default: fileURLToPath(new URL('../../bin/energy-score.js', import.meta.url)) },
    json: { type: 'string' },
    filter: { type: 'string' },
    queries: { type: 'string', default: '8' },
  },
});

/** Where ONNX Runtime's own logging shows: its severity-tagged prefix, or the colour codes it adds. */
const hasOrtLog = (text: string) => /\[[VIWEF]:onnxruntime:/.test(text) || text.includes('\u001b[');

type Outcome = 'measured' | 'nothing-measured' | 'failed' | 'refused' | 'crashed';

interface Row {
  model: string;
  outcome: Outcome;
  exitCode: number | null;
  ortLogLeak: boolean;
  /** The first reason a configuration gave, or the error line. */
  reason: string;
}

function findModels(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.name === 'model.onnx') && entries.some((e) => e.name === 'test_data_set_0')) {
      found.push(dir);
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  walk(root);
  return found.sort();
}

const ORT_TYPES: Partial<Record<number, ort.Tensor.Type>> = {
  [TensorDataType.FLOAT]: 'float32',
  [TensorDataType.DOUBLE]: 'float64',
  [TensorDataType.FLOAT16]: 'float16',
  [TensorDataType.INT8]: 'int8',
  [TensorDataType.UINT8]: 'uint8',
  [TensorDataType.INT16]: 'int16',
  [TensorDataType.UINT16]: 'uint16',
  [TensorDataType.INT32]: 'int32',
  [TensorDataType.UINT32]: 'uint32',
  [TensorDataType.INT64]: 'int64',
  [TensorDataType.UINT64]: 'uint64',
  [TensorDataType.BOOL]: 'bool',
  [TensorDataType.STRING]: 'string',
};

/** A TensorProto from the corpus as an ONNX Runtime tensor; undefined for types it cannot feed. */
function toOrtTensor(t: TensorProto): ort.Tensor | undefined {
  const type = ORT_TYPES[t.dataType ?? 0];
  if (!type) return undefined;
  const dims = (t.dims ?? []).map(toNumber);
  const count = dims.reduce((n, d) => n * d, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const read = <A extends { [i: number]: number | bigint }>(
    array: A,
    width: number,
    get: (v: DataView, offset: number) => number | bigint,
    fallback: () => ArrayLike<number | bigint>,
  ): A => {
    const source = view ? undefined : fallback();
    for (let i = 0; i < count; i++) array[i] = view ? get(view, i * width) : source![i]!;
    return array;
  };
  const ints = () => t.int32Data ?? [];
  switch (type) {
    case 'string':
      return new ort.Tensor(
        'string',
        (t.stringData ?? []).map((b) => new TextDecoder().decode(b)),
        dims,
      );
    case 'float32':
      return new ort.Tensor(
        type,
        read(
          new Float32Array(count),
          4,
          (v, o) => v.getFloat32(o, true),
          () => t.floatData ?? [],
        ),
        dims,
      );
    case 'float64':
      return new ort.Tensor(
        type,
        read(
          new Float64Array(count),
          8,
          (v, o) => v.getFloat64(o, true),
          () => t.doubleData ?? [],
        ),
        dims,
      );
    case 'float16':
      return new ort.Tensor(
        type,
        read(new Uint16Array(count), 2, (v, o) => v.getUint16(o, true), ints),
        dims,
      );
    case 'int8':
      return new ort.Tensor(
        type,
        read(new Int8Array(count), 1, (v, o) => v.getInt8(o), ints),
        dims,
      );
    case 'uint8':
      return new ort.Tensor(
        type,
        read(new Uint8Array(count), 1, (v, o) => v.getUint8(o), ints),
        dims,
      );
    case 'bool':
      return new ort.Tensor(
        type,
        read(new Uint8Array(count), 1, (v, o) => v.getUint8(o), ints),
        dims,
      );
    case 'int16':
      return new ort.Tensor(
        type,
        read(new Int16Array(count), 2, (v, o) => v.getInt16(o, true), ints),
        dims,
      );
    case 'uint16':
      return new ort.Tensor(
        type,
        read(new Uint16Array(count), 2, (v, o) => v.getUint16(o, true), ints),
        dims,
      );
    case 'int32':
      return new ort.Tensor(
        type,
        read(new Int32Array(count), 4, (v, o) => v.getInt32(o, true), ints),
        dims,
      );
    case 'uint32':
      return new ort.Tensor(
        type,
        read(
          new Uint32Array(count),
          4,
          (v, o) => v.getUint32(o, true),
          () => (t.uint64Data ?? []).map(toNumber),
        ),
        dims,
      );
    case 'int64':
      return new ort.Tensor(
        type,
        read(
          new BigInt64Array(count),
          8,
          (v, o) => v.getBigInt64(o, true),
          () => (t.int64Data ?? []).map((x) => BigInt(toNumber(x))),
        ),
        dims,
      );
    case 'uint64':
      return new ort.Tensor(
        type,
        read(
          new BigUint64Array(count),
          8,
          (v, o) => v.getBigUint64(o, true),
          () => (t.uint64Data ?? []).map((x) => BigInt(toNumber(x))),
        ),
        dims,
      );
    default:
      return undefined;
  }
}

/** Whether ONNX Runtime runs the model on its own test inputs; the reason when it does not. */
async function runsOnOwnData(dir: string): Promise<string | null> {
  const modelPath = path.join(dir, 'model.onnx');
  const graph = decodeModel(fs.readFileSync(modelPath)).graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length === 0) return 'no inputs';
  const feeds: Record<string, ort.Tensor> = {};
  for (const [index, input] of inputs.entries()) {
    if (!input.type?.tensorType) return 'a non-tensor input';
    const file = path.join(dir, 'test_data_set_0', `input_${index}.pb`);
    if (!fs.existsSync(file)) return `no ${path.basename(file)}`;
    const tensor = toOrtTensor(decodeTensor(fs.readFileSync(file)));
    if (!tensor) return 'an input type onnxruntime-node cannot feed';
    feeds[input.name] = tensor;
  }
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 4 });
    await session.run(feeds);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  } finally {
    await session?.release();
  }
}

function benchOne(bin: string, modelPath: string, json: string): Promise<Row> {
  const args = [bin, 'bench', modelPath, '--queries', values.queries!, '--warmup', '1'];
  args.push('--meter', 'none', '--idle', '0', '--json', json);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => {
      const model = path.basename(path.dirname(modelPath));
      const ortLogLeak = hasOrtLog(stderr);
      const errorLine = stderr.split('\n').find((l) => l.startsWith('energy-score:')) ?? stderr.trim();
      let results: { status: string; reason?: string | null }[] = [];
      try {
        results = (JSON.parse(fs.readFileSync(json, 'utf8')) as { results: typeof results }).results;
      } catch {
        // No file: the run stopped before any configuration had a result.
      }
      fs.rmSync(json, { force: true });
      const measured = results.some((r) => r.status === 'ok');
      const reason = results.find((r) => r.reason)?.reason ?? errorLine.split('\n')[0] ?? '';
      const outcome: Outcome =
        code === 2
          ? 'refused'
          : code === 0 && measured
            ? 'measured'
            : code === 0
              ? 'nothing-measured'
              : code === 1
                ? 'failed'
                : 'crashed';
      resolve({ model, outcome, exitCode: code, ortLogLeak, reason });
    });
  });
}

async function main(): Promise<void> {
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const dirs = findModels(values.corpus!).filter((d) => !filter || filter.test(d));
  const runnable: string[] = [];
  for (const dir of dirs) if ((await runsOnOwnData(dir)) === null) runnable.push(dir);
  console.log(
    `${dirs.length} models in ${values.corpus}; ONNX Runtime runs ${runnable.length} on their own test data`,
  );

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-corpus-'));
  const rows: Row[] = [];
  for (const dir of runnable) {
    const row = await benchOne(values.bin!, path.join(dir, 'model.onnx'), path.join(tmp, 'result.json'));
    rows.push(row);
    if (row.outcome !== 'measured') console.log(`  ${row.outcome.padEnd(16)} ${row.model}: ${row.reason}`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const count = (outcome: Outcome) => rows.filter((r) => r.outcome === outcome).length;
  console.log(`\nof ${rows.length} models that ONNX Runtime runs on their own data, bench:`);
  for (const outcome of ['measured', 'nothing-measured', 'failed', 'refused', 'crashed'] as const)
    console.log(`  ${outcome.padEnd(16)} ${count(outcome)}`);
  console.log(`  ONNX Runtime's log lines on stderr in ${rows.filter((r) => r.ortLogLeak).length} runs`);
  if (values.json)
    fs.writeFileSync(values.json, `${JSON.stringify({ runnable: runnable.length, rows }, null, 2)}\n`);
}

await main();
