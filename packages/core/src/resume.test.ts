import { describe, expect, test } from 'vitest';
import type { Module } from '@trainkit/nn';
import { Tensor, crossEntropy } from '@trainkit/tensor';
import { PluginError, ResumeError, Trainer, defineOptimizer, type HookName, type Plugin, type ResumeState, type TrainerState } from './index';
import { toyLoader, toyModel } from './__tests__/fixtures';

/** Heavy-ball momentum, written here so the optimizer state has a slot per parameter. */
const heavyBall = defineOptimizer({
  name: 'test/heavy-ball',
  defaults: { lr: 0.1, beta: 0.9 },
  slots: ['v'],
  update({ value, grad, slots, hyper }) {
    for (let i = 0; i < value.length; i++) {
      slots.v[i] = hyper.beta * slots.v[i] + grad[i];
      value[i] -= hyper.lr * slots.v[i];
    }
  },
});

/** Every Float32Array replaced by its bit patterns, so equality is bit for bit (-0 ≠ 0, NaN payloads count). */
function bits(value: unknown): unknown {
  if (value instanceof Float32Array) return Array.from(new Uint32Array(value.buffer, value.byteOffset, value.length));
  if (value instanceof Tensor) return bits(value.data);
  if (Array.isArray(value)) return value.map(bits);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bits(v)]));
  return value;
}

const weightsOf = (model: Module) => Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));

/** A stateful plugin whose state is a counter of optimizer steps; it refuses a negative count. */
function counter(): Plugin & { count: number } {
  return {
    name: 'step-counter',
    count: 0,
    onAfterOptimizerStep() {
      this.count++;
    },
    stateDict() {
      return { count: this.count };
    },
    loadStateDict(s) {
      const c = (s as { count: number }).count;
      if (c < 0) throw new Error(`count must be ≥ 0, got ${c}`);
      this.count = c;
    },
  };
}

/** A trainer mid-run (stopped inside epoch 1) with momentum slots, RNG streams and plugin state. */
async function midRun(): Promise<{ trainer: Trainer; model: Module; good: ResumeState }> {
  const model = toyModel(5);
  const stopAt: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => void (ctx.epoch === 1 && ctx.batchIndex === 2 && ctx.stop('killed')) };
  const trainer = new Trainer({ optimizer: heavyBall(), seed: 4, plugins: [counter(), stopAt] });
  await trainer.fit(model, { train: toyLoader(64, 8), epochs: 3 });
  return { trainer, model, good: { ...structuredClone(trainer.stateDict()), model: weightsOf(toyModel(6)), source: 'runs/toy/latest.safetensors' } };
}

const refusals: Array<[string, (s: ResumeState) => ResumeState, RegExp]> = [
  ['another seed', (s) => ({ ...s, rng: { ...s.rng, seed: 9 } }), /saved by a trainer with seed 9, this trainer has seed 4/],
  ['another optimizer', (s) => ({ ...s, optimizer: { ...(s.optimizer as NonNullable<TrainerState['optimizer']>), name: 'optim-adam/adam' } }), /saved by "optim-adam\/adam", this trainer's optimizer is "test\/heavy-ball"/],
  ['optimizer slots the size of another model', (s) => ({ ...s, optimizer: { ...(s.optimizer as NonNullable<TrainerState['optimizer']>), slots: { 'fc1.weight': { v: new Float32Array(3) } } } }), /slot "v" of "fc1.weight" has 3 values, the parameter has 32/],
  ['a position past the end of the data', (s) => ({ ...s, batchIndex: 99 }), /at batch 99 of epoch 1, but the training data has 8 batches per epoch/],
  ['weights of another shape', (s) => ({ ...s, model: { ...s.model, 'fc2.bias': new Tensor(new Float32Array(5), [5]) } }), /the weights do not fit this model: .*fc2\.bias: expected shape \[3\], got \[5\]/],
  // the weights and the optimizer state load before these are refused, so the trainer must roll them back
  ['a plugin state the plugin refuses', (s) => ({ ...s, plugins: { ...s.plugins, 'step-counter': { count: -1 } } }), /plugin "step-counter" refused its state: count must be ≥ 0, got -1/],
  ['a corrupt RNG stream', (s) => ({ ...s, rng: { ...s.rng, streams: { ...s.rng.streams, shuffle: [1, 2, 3] as never } } }), /the RNG refused its state: .*stream "shuffle" must be 4 uint32 words/],
];

describe('a refused resume changes nothing', () => {
  test.each(refusals)('a state with %s is refused, names its source, and leaves model, optimizer, RNG, plugins and position bit for bit as before', async (_, corrupt, message) => {
    // Arrange
    const { trainer, model, good } = await midRun();
    const before = { weights: bits(model.stateDict()), trainer: bits(trainer.stateDict()) };
    // Act
    const err = await trainer.fit(model, { train: toyLoader(64, 8), epochs: 3, resume: corrupt(good) }).catch((e: unknown) => e);
    // Assert
    expect(err).toBeInstanceOf(ResumeError);
    expect((err as Error).message).toMatch(/^fit\(\{ resume \}\) from runs\/toy\/latest\.safetensors: /);
    expect((err as Error).message).toMatch(message);
    expect((err as ResumeError).source).toBe('runs/toy/latest.safetensors');
    expect(bits(model.stateDict())).toEqual(before.weights);
    expect(bits(trainer.stateDict())).toEqual(before.trainer);
  });

  test('a resolver that loads the weights itself (a plain TrainerState) is still rolled back when the state is refused', async () => {
    const { trainer, model, good } = await midRun();
    const before = bits(model.stateDict());
    const legacy: Plugin = {
      name: 'legacy-store',
      resolveResume: (_spec, ctx) => {
        ctx.model.loadStateDict(good.model as NonNullable<ResumeState['model']>);
        return { ...structuredClone(trainer.stateDict()), rng: { seed: 1, streams: {} } };
      },
    };
    trainer.use(legacy);
    await expect(trainer.fit(model, { train: toyLoader(64, 8), epochs: 3, resume: 'latest' })).rejects.toThrow("fit({ resume: 'latest' }): the state was saved by a trainer with seed 1");
    expect(bits(model.stateDict())).toEqual(before);
  });

  test('Trainer.loadStateDict is all or nothing too', async () => {
    const { trainer, good } = await midRun();
    const before = bits(trainer.stateDict());
    const { model: _weights, ...state } = good;
    expect(() => trainer.loadStateDict({ ...state, plugins: { 'step-counter': { count: -1 } } })).toThrow(/^Trainer.loadStateDict from runs\/toy\/latest.safetensors: plugin "step-counter" refused its state/);
    expect(bits(trainer.stateDict())).toEqual(before);
  });

  test('onFitStart sees where the resumed run continues: epoch, batch and step', async () => {
    const { good } = await midRun();
    const seen: number[][] = [];
    const spy: Plugin = { name: 'spy', onFitStart: (ctx) => void seen.push([ctx.epoch, ctx.batchIndex, ctx.step, ctx.history.length]) };
    await new Trainer({ optimizer: heavyBall(), seed: 4, plugins: [counter(), spy] }).fit(toyModel(0), { train: toyLoader(64, 8), maxSteps: good.step, resume: good });
    expect(seen).toEqual([[1, 3, 11, 1]]);
  });

  test('a resume with weights loads them only when everything fits', async () => {
    const { good } = await midRun();
    const model = toyModel(0);
    const trainer = new Trainer({ optimizer: heavyBall(), seed: 4, plugins: [counter()] });
    await trainer.fit(model, { train: toyLoader(64, 8), maxSteps: good.step, resume: good });
    expect(bits(model.stateDict())).toEqual(bits(good.model));
  });
});

/** Saves the trainer state and the weights in memory at every epoch end, and resolves `'latest'` (new or legacy contract). */
function memoryStore(style: 'weights in the state' | 'resolver loads weights'): Plugin {
  let saved: { state: TrainerState; weights: Record<string, Tensor> } | null = null;
  return {
    name: 'memory-store',
    onTrainEpochEnd: (ctx) => void (saved = { state: structuredClone(ctx.trainer.stateDict()), weights: weightsOf(ctx.model) }),
    resolveResume(spec, ctx) {
      if (spec !== 'latest' || saved === null) return spec === 'latest' ? null : undefined;
      if (style === 'weights in the state') return { ...structuredClone(saved.state), model: saved.weights, source: 'memory:latest' };
      ctx.model.loadStateDict(saved.weights);
      return structuredClone(saved.state);
    },
  };
}

describe('retrying a failed fit on the same model object', () => {
  const cases: Array<[HookName, 'weights in the state' | 'resolver loads weights']> = [
    ['onAfterBackward', 'weights in the state'],
    ['onBeforeOptimizerStep', 'resolver loads weights'],
    ['onAfterOptimizerStep', 'weights in the state'],
    ['onAfterBackward', 'resolver loads weights'],
  ];
  test.each(cases)("after a plugin threw in %s, resume: 'latest' on the same model equals the uninterrupted run bit for bit (%s)", async (hook, style) => {
    const run = (model: Module, plugins: Plugin[], resume?: string) => new Trainer({ optimizer: heavyBall({ lr: 0.05 }), seed: 2, plugins }).fit(model, { train: toyLoader(64, 8), epochs: 3, resume });
    const full = toyModel(5);
    await run(full, [memoryStore(style)]);

    const model = toyModel(5);
    const store = memoryStore(style);
    const flaky: Plugin = { name: 'flaky', [hook]: (ctx: { epoch: number; batchIndex: number }) => { if (ctx.epoch === 1 && ctx.batchIndex === 2) throw new Error('device lost'); } };
    await expect(run(model, [store, flaky])).rejects.toThrow(PluginError);
    await run(model, [store], 'latest');
    expect(bits(model.stateDict())).toEqual(bits(full.stateDict()));
  });

  test('fit starts from zero gradients even when the model holds stale ones', async () => {
    const firstGradient = async (model: Module): Promise<number[]> => {
      let grad: number[] = [];
      const spy: Plugin = { name: 'grad-spy', onAfterBackward: (ctx) => void (grad.length === 0 && (grad = Array.from(ctx.model.parameters()[0].grad ?? []))) };
      await new Trainer({ optimizer: heavyBall(), plugins: [spy] }).fit(model, { train: toyLoader(8, 8), maxSteps: 1 });
      return grad;
    };
    const stale = toyModel(1);
    const [batch] = toyLoader(8, 8, 3).epoch(0, { seed: 0 });
    crossEntropy(stale.call(batch.x), batch.y).backward(); // what a step that failed after backward leaves behind
    expect(await firstGradient(stale)).toEqual(await firstGradient(toyModel(1)));
  });
});
