/** What a batch of inputs costs in memory, and the refusal of one that would not fit. */
import os from 'node:os';
import { usageError } from '../errors.js';
import { inputBytesPerElement } from '../model/dtypes.js';
import { inputShape, type BatchShape } from './batches.js';
import type { SynthesisPlan } from './input-plan.js';

export function batchBytes(plan: SynthesisPlan, batch: BatchShape): number {
  let bytes = 0;
  for (const input of plan.inputs) {
    bytes += inputShape(input, batch).reduce((n, d) => n * d, 1) * inputBytesPerElement(input.dtype);
  }
  return bytes;
}

/** The largest share of free memory one batch may take before we refuse to allocate it. */
const MAX_BATCH_SHARE_OF_FREE = 0.5;

/** Refuses, before allocating, a batch that would not fit in memory. */
export function checkBatchFits(plan: SynthesisPlan, batches: BatchShape[], freeBytes = os.freemem()): number {
  let largest = 0;
  let largestBatch = batches[0];
  for (const b of batches) {
    const bytes = batchBytes(plan, b);
    if (bytes > largest) {
      largest = bytes;
      largestBatch = b;
    }
  }
  const limit = freeBytes * MAX_BATCH_SHARE_OF_FREE;
  if (largest > limit && largestBatch) {
    const detail = plan.inputs
      .map((i) => `${i.name} [${inputShape(i, largestBatch!).join('x')}] ${i.dtype}`)
      .join(', ');
    throw usageError(
      `one batch of inputs needs ${formatBytes(largest)}, more than half the free memory (${formatBytes(freeBytes)}): ${detail}`,
      'lower --batch, or pin smaller sizes with --dim or --shape',
    );
  }
  return largest;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
