import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { int8IsaWarning, parseInt8Flags, readInt8Flags } from '../src/devices/cpu-flags.js';
import { collectEnvironment } from '../src/env/environment.js';
import { toMarkdown } from '../src/export/formats.js';
import { documentProblems } from '../src/result/validate.js';
import { recordedDocument } from './helpers/documents.js';

const X86 = `processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 207
flags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx_vnni amx_bf16 amx_tile amx_int8

processor\t: 1
flags\t\t: fpu sse2
`;

const X86_NO_VNNI = `processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu sse2 ssse3 sse4_1 avx avx2 fma
`;

const ARM = `processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp sve i8mm
`;

test('parseInt8Flags keeps the int8-relevant flags of the first processor, in a fixed order', () => {
  assert.deepEqual(parseInt8Flags(X86), [
    'ssse3',
    'sse4_1',
    'avx2',
    'avx512f',
    'avx512bw',
    'avx512vl',
    'avx512_vnni',
    'avx_vnni',
    'amx_tile',
    'amx_int8',
  ]);
  assert.deepEqual(parseInt8Flags(X86_NO_VNNI), ['ssse3', 'sse4_1', 'avx2']);
  assert.deepEqual(parseInt8Flags(ARM), ['asimddp', 'i8mm', 'sve']);
  assert.deepEqual(parseInt8Flags(''), []);
});

test('int8IsaWarning: only 8-bit CPU results on x86 without VNNI, or with unknown flags', () => {
  const vnni = parseInt8Flags(X86);
  const noVnni = parseInt8Flags(X86_NO_VNNI);
  assert.equal(int8IsaWarning('fp32', 'cpu', 'x64', noVnni), undefined);
  assert.equal(int8IsaWarning('int8', 'cuda', 'x64', noVnni), undefined);
  assert.equal(int8IsaWarning('q8', 'cpu', 'x64', vnni), undefined);
  assert.equal(int8IsaWarning('int8', 'cpu', 'arm64', parseInt8Flags(ARM)), undefined);
  assert.equal(
    int8IsaWarning('uint8', 'cpu', 'x64', noVnni),
    "uint8 on a CPU without VNNI (no avx512_vnni or avx_vnni; flags: ssse3 sse4_1 avx2): ONNX Runtime's u8×s8 integer kernels can saturate 16-bit intermediates here, so outputs and speed may differ from a VNNI machine's",
  );
  assert.match(int8IsaWarning('q8', 'cpu', 'x64', undefined)!, /could not be read/);
});

test('the environment records the flags from an injected cpuinfo, and the validator checks them', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cpu-flags-'));
  try {
    const cpuinfoPath = path.join(dir, 'cpuinfo');
    await writeFile(cpuinfoPath, X86_NO_VNNI);
    const environment = await collectEnvironment({ cpuinfoPath });
    assert.deepEqual(environment.cpuFlags, ['ssse3', 'sse4_1', 'avx2']);
    assert.equal(await readInt8Flags(path.join(dir, 'missing')), null);
    const absent = await collectEnvironment({ cpuinfoPath: path.join(dir, 'missing') });
    assert.equal(absent.cpuFlags, undefined);

    const document = recordedDocument();
    document.environment = environment;
    assert.deepEqual(documentProblems(document), []);
    (document.environment as unknown as { cpuFlags: unknown }).cpuFlags = [512];
    assert.ok(documentProblems(document).some((p) => p.includes('environment.cpuFlags')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Markdown shows the int8 ISA flags beside a document with q8 results, and only then', () => {
  const document = recordedDocument();
  document.environment.cpuFlags = ['avx2', 'avx512_vnni'];
  assert.match(toMarkdown(document), /\(int8 ISA: avx2 avx512_vnni\) · /);
  document.results = document.results.filter((r) => r.precision !== 'q8');
  assert.doesNotMatch(toMarkdown(document), /int8 ISA/);
});
