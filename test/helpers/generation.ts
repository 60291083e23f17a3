/** Detecting and opening the zoo's generative layouts, for the tests that drive the loop directly. */
import assert from 'node:assert/strict';
import path from 'node:path';

import * as ort from 'onnxruntime-node';

import { inspectModel } from '../../src/model/inspect.js';
import type { GenerationSessions } from '../../src/runner/generate.js';
import {
  detectLayout,
  generativeMainFile,
  readGenerativeFiles,
  type GenerationLayout,
} from '../../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../../src/workload/overrides.js';
import { REPO_ROOT } from './cli.js';

export const ZOO = path.join(REPO_ROOT, 'fixtures', 'zoo');

/** The layout of a zoo folder, from its main file or a named one (`model_fp16.onnx`). */
export async function layoutOf(folder: string, file?: string): Promise<GenerationLayout> {
  const dir = path.join(ZOO, folder);
  const files = await readGenerativeFiles(dir);
  const main = file
    ? path.join(dir, file)
    : (generativeMainFile(files)?.path ?? path.join(dir, 'model.onnx'));
  const detection = await detectLayout({
    model: await inspectModel(main),
    files,
    overrides: NO_OVERRIDES,
    inspect: inspectModel,
  });
  assert.equal(detection.status, 'found', JSON.stringify(detection));
  if (detection.status !== 'found') throw new Error('unreachable');
  return detection.layout;
}

export async function openLayout(
  layout: GenerationLayout,
): Promise<{ sessions: GenerationSessions; close: () => Promise<void> }> {
  const first = await ort.InferenceSession.create(layout.first.path);
  const next =
    layout.next.path === layout.first.path ? first : await ort.InferenceSession.create(layout.next.path);
  const encoder = layout.encoder ? await ort.InferenceSession.create(layout.encoder.path) : null;
  return {
    sessions: { first, next, encoder },
    close: async () => {
      await first.release();
      if (next !== first) await next.release();
      await encoder?.release();
    },
  };
}
