import { ValueError } from '@trainkit/tensor';

/** Which half of a dataset to load. */
export type Split = 'train' | 'test';

/** `limit` clamped to `available`; undefined means all. */
export function resolveLimit(caller: string, limit: number | undefined, available: number): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 0) throw new ValueError(`${caller}: limit must be a non-negative integer, got ${limit}`);
  return Math.min(limit, available);
}

/** Checks the `split` option. */
export function checkSplit(caller: string, split: unknown): asserts split is Split {
  if (split !== 'train' && split !== 'test') {
    throw new ValueError(`${caller}({ split: ${JSON.stringify(split)} }): split must be 'train' or 'test'`);
  }
}
