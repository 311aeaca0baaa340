import { Trainer } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { noGrad, Tensor } from '@trainkit/tensor';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { encodeCheckpoint } from './index';
import { bnCnn, imageLoader } from './__tests__/models';
import { runPython, torchMissing } from '../../../scripts/python';

// The other direction of codec.test.ts's PyTorch test: a checkpoint trainkit writes during
// training opens in PyTorch (Debian's python3-torch) as a state dict of the same model.

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'fixtures');
const missing = torchMissing();

test.skipIf(missing !== null)(`PyTorch loads a trainkit checkpoint strictly into the same model and computes the same outputs${missing ? ` — SKIPPED: ${missing}` : ''}`, async () => {
  const model = bnCnn(4);
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 2 });
  await trainer.fit(model, { train: imageLoader(24, 8), epochs: 2 });
  const path = join(tmpdir(), `trainkit-bn-cnn-${process.pid}.safetensors`);
  writeFileSync(path, encodeCheckpoint({ model: model.stateDict(), trainer: trainer.stateDict() }));

  const seen = runPython('torch_reads_checkpoint.py', [path], fixtures) as { checksum: boolean; version: string; dtypes: Record<string, string>; output: number[]; trainer_tensors: string[]; step: number };

  const { input } = JSON.parse(readFileSync(join(fixtures, 'torch-bn-cnn.json'), 'utf8')) as { input: number[] };
  const ours = noGrad(() => model.eval().call(new Tensor(Float32Array.from(input), [2, 1, 8, 8])));
  expect(seen.checksum).toBe(true);
  expect(seen.version).toBe('1');
  expect(seen.dtypes['bn1.num_batches_tracked']).toBe('int64');
  expect(seen.dtypes['conv1.weight']).toBe('float32');
  expect(Math.max(...seen.output.map((v, i) => Math.abs(v - ours.data[i])))).toBeLessThan(1e-5);
  expect(seen.trainer_tensors).toContain('trainer/optimizer/slots/fc.weight/v');
  expect(seen.step).toBe(6);
});
