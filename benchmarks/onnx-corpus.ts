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
import { decodeModel, decodeTensor } from '../src/model/onnx-proto.js';
import { findModels, toOrtTensor } from './corpus-data.js';

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
