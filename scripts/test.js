#!/usr/bin/env node
/**
 * `npm test` after the build: the static checks (scripts/check-layout.js, eslint, prettier
 * --check, over the whole repository) run beside the test files instead of before them. eslint and
 * prettier use one core each and the tests wait on timers and child processes, so on a 2-core
 * machine the two lanes fill each other's idle time. The checks' output is kept and printed
 * after the tests'; the exit status is the checks' when they fail, else the tests'.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const windows = process.platform === 'win32';
/**
 * eslint and prettier keep, under node_modules/.cache, which files passed, keyed on each file's
 * content and on the tool's version and configuration; a file that changed is checked again.
 * A fresh clone has no cache and checks everything; a second run checks what changed (eslint
 * ~14 s → ~2 s of CPU, prettier ~15 s → ~2 s). The rules are per file (no type-aware linting),
 * so a file that did not change keeps its verdict.
 */
const CACHE = ['--cache', '--cache-strategy', 'content'];

// npm puts node_modules/.bin on PATH for its scripts; so does this, when it runs without npm.
const env = {
  ...process.env,
  PATH: [path.resolve('node_modules', '.bin'), process.env.PATH].filter(Boolean).join(path.delimiter),
};

/** Runs a command to its end; resolves its exit code (1 when it was killed or did not start). */
function run(command, args, stdio) {
  return new Promise((resolve) => {
    // Windows finds the .cmd shims in node_modules/.bin only through a shell.
    const child = spawn(command, args, { stdio, shell: windows, env });
    const output = [];
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => output.push(chunk));
    child.on('error', (err) => {
      output.push(Buffer.from(`${command}: ${err.message}\n`));
      resolve({ code: 1, output });
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function checks() {
  const output = [];
  for (const [command, args] of [
    [process.execPath, ['scripts/check-layout.js']],
    ['eslint', ['.', ...CACHE, '--cache-location', 'node_modules/.cache/eslint/']],
    ['prettier', ['--check', '.', ...CACHE]],
  ]) {
    const step = await run(command, args, ['ignore', 'pipe', 'pipe']);
    output.push(...step.output);
    if (step.code !== 0) return { code: step.code, output, failed: [command, ...args].join(' ') };
  }
  return { code: 0, output };
}

// Four test files at once on two cores: many of them wait on timers (a fake nvidia-smi's
// stream, a meter's window), so two at a time leaves the CPUs idle. On the 2-core VM, the test
// files alone took 123 s at 2, 105 s at 3 and 99 s at 4; the whole `npm test` 118.7 s at 2 and
// 115.1 s at 4 (back to back, warm lint caches).
//
// The test files by name: given the folder, Node 20's runner also runs every helper module
// under dist/test/helpers as a test file (nine processes that test nothing, ~2 s of CPU).
const TEST_DIR = path.join('dist', 'test');
const testFiles = fs
  .readdirSync(TEST_DIR)
  .filter((name) => name.endsWith('.test.js'))
  .sort()
  .map((name) => path.join(TEST_DIR, name));
const [checked, tested] = await Promise.all([
  checks(),
  run(process.execPath, ['--test', '--test-concurrency=4', ...testFiles], 'inherit'),
]);
process.stdout.write('\n# checks: layout, eslint, prettier --check\n');
process.stdout.write(Buffer.concat(checked.output));
if (checked.code !== 0) {
  process.stderr.write(`npm test: ${checked.failed} failed (exit ${checked.code})\n`);
  process.exitCode = checked.code;
} else {
  process.exitCode = tested.code;
}
