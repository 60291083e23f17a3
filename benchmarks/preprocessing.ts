/**
 * What real inputs cost to prepare, per item, before the measured loop: tokenizing the bundled
 * text for each text task (with the zoo encoders' tokenizer), decoding and preprocessing the
 * bundled images (the zoo CNN's ViT-style and the MLP's CLIP-style preprocessor), and Whisper
 * log-mel features of the bundled speech. Each figure is the median of `--rounds` fresh runs of
 * prepareData (the same call bench makes), with the mean tokens per query for text beside the
 * synthetic suite's mean for the same model (its sizes capped at the tokenizer's context, 512).
 *
 *   npm run bench:preprocess [-- --rounds 3 --queries 1000]
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareData } from '../src/inputs/prepare.js';
import { inspectModel } from '../src/model/inspect.js';
import { median } from '../src/stats/summary.js';
import { planInputs } from '../src/workload/input-plan.js';
import { parseOverrides } from '../src/workload/overrides.js';
import { getTask, sampleQuerySizes, type TaskName } from '../src/workload/tasks.js';
import { loadTokenizer, tokenizerFrom } from '../src/inputs/tokenizer.js';
import { textQueries } from '../src/inputs/text-queries.js';
import { BUNDLED_TEXT } from '../src/inputs/prepare.js';
import fs from 'node:fs';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, queries: { type: 'string', default: '1000' } },
});
const rounds = Number(values.rounds);
const queries = Number(values.queries);
const zoo = fileURLToPath(new URL('../../fixtures/zoo/', import.meta.url));

const CASES: [string, TaskName][] = [
  ['encoder-tiny', 'text-generation'],
  ['encoder-tiny', 'summarization'],
  ['encoder-tiny', 'text-classification'],
  ['encoder-tiny', 'sentence-similarity'],
  ['encoder-tiny', 'question-answering'],
  ['cnn-small', 'image-classification'],
  ['mlp-small', 'image-classification'],
  ['speech-encoder', 'automatic-speech-recognition'],
];

console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${queries} queries, ${rounds} rounds`,
);
console.log(
  'model           task                          source           items  ms/item  mean tokens  suite mean',
);
for (const [name, taskName] of CASES) {
  const model = await inspectModel(path.join(zoo, name, 'model.onnx'));
  const task = getTask(taskName);
  const plan = planInputs(model, task, parseOverrides({}));
  const perItem: number[] = [];
  let last: Awaited<ReturnType<typeof prepareData>> | undefined;
  for (let r = 0; r < rounds; r++) {
    last = await prepareData({ choice: { kind: 'default' }, model, plan, task, queries, seed: 0 });
    perItem.push(last.info.preprocessMsPerItem ?? NaN);
  }
  const tokens = last?.sizes?.flatMap((s) => (s.tokens !== undefined ? [s.tokens] : [])) ?? [];
  const average = (xs: number[]) =>
    xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) : '–';
  const mean = average(tokens);
  // What the synthetic suite holds for the same model: its sizes capped at the tokenizer's context.
  const context = (await loadTokenizer(model.path))?.maxLength;
  const suite = tokens.length
    ? average(
        sampleQuerySizes(task, queries, 0, context !== undefined ? { maxTokens: context } : {}).map(
          (q) => q.tokens ?? 0,
        ),
      )
    : '–';
  console.log(
    `${name.padEnd(15)} ${taskName.padEnd(29)} ${last!.info.source.padEnd(16)} ${String(last!.info.queries).padStart(5)}  ${median(perItem).toFixed(2).padStart(7)}  ${mean.padStart(11)}  ${suite.padStart(10)}`,
  );
}
// The same windows from a tokenizer whose context does not cap the suite (the zoo encoders' is
// 512 tokens): the mean tokens per query are then the suite's own, AI Energy Score's means.
const tokenizerFile = path.join(zoo, 'encoder-tiny', 'tokenizer.json');
const wide = tokenizerFrom(
  tokenizerFile,
  JSON.parse(fs.readFileSync(tokenizerFile, 'utf8')) as Record<string, unknown>,
  {
    model_max_length: 2048,
  },
);
const passages = fs.readFileSync(BUNDLED_TEXT, 'utf8').split('\n').filter(Boolean);
console.log(
  '\nthe zoo tokenizer at a 2,048-token context: task, ms/query, mean tokens (AI Energy Score mean)',
);
for (const [taskName, aies] of [
  ['text-generation', 369],
  ['summarization', 384],
  ['text-classification', 157],
  ['sentence-similarity', 23],
  ['question-answering', 11],
] as const) {
  const targets = sampleQuerySizes(getTask(taskName), queries, 0).map((q) => q.tokens);
  const start = performance.now();
  const sizes = textQueries(
    { texts: passages, kind: 'stream' },
    { tokenizer: wide, idsInput: 'input_ids', count: queries, targetTokens: targets, maxTokens: undefined },
  );
  const ms = (performance.now() - start) / queries;
  const mean = sizes.reduce((n, q) => n + (q.tokens ?? 0), 0) / sizes.length;
  console.log(
    `${taskName.padEnd(22)} ${ms.toFixed(2).padStart(6)}  ${mean.toFixed(1).padStart(6)}  (${aies})`,
  );
}
console.log(
  `load average at end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
