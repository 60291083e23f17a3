/**
 * Text queries from real text through the model's tokenizer. A stream (the bundled passages) is
 * cut into windows whose token counts follow the task's suite, so that real and synthetic runs
 * hold the same number of tokens per query; a list of queries (a user's file) is used as it is,
 * each cut to the model's context.
 */
import type { TextTokenizer } from './tokenizer.js';
import type { QuerySize } from '../workload/tasks.js';

export interface TextSource {
  texts: string[];
  /** `stream`: one running text to cut into windows; `queries`: one query per entry. */
  kind: 'stream' | 'queries';
}

export interface TextQueryRequest {
  tokenizer: TextTokenizer;
  /** The input that takes the ids. */
  idsInput: string;
  /** Queries in the suite. */
  count: number;
  /** Per query, the tokens it should hold (from the task's suite); undefined: one text each. */
  targetTokens: (number | undefined)[];
  /** The most tokens a query may hold: the model's context. */
  maxTokens: number | undefined;
}

/** Words are estimated from a few of their tokens; a window is then encoded once and cut. */
const WINDOW_SLACK_TOKENS = 8;

export function textQueries(source: TextSource, request: TextQueryRequest): QuerySize[] {
  const { tokenizer, idsInput, count, maxTokens } = request;
  const cap = Math.min(maxTokens ?? Infinity, tokenizer.maxLength ?? Infinity);
  const row = (key: string, ids: number[]): QuerySize => ({
    tokens: ids.length,
    row: { key, values: { [idsInput]: { data: ids, pad: tokenizer.padId } } },
  });
  if (source.kind === 'queries') {
    const encoded = source.texts.map((text) => tokenizer.encode(text, finite(cap)));
    return Array.from({ length: count }, (_, i) =>
      row(`q${i % encoded.length}`, encoded[i % encoded.length]!),
    );
  }

  const words = source.texts.join(' ').split(/\s+/).filter(Boolean);
  const perWord = new Map<string, number>();
  const estimate = (word: string) => {
    let n = perWord.get(word);
    if (n === undefined) {
      n = tokenizer.encode(` ${word}`).length - tokenizer.encode('').length;
      perWord.set(word, n);
    }
    return n;
  };
  const specials = tokenizer.encode('').length;
  const sizes: QuerySize[] = [];
  let cursor = 0;
  for (let i = 0; i < count; i++) {
    const target = request.targetTokens[i];
    if (target === undefined) {
      const passage = source.texts[i % source.texts.length]!;
      sizes.push(row(`p${i % source.texts.length}`, tokenizer.encode(passage, finite(cap))));
      continue;
    }
    const want = Math.min(target, cap);
    let end = cursor;
    let ids: number[] = [];
    let estimated = specials;
    // Grow the window until its text holds at least the tokens wanted (or the corpus runs out).
    for (let tries = 0; tries < 8; tries++) {
      while (estimated < want + WINDOW_SLACK_TOKENS && end - cursor < words.length) {
        estimated += estimate(words[end % words.length]!);
        end++;
      }
      const text = windowText(words, cursor, end);
      ids = tokenizer.encode(text, want);
      if (ids.length >= want || end - cursor >= words.length) break;
      estimated += want - ids.length + WINDOW_SLACK_TOKENS;
    }
    sizes.push(row(`w${i}`, ids));
    cursor = end % words.length;
  }
  return sizes;
}

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

function windowText(words: string[], start: number, end: number): string {
  const out: string[] = [];
  for (let i = start; i < end; i++) out.push(words[i % words.length]!);
  return out.join(' ');
}
