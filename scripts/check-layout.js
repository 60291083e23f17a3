#!/usr/bin/env node
/**
 * Two checks `npm test` runs (scripts/test.js, beside the tests):
 *  1. No import cycle between the folders of src/ (type-only imports count: they couple rooms too),
 *     and no folder imports the CLI.
 *  2. No tracked file refers to the workspace folder `shared/` beside the repository: a user's
 *     clone does not have it, so a test or script that reads it fails for everyone else.
 * Exits 1 with one line per problem.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const problems = [];

// 1. Folder-level import graph of src/.
const folderOf = (file) => {
  const parts = file.split('/');
  // A file directly in src/ (errors.ts, index.ts) is a room of its own.
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.(ts|js)$/, '');
};
const edges = new Map();
for (const file of tracked.filter((f) => f.startsWith('src/') && f.endsWith('.ts'))) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  const from = folderOf(file);
  for (const m of text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    const target = path.normalize(path.join(path.dirname(file), m[1]));
    const to = folderOf(target);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${file} → ${m[1]}`);
    if (to === 'cli') problems.push(`${file} imports the CLI (${m[1]}): cli/ only wires commands`);
  }
}
// Strongly connected components (Tarjan): each with more than one folder is a cycle.
let index = 0;
const stack = [];
const info = new Map();
const components = [];
const visit = (v) => {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component);
  }
};
for (const v of edges.keys()) if (!info.has(v)) visit(v);
for (const component of components) {
  const inside = new Set(component);
  const links = component.flatMap((a) =>
    [...(edges.get(a) ?? [])].filter(([b]) => inside.has(b)).map(([b, where]) => `    ${a} → ${b}: ${where}`),
  );
  problems.push(`import cycle between src/ folders ${component.sort().join(', ')}:\n${links.join('\n')}`);
}

// 2. References to the workspace folder beside the repository.
// Built from parts so that this file does not match its own pattern.
const OUTSIDE = ['..', 'shared'];
const SHARED = new RegExp(
  `\\.\\.[/\\\\]${OUTSIDE[1]}\\b|['"]${OUTSIDE[1]}['"],\\s*['"](hardware-traces|reference|research)`,
);
const self = 'scripts/check-layout.js';
for (const file of tracked) {
  if (file === self || file === 'package-lock.json') continue;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  if (text.includes('\0')) continue; // binary
  text.split('\n').forEach((line, i) => {
    if (SHARED.test(line))
      problems.push(`${file}:${i + 1} refers to ${OUTSIDE.join('/')}, which a clone does not have`);
  });
}

if (problems.length) {
  for (const p of problems) process.stderr.write(`check-layout: ${p}\n`);
  process.exit(1);
}
process.stdout.write('check-layout: no folder cycles, no references outside the repository\n');
