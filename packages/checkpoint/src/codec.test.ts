import { fc, test } from '@fast-check/vitest';
import { Trainer, cosineAnnealing, scheduler, type TrainerState } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { SafetensorsError, parseSafetensors, serializeSafetensors } from '@trainkit/safetensors';
import { noGrad, Tensor } from '@trainkit/tensor';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, CheckpointError, DEFAULT_MAX_TENSORS, decodeCheckpoint, encodeCheckpoint } from './index';
import { bnCnn, imageLoader, snapshot } from './__tests__/models';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'fixtures');

/** A real trainer state after 1.5 epochs of Adam with a cosine schedule (optimizer slots, RNG streams, history). */
async function trainedState(): Promise<{ model: ReturnType<typeof bnCnn>; state: TrainerState }> {
  const model = bnCnn(1);
  let state: TrainerState | null = null;
  const grab = { name: 'grab', onTrainBatchEnd: (ctx: { epoch: number; batchIndex: number; trainer: Trainer }) => {
    if (ctx.epoch === 1 && ctx.batchIndex === 2) {
      state = ctx.trainer.stateDict();
      ctx.trainer.stop('enough');
    }
  } };
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 3, plugins: [scheduler(cosineAnnealing({ tMax: 4 })), grab] });
  await trainer.fit(model, { train: imageLoader(48, 8), val: imageLoader(16, 8, 2), epochs: 4 });
  return { model, state: state as unknown as TrainerState };
}

describe('encodeCheckpoint / decodeCheckpoint', () => {
  test('round-trips the model and the whole trainer state exactly: optimizer slots, RNG streams, history, plugin states', async () => {
    const { model, state } = await trainedState();
    const back = decodeCheckpoint(encodeCheckpoint({ model: model.stateDict(), trainer: state }), { requireChecksum: true });
    expect(back.trainer).toEqual(state);
    expect(back.trainer!.optimizer!.slots['conv1.weight'].m).toBeInstanceOf(Float32Array);
    expect(Object.fromEntries(Object.entries(back.model).map(([k, t]) => [k, Array.from(t.data)]))).toEqual(snapshot(model));
    expect([back.version, back.checksum]).toEqual([CHECKPOINT_FORMAT_VERSION, 'verified']);
  });

  test('the file is a PyTorch-style state dict: model tensors under their own names (num_batches_tracked as I64), trainer tensors under trainer/…', async () => {
    const { model, state } = await trainedState();
    const file = parseSafetensors(encodeCheckpoint({ model: model.stateDict(), trainer: state, metadata: { note: 'hi' } }));
    const names = [...file.tensors.keys()];
    expect(names.filter((n) => !n.startsWith('trainer/'))).toEqual(Object.keys(model.stateDict()));
    expect(file.tensors.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect(file.tensors.get('conv1.weight')?.dtype).toBe('F32');
    expect(names).toContain('trainer/optimizer/slots/conv1.weight/m');
    expect(file.metadata).toMatchObject({ format: 'pt', note: 'hi', 'trainkit.format': 'checkpoint', 'trainkit.version': '1' });
  });

  test.prop([fc.jsonValue(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 2n ** 70n)], { numRuns: 200 })(
    'plugin states of any plain data survive, including $-keys, __proto__ keys, non-finite numbers, bigints and typed arrays',
    (value, special) => {
      const plugins = JSON.parse(`{"a": ${JSON.stringify(value)}, "__proto__": {"$tensor": "x", "$$y": 1}}`) as Record<string, unknown>;
      plugins.special = [special, Int32Array.of(-1, 7), new BigInt64Array([-(2n ** 62n)]), new Float64Array([Math.PI]), { $tensor: 'not a ref' }];
      const trainer = { version: 1, epoch: 0, batchIndex: 0, step: 0, history: [], epochMetrics: {}, rng: { seed: 0, streams: {} }, optimizer: null, plugins } as TrainerState;
      const back = decodeCheckpoint(encodeCheckpoint({ model: {}, trainer }));
      expect(back.trainer).toEqual(trainer);
      expect(Object.getPrototypeOf(back.trainer!.plugins)).toBe(Object.prototype);
      expect(Object.keys(back.model)).toEqual([]);
    },
  );

  test('state that is not plain data is refused, naming where it is', () => {
    const withPlugin = (p: unknown) => () => encodeCheckpoint({ model: {}, trainer: { version: 1, plugins: { ema: p } } as unknown as TrainerState });
    expect(withPlugin({ shadow: new Map() })).toThrow('checkpoint: trainer.plugins.ema.shadow is a Map; trainer and plugin states must be plain objects');
    expect(withPlugin({ f: () => 1 })).toThrow('trainer.plugins.ema.f is a function');
    expect(withPlugin({ px: new Uint8ClampedArray(2) })).toThrow('trainer.plugins.ema.px is a Uint8ClampedArray, which checkpoints cannot store');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(withPlugin(cyclic)).toThrow('trainer.plugins.ema.self refers back to itself');
    expect(() => encodeCheckpoint({ model: {}, metadata: { 'trainkit.version': '9' } })).toThrow('metadata key "trainkit.version" is reserved');
  });

  test('a checkpoint from a newer format version is refused with a message saying to upgrade', () => {
    const bytes = serializeSafetensors({}, { metadata: { 'trainkit.format': 'checkpoint', 'trainkit.version': '2' }, checksum: true });
    expect(() => decodeCheckpoint(bytes)).toThrow(
      'checkpoint: the file was written by a newer trainkit (checkpoint format version 2; this @trainkit/checkpoint reads versions up to 1); upgrade @trainkit/checkpoint to load it',
    );
    const odd = serializeSafetensors({}, { metadata: { 'trainkit.version': 'one' } });
    expect(() => decodeCheckpoint(odd)).toThrow('trainkit.version is "one", expected a positive integer');
  });

  test('a broken trainer state is an error: bad JSON, a missing or reused tensor, a non-object', () => {
    const file = (trainer: string, tensors = {}) => serializeSafetensors(tensors, { metadata: { 'trainkit.version': '1', 'trainkit.trainer': trainer } });
    expect(() => decodeCheckpoint(file('{"version":1,'))).toThrow(/checkpoint: the trainer state is not valid JSON/);
    expect(() => decodeCheckpoint(file('{"version":1,"m":{"$tensor":"gone"}}'))).toThrow('the trainer state refers to tensor "gone", which the file does not hold (or refers to it twice)');
    const t = { x: { shape: [1], data: [1] } };
    expect(() => decodeCheckpoint(file('{"version":1,"a":{"$tensor":"x"},"b":{"$tensor":"x"}}', t))).toThrow('refers to tensor "x"');
    expect(() => decodeCheckpoint(file('[1]'))).toThrow('the trainer state must be an object with a numeric version');
    expect(() => decodeCheckpoint(file('{"version":1,"n":{"$number":"1e3"}}'))).toThrow('bad $number "1e3"');
    expect(() => decodeCheckpoint(file('{"version":1,"$weird":1}'))).toThrow('unknown marker "$weird"');
    const noVersion = serializeSafetensors({}, { metadata: { 'trainkit.trainer': '{"version":1}' } });
    expect(() => decodeCheckpoint(noVersion)).toThrow('has a trainer state but no trainkit.version');
  });

  test('a file with more tensors than maxTensors (default DEFAULT_MAX_TENSORS = 100,000) is refused before any tensor is converted', () => {
    const zeroSize = (n: number) => serializeSafetensors(Array.from({ length: n }, (_, i): [string, { shape: number[]; data: number[] }] => [`t${i}`, { shape: [0], data: [] }]));
    expect(() => decodeCheckpoint(zeroSize(11), { maxTensors: 10 })).toThrow('the header has more than 10 tensors (the maxTensors limit; the next is "t10"');
    expect(Object.keys(decodeCheckpoint(zeroSize(11), { maxTensors: 11 }).model)).toHaveLength(11);
    expect(DEFAULT_MAX_TENSORS).toBe(100_000);
    expect(() => decodeCheckpoint(zeroSize(DEFAULT_MAX_TENSORS + 1))).toThrow('the header has more than 100000 tensors');
    expect(() => decodeCheckpoint(zeroSize(1), { maxTensors: -1 })).toThrow('decodeCheckpoint({ maxTensors: -1 }): must be a non-negative integer');
  });

  test.prop([fc.nat(), fc.nat(7)], { numRuns: 1000 })('any single-bit flip of a checkpoint is rejected (checksum), never half-loaded', async (at, bit) => {
    const bytes = SEALED.slice();
    bytes[at % bytes.length] ^= 1 << bit;
    let error: unknown = null;
    try {
      decodeCheckpoint(bytes, { requireChecksum: true });
    } catch (e) {
      error = e;
    }
    expect(error instanceof SafetensorsError || error instanceof CheckpointError).toBe(true);
  });
});

const SEALED = encodeCheckpoint({
  model: bnCnn(2).stateDict(),
  trainer: { version: 1, epoch: 2, batchIndex: 0, step: 12, history: [{ epoch: 0, metrics: { loss: 1 } }], epochMetrics: {}, rng: { seed: 0, streams: { '': [1, 2, 3, 4] } }, optimizer: null, plugins: { s: Float32Array.of(1, 2) } },
});

describe('PyTorch state dicts', () => {
  test('a BatchNorm CNN exported from PyTorch loads strictly into the same trainkit model and gives the same outputs', () => {
    const ckpt = decodeCheckpoint(readFileSync(join(fixtures, 'torch-bn-cnn.safetensors')));
    expect([ckpt.version, ckpt.trainer, ckpt.checksum]).toEqual([null, null, 'absent']);
    const model = bnCnn(9);
    const report = model.loadStateDict(ckpt.model);
    expect(report.loaded).toHaveLength(9);
    expect(Array.from(model.stateDict()['bn1.num_batches_tracked'].data)).toEqual([5]);
    const { input, output } = JSON.parse(readFileSync(join(fixtures, 'torch-bn-cnn.json'), 'utf8')) as { input: number[]; output: number[] };
    const y = noGrad(() => model.eval().call(new Tensor(Float32Array.from(input), [2, 1, 8, 8])));
    expect(Math.max(...Array.from(y.data, (v, i) => Math.abs(v - output[i])))).toBeLessThan(1e-5);
  });
});
