import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint } from '@trainkit/checkpoint';

/** The model tensors of the `latest` checkpoint in `dir` (a trial run's checkpoint folder). */
export function latestWeights(dir: string): Record<string, Float32Array> {
  const { model } = decodeCheckpoint(readFileSync(join(dir, 'latest.safetensors')));
  return Object.fromEntries(Object.entries(model).map(([k, t]) => [k, t.data]));
}
