import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { csvQueries, jsonlQueries, readUserData, txtQueries } from '../src/inputs/data-files.js';
import { prepareData } from '../src/inputs/prepare.js';
import { textQueries } from '../src/inputs/text-queries.js';
import { loadTokenizer } from '../src/inputs/tokenizer.js';
import { inspectModel } from '../src/model/inspect.js';
import { planInputs } from '../src/workload/input-plan.js';
import { parseOverrides } from '../src/workload/overrides.js';
import { getTask, sampleQuerySizes } from '../src/workload/tasks.js';
import { EnergyScoreError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/cli.js';

const TINY = path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx');
const usage = (pattern: RegExp) => (err: unknown) =>
  err instanceof EnergyScoreError && err.exitCode === 2 && pattern.test(err.message);

describe('text data files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-data-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    return file;
  };

  test('.txt: a query a line, blank lines skipped, CRLF fine', () => {
    assert.deepEqual(txtQueries('one\r\n\r\n  two  \nthree'), ['one', 'two', 'three']);
  });

  test('.jsonl: "text", or "prompt" first for generation; a line without either is an error naming it', () => {
    const text = '{"text": "a", "prompt": "p"}\n\n{"prompt": "b"}\n';
    assert.deepEqual(jsonlQueries(text, 'q.jsonl', false), ['a', 'b']);
    assert.deepEqual(jsonlQueries(text, 'q.jsonl', true), ['p', 'b']);
    assert.throws(
      () => jsonlQueries('{"text": "a"}\n{"label": 1}\n', 'q.jsonl', false),
      usage(/^q.jsonl line 2 has no "text" or "prompt" string/),
    );
    assert.throws(() => jsonlQueries('{"text": ', 'q.jsonl', false), usage(/^q.jsonl line 1 is not JSON/));
  });

  test('.csv: the "text" column by default, --data-column otherwise; a missing column lists the columns', () => {
    const csv = 'id,text,review\n1,"hello, world",good\n2,,bad\n';
    assert.deepEqual(csvQueries(csv, 'q.csv', undefined), ['hello, world']);
    assert.deepEqual(csvQueries(csv, 'q.csv', 'review'), ['good', 'bad']);
    assert.throws(
      () => csvQueries(csv, 'q.csv', 'body'),
      (err: unknown) =>
        usage(/^q.csv has no column 'body'/)(err) &&
        /id, text, review/.test((err as EnergyScoreError).hint ?? ''),
    );
    assert.throws(
      () => csvQueries('id,body\n1,x\n', 'q.csv', undefined),
      usage(/has no "text" column, and --data-column names none/),
    );
  });

  test('an empty file, a blank one, non-UTF-8 text and an unknown extension are usage errors naming the file', async () => {
    await assert.rejects(
      readUserData(write('empty.txt', ''), undefined),
      usage(/empty.txt holds no queries/),
    );
    await assert.rejects(
      readUserData(write('blank.jsonl', '\n\n  \n'), undefined),
      usage(/blank.jsonl holds no queries/),
    );
    await assert.rejects(
      readUserData(write('header.csv', 'text\n'), undefined),
      usage(/header.csv holds no queries/),
    );
    await assert.rejects(
      readUserData(write('latin1.txt', Buffer.from('caf\xe9\n', 'latin1')), undefined),
      usage(/latin1.txt is not UTF-8 text \(line 1, byte 3\)/),
    );
    await assert.rejects(
      readUserData(write('q.parquet', 'x'), undefined),
      usage(/'.parquet' is not a data format/),
    );
    await assert.rejects(
      readUserData(path.join(tmp, 'nope.txt'), undefined),
      usage(/no such file or folder/),
    );
    await assert.rejects(
      readUserData(write('q.txt', 'a\n'), 'text'),
      usage(/--data-column text is for .csv files/),
    );
  });

  test('UTF-8 with a byte-order mark and UTF-16 with one read as text', async () => {
    const bom = await readUserData(
      write('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é one\n')])),
      undefined,
    );
    assert.deepEqual(bom.kind === 'text' && bom.texts, ['é one']);
    const utf16 = await readUserData(
      write('u16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('two\n', 'utf16le')])),
      undefined,
    );
    assert.deepEqual(utf16.kind === 'text' && utf16.texts, ['two']);
  });
});

describe('text queries', () => {
  test('the bundled stream is cut into windows holding exactly the suite’s token counts', async () => {
    const tokenizer = (await loadTokenizer(TINY))!;
    const task = getTask('text-classification');
    const targets = sampleQuerySizes(task, 40, 0).map((q) => q.tokens);
    const passages = fs
      .readFileSync(path.join(REPO_ROOT, 'data', 'inputs', 'text', 'passages.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const sizes = textQueries(
      { texts: passages, kind: 'stream' },
      { tokenizer, idsInput: 'input_ids', count: 40, targetTokens: targets, maxTokens: undefined },
    );
    assert.deepEqual(
      sizes.map((s) => s.tokens),
      targets,
    );
    for (const size of sizes) {
      const ids = size.row!.values.input_ids!.data as number[];
      assert.equal(ids.length, size.tokens);
      assert.equal(ids[0], 2, 'starts with [CLS]');
      assert.equal(ids[ids.length - 1], 3, 'ends with [SEP]');
      assert.ok(
        ids.slice(1, -1).every((id) => id > 4),
        'no special token inside the text',
      );
    }
    assert.equal(new Set(sizes.map((s) => s.row!.key)).size, 40, 'each window is its own text');
  });

  test('a user’s queries keep their own lengths, are cut to the model’s context and cycle when fewer than the suite', async () => {
    const tokenizer = (await loadTokenizer(TINY))!;
    const sizes = textQueries(
      { texts: ['the whale', 'call me ishmael '.repeat(100)], kind: 'queries' },
      { tokenizer, idsInput: 'input_ids', count: 5, targetTokens: [], maxTokens: 16 },
    );
    assert.deepEqual(
      sizes.map((s) => s.tokens),
      [4, 16, 4, 16, 4],
    );
    assert.deepEqual(
      sizes.map((s) => s.row!.key),
      ['q0', 'q1', 'q0', 'q1', 'q0'],
    );
  });
});

describe('prepareData for text models', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-prep-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const request = async (modelPath: string, choice: Parameters<typeof prepareData>[0]['choice']) => {
    const model = await inspectModel(modelPath);
    const task = getTask('text-classification');
    return { choice, model, plan: planInputs(model, task, parseOverrides({})), task, queries: 30, seed: 0 };
  };

  test('a zoo encoder runs on the bundled text through its tokenizer, the same token counts as synthetic', async () => {
    const data = await prepareData(await request(TINY, { kind: 'default' }));
    assert.equal(data.info.source, 'bundled:text');
    assert.equal(data.info.tokenizer, path.join(path.dirname(TINY), 'tokenizer.json'));
    assert.equal(data.info.queries, 30);
    assert.match(data.info.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(data.info.preprocessMs > 0 && data.info.preprocessMsPerItem! > 0);
    const synthetic = sampleQuerySizes(getTask('text-classification'), 30, 0).map((q) => q.tokens);
    assert.deepEqual(
      data.sizes!.map((s) => s.tokens),
      synthetic,
    );
  });

  test('--data synthetic, and a model without a tokenizer, run on synthetic ids and say so', async () => {
    const forced = await prepareData(await request(TINY, { kind: 'synthetic' }));
    assert.equal(forced.sizes, null);
    assert.equal(forced.info.source, 'synthetic');
    assert.match(forced.info.note ?? '', /--data synthetic/);
    fs.copyFileSync(TINY, path.join(tmp, 'model.onnx'));
    const bare = await prepareData(await request(path.join(tmp, 'model.onnx'), { kind: 'default' }));
    assert.equal(bare.info.source, 'synthetic');
    assert.match(bare.info.note ?? '', /no tokenizer.json beside the model/);
    fs.writeFileSync(path.join(tmp, 'q.txt'), 'hello\n');
    await assert.rejects(
      prepareData(
        await request(path.join(tmp, 'model.onnx'), { kind: 'path', path: path.join(tmp, 'q.txt') }),
      ),
      usage(/is text, but there is no tokenizer.json beside/),
    );
  });

  test('--data FILE: its queries, its sha256, file:<path> as the source', async () => {
    const file = path.join(tmp, 'reviews.csv');
    fs.writeFileSync(file, 'review\n"A fine whale."\n"The sea, the sea."\n');
    const data = await prepareData(await request(TINY, { kind: 'path', path: file, column: 'review' }));
    assert.equal(data.info.source, `file:${file}`);
    assert.equal(data.info.queries, 2);
    assert.equal(data.sizes!.length, 30);
    assert.equal(data.sizes![0]!.tokens, data.sizes![2]!.tokens);
  });

  test('a tokenizer whose ids overrun the model’s embedding table is refused, naming both', async () => {
    const dir = path.join(tmp, 'big');
    fs.mkdirSync(dir);
    fs.copyFileSync(TINY, path.join(dir, 'model.onnx'));
    const json = JSON.parse(fs.readFileSync(path.join(path.dirname(TINY), 'tokenizer.json'), 'utf8'));
    json.model.vocab['whalebone'] = 1000;
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    await assert.rejects(
      prepareData(await request(path.join(dir, 'model.onnx'), { kind: 'default' })),
      usage(/gives token ids up to 1000, but .* has 1000 embeddings for 'input_ids'/),
    );
  });
});
