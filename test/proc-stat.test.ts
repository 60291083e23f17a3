import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { mkdir } from 'node:fs/promises';
import {
  parseProcessStat,
  parseProcStat,
  parseSchedstat,
  readThreadRunnableS,
} from '../src/devices/proc-stat.js';
import { cpuWindow, processCpuTimes, processTreeCpuTimes, sampleCpu } from '../src/meters/cpu-time.js';

describe('/proc readers', () => {
  test('/proc/stat: busy is user + nice + system + irq + softirq; idle + iowait; steal apart', () => {
    const t = parseProcStat(
      'cpu  696052 661516 398132 401051 3808 10 4968 25 3 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n',
    );
    assert.equal(t.busyS, (696052 + 661516 + 398132 + 10 + 4968) / 100);
    assert.equal(t.idleS, (401051 + 3808) / 100);
    assert.equal(t.stealS, 0.25);
    assert.throws(() => parseProcStat('cpu0 1 2 3 4\n'), /no aggregate cpu line/);
    assert.throws(() => parseProcStat('cpu  1 x 3 4\n'), /unreadable/);
  });

  test('/proc/self/stat: utime + stime and cutime + cstime, past a command name with spaces and parentheses', () => {
    const text =
      '29767 (node (x) y) R 29749 29749 24493 0 -1 4194304 100 0 0 0 150 50 1200 300 20 0 1 0 1085570 3133440 417 0\n';
    assert.deepEqual(parseProcessStat(text), { selfS: 2, childrenS: 15 });
    assert.throws(() => parseProcessStat('1 (a) R 1 2'), /too few fields/);
  });

  test('a window: own and busy time, busy at least own, other processes in cores', () => {
    assert.deepEqual(cpuWindow({ ownS: 1, busyS: 10 }, { ownS: 3, busyS: 15 }, 2), {
      ownS: 2,
      busyS: 5,
      otherCores: 1.5,
      runnableS: null,
    });
    assert.deepEqual(cpuWindow({ ownS: 1, busyS: 10 }, { ownS: 3, busyS: 11 }, 2), {
      ownS: 2,
      busyS: 2,
      otherCores: 0,
      runnableS: null,
    });
    assert.deepEqual(cpuWindow({ ownS: 1, busyS: null }, { ownS: 3, busyS: 11 }, 2), {
      ownS: 2,
      busyS: null,
      otherCores: null,
      runnableS: null,
    });
  });

  test("measure's process tree: this process's and its waited-for children's CPU time", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'es-proc-'));
    const selfStat = path.join(dir, 'self-stat');
    const stat = path.join(dir, 'stat');
    await writeFile(selfStat, '7 (energy-score) S 1 7 7 0 -1 0 0 0 0 0 10 5 300 100 20 0 1 0 1 1 1 0\n');
    await writeFile(stat, 'cpu  1000 0 500 9000 0 0 0 0 0 0\n');
    const s = sampleCpu(processTreeCpuTimes({ selfStat, stat }));
    assert.deepEqual(s, { ownS: 4.15, busyS: 15 });
  });

  test('schedstat: run and run-queue wait nanoseconds; garbage refused', () => {
    assert.deepEqual(parseSchedstat('5662652 1318518 2\n'), { runNs: 5662652, waitNs: 1318518 });
    assert.throws(() => parseSchedstat('12\n'), /schedstat unreadable/);
    assert.throws(() => parseSchedstat('-1 5 2'), /schedstat unreadable/);
  });

  test("each thread's run + wait seconds; a thread without schedstat is left out; no task dir is null", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'es-task-'));
    await mkdir(path.join(dir, '101'));
    await mkdir(path.join(dir, '102'));
    await mkdir(path.join(dir, '103'));
    await writeFile(path.join(dir, '101', 'schedstat'), '1500000000 500000000 40\n');
    await writeFile(path.join(dir, '102', 'schedstat'), '250000000 0 3\n');
    assert.deepEqual(
      readThreadRunnableS(dir),
      new Map([
        ['101', 2],
        ['102', 0.25],
      ]),
    );
    assert.equal(readThreadRunnableS(path.join(dir, 'absent')), null);
    const sample = sampleCpu(processCpuTimes(path.join(dir, 'no-stat'), dir));
    assert.deepEqual(sample.runnable, readThreadRunnableS(dir));
    assert.equal(sample.busyS, null);
  });

  test('a window: run + wait over the threads alive at its end, a new thread from zero, at least own', () => {
    const from = {
      ownS: 1,
      busyS: 10,
      runnable: new Map([
        ['1', 5],
        ['2', 3],
        ['9', 7],
      ]),
    };
    const to = {
      ownS: 2,
      busyS: 14,
      runnable: new Map([
        ['1', 6.5],
        ['2', 3.25],
        ['3', 0.5],
      ]),
    };
    // 1.5 + 0.25 + 0.5; thread 9 exited and is not counted.
    assert.deepEqual(cpuWindow(from, to, 2), { ownS: 1, busyS: 4, otherCores: 1.5, runnableS: 2.25 });
    const slow = { ownS: 4, busyS: 14, runnable: new Map([['1', 5.5]]) };
    assert.equal(cpuWindow(from, slow, 2).runnableS, 3);
  });
});
