import { Rng } from '@trainkit/tensor';

/** Shards read into memory together, and the order in which their examples are visited. */
export interface ShardGroup {
  /** Indices of the shards in the manifest, in the order they are concatenated. */
  shards: number[];
  /** Position in the epoch of the group's first example. */
  start: number;
  /** Examples in the group. */
  count: number;
}

/**
 * The groups of one epoch: the shards in a seeded random order (or as stored, without
 * shuffling), cut into consecutive groups of `bufferShards`. A pure function of
 * `(seed, epoch)` and the shard sizes, like DataLoader's order, so any position of an
 * epoch can be found without reading data.
 */
export function epochGroups(counts: readonly number[], bufferShards: number, shuffle: boolean, seed: number, epoch: number): ShardGroup[] {
  const order = shuffle ? Array.from(epochRng(seed, epoch).permutation(counts.length)) : counts.map((_, i) => i);
  const groups: ShardGroup[] = [];
  let start = 0;
  for (let g = 0; g < order.length; g += bufferShards) {
    const shards = order.slice(g, g + bufferShards);
    const count = shards.reduce((sum, s) => sum + counts[s], 0);
    groups.push({ shards, start, count });
    start += count;
  }
  return groups;
}

/**
 * The order in which group `g` of an epoch visits its examples (indices into the group's
 * shards concatenated): a seeded permutation, the in-buffer shuffle, or `0, 1, 2, …`.
 */
export function groupOrder(group: ShardGroup, g: number, shuffle: boolean, seed: number, epoch: number): Int32Array {
  if (shuffle) return epochRng(seed, epoch).stream(`buffer-${g}`).permutation(group.count);
  return Int32Array.from({ length: group.count }, (_, i) => i);
}

function epochRng(seed: number, epoch: number): Rng {
  return new Rng(seed).stream('shards').stream(`epoch-${epoch}`);
}
