/**
 * GitHub Actions output: the job summary (appended, never truncated), `::error::` annotations
 * and their escaping, through the functions and the built CLI; and the example workflows in
 * examples/ parse and do what their names say.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import {
  appendStepSummary,
  cappedErrorAnnotations,
  errorAnnotation,
  escapeData,
  escapeProperty,
  inGitHubActions,
  warningAnnotation,
} from '../src/ci/github.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'results', 'encoder-tiny-cpu.json');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-github-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('workflow command escaping', () => {
  test('message data: %, CR and LF', () => {
    assert.equal(escapeData('46 %\r\nnext'), '46 %25%0D%0Anext');
    assert.equal(escapeData('%0A stays literal'), '%250A stays literal');
  });

  test('property values: also : and ,', () => {
    assert.equal(escapeProperty('energy-score: check, 5 %'), 'energy-score%3A check%2C 5 %25');
  });

  test('annotation lines', () => {
    assert.equal(errorAnnotation('plain'), '::error::plain\n');
    assert.equal(
      errorAnnotation('a/b: 0.00146 Wh/1k is above --max-wh-per-1k 0.001 by 46 %\nsecond line', {
        title: 'energy-score check',
      }),
      '::error title=energy-score check::a/b: 0.00146 Wh/1k is above --max-wh-per-1k 0.001 by 46 %25%0Asecond line\n',
    );
    assert.equal(
      errorAnnotation('m', { title: 't: x', file: 'results/a,b.json', line: 3 }),
      '::error title=t%3A x,file=results/a%2Cb.json,line=3::m\n',
    );
  });

  test('warnings', () => {
    assert.equal(warningAnnotation('50 %', { title: 'x' }), '::warning title=x::50 %25\n');
  });

  test('at most 10 error annotations: the tenth says how many more and where they are', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `f${i}`);
    assert.equal(
      cappedErrorAnnotations(ten, { title: 't' }, 'the log'),
      ten.map((m) => `::error title=t::${m}\n`).join(''),
    );
    const twelve = Array.from({ length: 12 }, (_, i) => `f${i}`);
    const lines = cappedErrorAnnotations(twelve, { title: 't' }, 'the log').split('\n').filter(Boolean);
    assert.equal(lines.length, 10);
    assert.equal(lines[8], '::error title=t::f8');
    assert.equal(
      lines[9],
      '::error title=t::3 more failure(s) not annotated (GitHub shows at most 10 error annotations per step): the full list is in the log',
    );
  });

  test('annotations only inside GitHub Actions', () => {
    assert.equal(inGitHubActions({ GITHUB_ACTIONS: 'true' }), true);
    assert.equal(inGitHubActions({ GITHUB_ACTIONS: '' }), false);
    assert.equal(inGitHubActions({}), false);
  });
});

describe('appendStepSummary', () => {
  test('does nothing without GITHUB_STEP_SUMMARY', async () => {
    assert.equal(await appendStepSummary('# x', {}), false);
    assert.equal(await appendStepSummary('# x', { GITHUB_STEP_SUMMARY: '' }), false);
  });

  test('appends, keeping what is there: twice gives both', async () => {
    const file = path.join(tmp, 'summary-unit.md');
    fs.writeFileSync(file, '# an earlier step\n');
    const env = { GITHUB_STEP_SUMMARY: file };
    assert.equal(await appendStepSummary('## first', env), true);
    assert.equal(await appendStepSummary('## second\n', env), true);
    assert.equal(fs.readFileSync(file, 'utf8'), '# an earlier step\n\n## first\n\n## second\n');
  });

  test('an unwritable summary is a run error naming the file', async () => {
    const file = path.join(tmp, 'no-such-folder', 'summary.md');
    await assert.rejects(appendStepSummary('x', { GITHUB_STEP_SUMMARY: file }), (err: unknown) => {
      assert.ok(err instanceof EnergyScoreError);
      assert.equal(err.exitCode, 1);
      assert.ok(err.message.includes(file));
      return true;
    });
  });
});

describe('check in GitHub Actions (the built CLI)', () => {
  const FAILURE =
    'encoder-tiny/fp16/b8/cpu: 0.00355 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 18 %';

  test('appends its Markdown report to the job summary, run after run', async () => {
    const summary = path.join(tmp, 'summary-cli.md');
    fs.writeFileSync(summary, '# build\n');
    const env = cliEnv({ GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: '' });
    assertExit(await cli(['check', FIXTURE, '--max-wh-per-1k', '0.003'], env), 1);
    assertExit(await cli(['check', FIXTURE, '--max-wh-per-1k', '0.004'], env), 0);
    const text = fs.readFileSync(summary, 'utf8');
    assert.ok(text.startsWith('# build\n\n## energy-score check: ❌ failed\n'), text);
    assert.equal(text.match(/^## energy-score check: /gm)?.length, 2);
    assert.ok(text.includes('\n## energy-score check: ✅ passed\n'));
    assert.ok(
      text.includes(`| encoder-tiny/fp16/b8/cpu | --max-wh-per-1k | ❌ fail | ${FAILURE.split(': ')[1]} |`),
    );
  });

  test('prints each failure as an ::error:: annotation with GITHUB_ACTIONS=true', async () => {
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.003'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(run, 1);
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::'));
    assert.deepEqual(annotations, [
      `::error title=energy-score check::${FAILURE.replace('%', '%25')}`,
      '::error title=energy-score check::encoder-tiny/q8/b8/cpu: 0.00327 Wh/1k (estimated) is above --max-wh-per-1k 0.003 by 9.0 %25',
    ]);
  });

  test('no annotations outside GitHub Actions, none when everything passes', async () => {
    const outside = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.003'],
      cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(outside, 1);
    assert.doesNotMatch(outside.stdout, /::error/);
    const passing = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.004'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(passing, 0);
    assert.doesNotMatch(passing.stdout, /::error/);
  });

  test('bad input is annotated too, once, on stderr, and exits 2', async () => {
    const empty = path.join(tmp, 'empty.json');
    fs.writeFileSync(empty, '');
    const run = await cli(
      ['check', empty, '--max-wh-per-1k', '1'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(run, 2);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `energy-score: error: ${empty} is empty\n  hint: a run that was killed before its first write leaves an empty file; run bench again\n::error title=energy-score check::${empty} is empty\n`,
    );
  });

  test("usage errors found while parsing options are annotated with the command's name", async () => {
    const env = cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' });
    const cases: [string[], string][] = [
      [
        ['check', FIXTURE, '--max-j-per-query', 'abc'],
        "::error title=energy-score check::--max-j-per-query 'abc' is not a number of 0 or more",
      ],
      [['check', FIXTURE, '--bogus'], "::error title=energy-score check::unknown option '--bogus'"],
      [['compare', FIXTURE], "::error title=energy-score compare::missing required argument 'b.json'"],
      [['nosuch'], "::error title=energy-score::unknown command 'nosuch'"],
    ];
    for (const [args, annotation] of cases) {
      const run = await cli(args, env);
      assertExit(run, 2);
      assert.deepEqual(
        run.stderr.split('\n').filter((l) => l.startsWith('::')),
        [annotation],
        run.stderr,
      );
      assert.doesNotMatch(run.stdout, /::error/);
    }
    // Outside GitHub Actions, the error line only.
    const outside = await cli(
      ['check', FIXTURE, '--max-j-per-query', 'abc'],
      cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(outside, 2);
    assert.doesNotMatch(outside.stderr, /::error/);
  });

  test('more than 10 failures: 9 annotations and one saying how many more and where', async () => {
    const summary = path.join(tmp, 'summary-many.md');
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.0001', '--max-j-per-query', '0.0001'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }),
    );
    assertExit(run, 1);
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::'));
    assert.equal(annotations.length, 10);
    assert.equal(
      annotations[9],
      "::error title=energy-score check::3 more failure(s) not annotated (GitHub shows at most 10 error annotations per step): the full list is in the job summary and this step's log",
    );
    // Every one of the 12 is in the log and the summary.
    assert.equal(run.stdout.match(/^ {2}FAIL {2}/gm)?.length, 12);
    assert.equal(fs.readFileSync(summary, 'utf8').match(/\| ❌ fail \|/g)?.length, 12);
  });

  test('--markdown - is not appended to the job summary as well', async () => {
    const summary = path.join(tmp, 'summary-stdout.md');
    fs.writeFileSync(summary, '# build\n');
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.004', '--markdown', '-'],
      cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: summary }),
    );
    assertExit(run, 0);
    assert.match(run.stdout, /^## energy-score check: ✅ passed\n/);
    assert.equal(fs.readFileSync(summary, 'utf8'), '# build\n');
  });

  test('a job summary that cannot be written is a warning, not a failed check', async () => {
    const summary = path.join(tmp, 'no-such-folder', 'summary.md');
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.004'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }),
    );
    assertExit(run, 0);
    const lines = run.stderr.split('\n');
    assert.ok(
      lines[0]!.startsWith(
        `energy-score: warning: the check's report is not in the job summary: cannot append to the job summary GITHUB_STEP_SUMMARY=${summary}: `,
      ),
      run.stderr,
    );
    assert.ok(
      lines[1]!.startsWith(
        "::warning title=energy-score check::the check's report is not in the job summary",
      ),
    );
    const failing = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.003'],
      cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: summary }),
    );
    assertExit(failing, 1);
    assert.match(failing.stderr, /^energy-score: warning: /);
    assert.doesNotMatch(failing.stderr, /::warning/);
  });

  test('with --json - on stdout, annotations go to stderr and stdout stays JSON', async () => {
    const run = await cli(
      ['check', FIXTURE, '--max-wh-per-1k', '0.003', '--json', '-'],
      cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' }),
    );
    assertExit(run, 1);
    assert.equal((JSON.parse(run.stdout) as { passed: boolean }).passed, false);
    assert.match(run.stderr, /^::error title=energy-score check::encoder-tiny\/fp16\/b8\/cpu: /m);
  });
});

/** A YAML parser: js-yaml (in node_modules with eslint), else Python's PyYAML; null when neither is. */
async function yamlParser(): Promise<((text: string) => unknown) | null> {
  try {
    const specifier = 'js-yaml';
    const mod = (await import(specifier)) as { load: (text: string) => unknown };
    return (text) => mod.load(text);
  } catch {
    try {
      execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    } catch {
      return null;
    }
    // PyYAML reads YAML 1.1, where the key `on` is the boolean true: give it back its name.
    return (text) =>
      JSON.parse(
        execFileSync(
          'python3',
          [
            '-c',
            'import json,sys,yaml; d=yaml.safe_load(sys.stdin); d["on"]=d.pop(True,d.get("on")); print(json.dumps(d))',
          ],
          { input: text, encoding: 'utf8' },
        ),
      ) as unknown;
  }
}

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<
    string,
    { 'runs-on': string; steps: Step[]; needs?: string; strategy?: { matrix: Record<string, unknown> } }
  >;
}

describe('example workflows', () => {
  const read = (name: string) => fs.readFileSync(path.join(REPO_ROOT, 'examples', name), 'utf8');

  test('pr-energy-gate.yml benches, downloads main, compares and gates on a regression', async (t) => {
    const parse = await yamlParser();
    if (!parse) return t.skip('no YAML parser here (js-yaml or PyYAML)');
    const workflow = parse(read('pr-energy-gate.yml')) as Workflow;
    assert.ok('pull_request' in workflow.on);
    assert.deepEqual(workflow.on.push, { branches: ['main'] });
    const steps = Object.values(workflow.jobs)[0]!.steps;
    const runs = steps.map((s) => s.run ?? '').join('\n');
    assert.match(runs, /energy-score bench .*--json energy\.json/);
    assert.match(
      runs,
      /energy-score compare baseline\/energy\.json energy\.json --markdown - >> "\$GITHUB_STEP_SUMMARY"/,
    );
    assert.match(
      runs,
      /energy-score check energy\.json --baseline baseline\/energy\.json --max-regression 5/,
    );
    // energy-score is not on npm: installed from its repository, named once at the top.
    assert.match(workflow.env?.ENERGY_SCORE ?? '', /^github:[^/]+\/energy-score#v\d+\.\d+\.\d+$/);
    assert.deepEqual(
      steps.filter((s) => s.run?.includes('npm install')).map((s) => s.run!.trim()),
      ['npm install --global "$ENERGY_SCORE"'],
    );
    assert.doesNotMatch(read('pr-energy-gate.yml'), /npm install[^\n]*energy-score@/);
    const download = steps.find((s) => s.uses === 'actions/download-artifact@v4');
    assert.equal(download?.with?.name, 'energy-result');
    assert.ok(download?.with?.['run-id'] && download.with['github-token']);
    const store = steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    assert.equal(store?.if, "github.event_name == 'push'");
    assert.equal(store?.with?.name, 'energy-result');
  });

  test('scale-out-matrix.yml runs a matrix and merges the artifacts with leaderboard', async (t) => {
    const parse = await yamlParser();
    if (!parse) return t.skip('no YAML parser here (js-yaml or PyYAML)');
    const workflow = parse(read('scale-out-matrix.yml')) as Workflow;
    const bench = workflow.jobs.bench!;
    assert.equal(bench['runs-on'], '${{ matrix.runner }}');
    assert.ok(Array.isArray(bench.strategy?.matrix.model) && Array.isArray(bench.strategy?.matrix.runner));
    // bench exits 1 when a configuration failed but still writes its JSON: upload it anyway.
    const upload = bench.steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    assert.equal(upload?.if, '${{ !cancelled() }}');
    assert.equal(upload?.with?.['if-no-files-found'], 'warn');
    assert.match(workflow.env?.ENERGY_SCORE ?? '', /^github:[^/]+\/energy-score#v\d+\.\d+\.\d+$/);
    const installs = [...bench.steps, ...workflow.jobs.leaderboard!.steps]
      .filter((s) => s.run?.includes('npm install'))
      .map((s) => s.run!.trim());
    assert.deepEqual(installs, [
      'npm install --global "$ENERGY_SCORE"',
      'npm install --global "$ENERGY_SCORE"',
    ]);
    const board = workflow.jobs.leaderboard!;
    assert.equal(board.needs, 'bench');
    const download = board.steps.find((s) => s.uses === 'actions/download-artifact@v4');
    assert.equal(download?.with?.['merge-multiple'], true);
    const runs = board.steps.map((s) => s.run ?? '').join('\n');
    assert.match(
      runs,
      /energy-score leaderboard results\/\*\.json -o leaderboard\.csv --markdown leaderboard\.md/,
    );
    assert.match(runs, /cat leaderboard\.md >> "\$GITHUB_STEP_SUMMARY"/);
  });
});
