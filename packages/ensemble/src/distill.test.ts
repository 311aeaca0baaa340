import { fc, test as propTest } from '@fast-check/vitest';
import { type Plugin, Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { Linear, type Module, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor, assertGradients, softmax } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { Ensemble, distill, distillationLoss, withIndex } from './index';
import { toyDataset } from './__tests__/tinyMember';

const logits = (n: number, c: number, seed: number, scale = 2) => new Tensor(new Rng(seed).fillNormal(new Float32Array(n * c), 0, scale), [n, c]);
const mlp = (seed: number, classes = 3, hidden = 16) => {
  const rng = new Rng(seed);
  return new Sequential({ fc1: new Linear(4, hidden, { rng }), relu: new ReLU(), fc2: new Linear(hidden, classes, { rng }) });
};
const weights = (m: Module) => m.parameters().flatMap((p) => Array.from(p.data));

/** KL(softmax(t/T) ‖ softmax(s/T)) · T², batch mean, in float64 straight from the definition. */
function reference(s: Tensor, t: Tensor, T: number): number {
  const [n, c] = s.shape;
  const ps = softmax(new Tensor(s.data.map((v) => v / T), [n, c])).data;
  const pt = softmax(new Tensor(t.data.map((v) => v / T), [n, c])).data;
  let kl = 0;
  for (let i = 0; i < n * c; i++) if (pt[i] > 0) kl += pt[i] * (Math.log(pt[i]) - Math.log(ps[i]));
  return (kl / n) * T * T;
}

describe('distillationLoss', () => {
  propTest.prop([fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2, max: 6 }), fc.double({ min: 0.5, max: 8, noNaN: true }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 40 })(
    'its gradient w.r.t. the student logits is T · (softmax(s/T) − softmax(t/T)) / batch, and its value T²·KL ≥ 0 matches the definition',
    (n, c, T, seed) => {
      const s = new Tensor(logits(n, c, seed).data, [n, c], { requiresGrad: true });
      const t = logits(n, c, seed + 1);
      const loss = distillationLoss(s, t, T);
      loss.backward();
      const ps = softmax(new Tensor(s.data.map((v) => v / T), [n, c])).data;
      const pt = softmax(new Tensor(t.data.map((v) => v / T), [n, c])).data;
      for (let i = 0; i < n * c; i++) expect(s.grad![i]).toBeCloseTo((T * (ps[i] - pt[i])) / n, 5);
      expect(loss.data[0]).toBeGreaterThanOrEqual(-1e-5);
      expect(loss.data[0]).toBeCloseTo(reference(s, t, T), 4);
    },
  );

  propTest.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 6 }), fc.double({ min: 0.5, max: 6, noNaN: true }), fc.double({ min: 0.2, max: 5, noNaN: true }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 30 })(
    'a teacher temperature τ is the teacher logits divided by τ: loss(s, t, T, τ) = loss(s, t/τ, T), gradient T · (softmax(s/T) − softmax(t/(τT))) / batch',
    (n, c, T, tau, seed) => {
      const s = new Tensor(logits(n, c, seed).data, [n, c], { requiresGrad: true });
      const t = logits(n, c, seed + 1);
      const loss = distillationLoss(s, t, T, tau);
      loss.backward();
      const pt = softmax(new Tensor(t.data.map((v) => v / (tau * T)), [n, c])).data;
      const ps = softmax(new Tensor(s.data.map((v) => v / T), [n, c])).data;
      for (let i = 0; i < n * c; i++) expect(s.grad![i]).toBeCloseTo((T * (ps[i] - pt[i])) / n, 5);
      expect(loss.data[0]).toBeCloseTo(reference(s, new Tensor(t.data.map((v) => v / tau), [n, c]), T), 4);
    },
  );

  test('a teacher logit of −∞ (a masked class) is a class of probability 0: the loss stays finite and equals the loss with that class far below the rest', () => {
    const s = new Tensor(Float32Array.from([0.3, -0.2, 0.5]), [1, 3]);
    const masked = distillationLoss(s, new Tensor(Float32Array.from([1, -Infinity, 0.5]), [1, 3]), 2).data[0];
    expect(Number.isFinite(masked)).toBe(true);
    expect(masked).toBeCloseTo(distillationLoss(s, new Tensor(Float32Array.from([1, -1e4, 0.5]), [1, 3]), 2).data[0], 5);
  });

  test.each([
    [0, 1, 'distillationLoss: temperature must be a finite number > 0, got 0'],
    [-2, 1, 'distillationLoss: temperature must be a finite number > 0, got -2'],
    [NaN, 1, 'distillationLoss: temperature must be a finite number > 0, got NaN'],
    [2, -1, 'distillationLoss: teacherTemperature must be a finite number > 0, got -1'],
    [2, 0, 'distillationLoss: teacherTemperature must be a finite number > 0, got 0'],
  ])('temperature %s with teacher temperature %s is refused, not turned into a NaN or a plausible wrong loss', (T, tau, message) => {
    expect(() => distillationLoss(logits(2, 3, 1), logits(2, 3, 2), T, tau)).toThrow(message);
  });

  test('a NaN or +∞ teacher logit, or a row of −∞ only, is refused naming the example and class; an empty batch is refused', () => {
    const s = logits(2, 3, 1);
    const teacher = (v: number, at = 4) => new Tensor(Float32Array.from([1, 0, 0.5, 0.1, 0.2, 0.3].map((x, i) => (i === at ? v : x))), [2, 3]);
    expect(() => distillationLoss(s, teacher(NaN), 2)).toThrow("distillationLoss: the teacher's logit of example 1, class 1 is NaN");
    expect(() => distillationLoss(s, teacher(Infinity, 0), 2)).toThrow("distillationLoss: the teacher's logit of example 0, class 0 is Infinity");
    const allMasked = new Tensor(Float32Array.from([1, 0, 0.5, -Infinity, -Infinity, -Infinity]), [2, 3]);
    expect(() => distillationLoss(s, allMasked, 2)).toThrow('distillationLoss: every teacher logit of example 1 is -Infinity');
    const empty = new Tensor(new Float32Array(0), [0, 3]);
    expect(() => distillationLoss(empty, empty, 2)).toThrow('distillationLoss: no examples (the logits are [0, 3])');
  });

  test('the gradient passes a finite-difference check, and the loss is 0 when student and teacher agree', () => {
    const t = logits(5, 4, 9);
    assertGradients((s) => distillationLoss(s, t, 3), [new Tensor(logits(5, 4, 8).data, [5, 4], { requiresGrad: true })]);
    expect(Math.abs(distillationLoss(t, t, 2).data[0])).toBeLessThan(1e-5);
  });
});

describe('distill plugin', () => {
  const loader = (n = 64, seed = 1) => new DataLoader(toyDataset(n, seed), { batchSize: 16, shuffle: true });

  test('the trained loss is (1 − α) · cross-entropy + α · T² · KL, with the KL logged as distillKl', async () => {
    const teacher = mlp(5);
    const seen: Array<{ loss: number; data: number; kd: number }> = [];
    const spy: Plugin = { name: 'spy', onBeforeBackward: (ctx) => void seen.push({ loss: ctx.loss.data[0], data: ctx.dataLoss.data[0], kd: reference(ctx.output, teacher.call(ctx.batch.x), 3) }) };
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 3, alpha: 0.7 }), spy], seed: 0 });
    const { history } = await trainer.fit(mlp(1), { train: loader(), epochs: 1 });
    expect(seen).toHaveLength(4);
    for (const s of seen) expect(s.loss).toBeCloseTo(0.3 * s.data + 0.7 * s.kd, 4);
    expect(history[0].metrics.distillKl).toBeCloseTo(seen.reduce((a, s) => a + s.kd, 0) / 4, 4);
  });

  test('α = 0 trains exactly like no distillation; the teacher is left untouched and its training mode restored', async () => {
    const teacher = mlp(5).train();
    const before = weights(teacher);
    const plain = mlp(1);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 0 }).fit(plain, { train: loader(), epochs: 2 });
    const zero = mlp(1);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0 })], seed: 0 }).fit(zero, { train: loader(), epochs: 2 });
    expect(weights(zero)).toEqual(weights(plain));
    expect(weights(teacher)).toEqual(before);
    expect(teacher.namedModules().every(([, m]) => m.training)).toBe(true);
  });

  test('an Ensemble teacher runs in eval mode (a training-mode forward would throw) and its log mean probabilities are the teacher logits', async () => {
    const teacher = new Ensemble([mlp(5), mlp(6), mlp(7)]);
    const seen: number[][] = [];
    const spy: Plugin = { name: 'spy', onBeforeBackward: (ctx) => void seen.push([ctx.loss.data[0], ctx.dataLoss.data[0], reference(ctx.output, teacher.call(ctx.batch.x), 2)]) };
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.5 }), spy], seed: 0 }).fit(mlp(1), { train: loader(), epochs: 1 });
    for (const [loss, data, kd] of seen) expect(loss).toBeCloseTo(0.5 * data + 0.5 * kd, 4);
  });

  test('the teacher-logit cache gives the same weights as live teachers, runs the teacher only in the first epoch, and needs indexed batches', async () => {
    const teacher = mlp(5);
    let calls = 0;
    teacher.registerForwardHook(() => void calls++);
    const data = () => new DataLoader(withIndex(toyDataset(64)), { batchSize: 16, shuffle: true });
    const live = mlp(1);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.8 })], seed: 0 }).fit(live, { train: data(), epochs: 3 });
    expect(calls).toBe(12);
    calls = 0;
    const cached = mlp(1);
    const plugin = distill({ teacher, temperature: 2, alpha: 0.8, cache: true });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin], seed: 0 }).fit(cached, { train: data(), epochs: 3 });
    expect(calls).toBe(4);
    expect(plugin.cached).toBe(64);
    expect(weights(cached)).toEqual(weights(live));
    const noIndex = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.8, cache: true })] });
    await expect(noIndex.fit(mlp(1), { train: loader(), epochs: 1 })).rejects.toThrow(/distill\(\{ cache: true \}\): batch 0 of epoch 0 carries no `index`.*withIndex\(dataset\)/);
  });

  test('withIndex also indexes the batches of a dataset that reads ahead (gatherAsync, as image folders do): cached teachers then train the same weights as live ones', async () => {
    const teacher = mlp(5);
    const base = toyDataset(64);
    const readsAhead = () => {
      const d = Object.create(base) as typeof base & { gatherAsync(ix: ArrayLike<number>): Promise<ReturnType<typeof base.gather>> };
      d.gatherAsync = async (ix) => {
        await new Promise((r) => setTimeout(r, 1));
        return base.gather(ix);
      };
      return new DataLoader(withIndex(d), { batchSize: 16, shuffle: true, prefetch: 2 });
    };
    const live = mlp(1);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.8 })], seed: 0 }).fit(live, { train: readsAhead(), epochs: 2 });
    const cached = mlp(1);
    const plugin = distill({ teacher, temperature: 2, alpha: 0.8, cache: true });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin], seed: 0 }).fit(cached, { train: readsAhead(), epochs: 2 });
    expect(plugin.cached).toBe(64);
    expect(weights(cached)).toEqual(weights(live));
  });

  test('teacherTemperature τ trains on softmax(t/(τT)), cached and live alike; τ = 1 is the default exactly', async () => {
    const teacher = mlp(5);
    const seen: number[][] = [];
    const spy: Plugin = { name: 'spy', onBeforeBackward: (ctx) => void seen.push([ctx.loss.data[0], ctx.dataLoss.data[0], reference(ctx.output, new Tensor(teacher.call(ctx.batch.x).data.map((v) => v / 0.5), [16, 3]), 2)]) };
    const run = async (o: { cache?: boolean; teacherTemperature?: number }, plugins: Plugin[] = []) => {
      const model = mlp(1);
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.8, ...o }), ...plugins], seed: 0 }).fit(model, { train: new DataLoader(withIndex(toyDataset(64)), { batchSize: 16, shuffle: true }), epochs: 2 });
      return weights(model);
    };
    const live = await run({ teacherTemperature: 0.5 }, [spy]);
    expect(seen).toHaveLength(8);
    for (const [loss, data, kd] of seen) expect(loss).toBeCloseTo(0.2 * data + 0.8 * kd, 4);
    expect(await run({ teacherTemperature: 0.5, cache: true })).toEqual(live);
    expect(await run({ teacherTemperature: 1 })).toEqual(await run({}));
    expect(await run({})).not.toEqual(live);
  });

  test('the cache refuses an input that changed since its logits were cached (augmentation that is not replayed)', async () => {
    const jitter: Plugin = { name: 'jitter', onTrainBatchStart: (ctx) => void (ctx.batch = { ...ctx.batch, x: new Tensor(ctx.batch.x.data.map((v) => v + ctx.epoch), ctx.batch.x.shape) }) };
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [jitter, distill({ teacher: mlp(5), temperature: 2, alpha: 0.5, cache: true })] });
    await expect(trainer.fit(mlp(1), { train: new DataLoader(withIndex(toyDataset(32)), { batchSize: 16 }), epochs: 2 })).rejects.toThrow(/the input of example 0 \(batch 0 of epoch 1\) differs from the one its teacher logits were cached for/);
  });

  test('resuming from a trainer state mid-run ends with the same weights as an uninterrupted run (with the cache)', async () => {
    const teacher = mlp(5);
    const data = () => new DataLoader(withIndex(toyDataset(64)), { batchSize: 16, shuffle: true });
    const plugin = () => distill({ teacher, temperature: 2, alpha: 0.8, cache: true });
    const full = mlp(1);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin()], seed: 3 }).fit(full, { train: data(), epochs: 3 });
    const model = mlp(1);
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin(), { name: 'stop', onTrainBatchEnd: (ctx) => (ctx.step === 6 ? ctx.stop() : undefined) }], seed: 3 });
    await t1.fit(model, { train: data(), epochs: 3 });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin()], seed: 3 }).fit(model, { train: data(), epochs: 3, resume: structuredClone(t1.stateDict()) });
    expect(weights(model)).toEqual(weights(full));
  });

  test.each([
    [{ temperature: 0, alpha: 0.5 }, 'distill: temperature must be a finite number > 0, got 0'],
    [{ temperature: -1, alpha: 0.5 }, 'distill: temperature must be a finite number > 0, got -1'],
    [{ temperature: 2, alpha: 1.5 }, 'distill: alpha must be a number in [0, 1], got 1.5'],
    [{ temperature: 2, alpha: -0.1 }, 'distill: alpha must be a number in [0, 1], got -0.1'],
    [{ temperature: 2, alpha: NaN }, 'distill: alpha must be a number in [0, 1], got NaN'],
    [{ temperature: 2, alpha: 0.5, teacherTemperature: 0 }, 'distill: teacherTemperature must be a finite number > 0, got 0'],
    [{ temperature: 2, alpha: 0.5, teacherTemperature: -0.5 }, 'distill: teacherTemperature must be a finite number > 0, got -0.5'],
    [{ temperature: 2, alpha: 0.5, teacherTemperature: Infinity }, 'distill: teacherTemperature must be a finite number > 0, got Infinity'],
    [{ temperature: 2, alpha: 0.5, cache: 'yes' as unknown as boolean }, 'distill: cache must be true or false, got "yes"'],
  ])('bad option %o is a clear error naming it', (o, message) => {
    expect(() => distill({ teacher: mlp(5), ...o })).toThrow(message);
  });

  test('an object that is not a Module is refused as the teacher when the plugin is made, not with a TypeError at setup', () => {
    const fake = { call: (x: Tensor) => x } as unknown as Module;
    expect(() => distill({ teacher: fake, temperature: 2, alpha: 0.5 })).toThrow('distill: `teacher` must be a trained Module');
  });

  test('a diverged teacher (NaN logits) is an error naming the teacher, not a NaN loss blamed on the student, also with α = 0; the cache keeps nothing of it', async () => {
    const teacher = mlp(5);
    teacher.parameters()[0].data[0] = NaN;
    for (const alpha of [0.5, 0]) {
      const plugin = distill({ teacher, temperature: 2, alpha, cache: true });
      const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [plugin] });
      await expect(trainer.fit(mlp(1), { train: new DataLoader(withIndex(toyDataset(32)), { batchSize: 16 }), epochs: 1 })).rejects.toThrow(/plugin "distill" threw in onLoss: distill: the teacher's logit of example 0, class 0 is NaN/);
      expect(plugin.cached).toBe(0);
    }
  });

  test('a student inside the teacher, or a teacher inside the student, is refused at setup, leaving weights and modes as they were', async () => {
    const student = mlp(1);
    const teacher = new Ensemble([student, mlp(6)]);
    student.train(); // (the Ensemble put its members in eval mode)
    const before = weights(student);
    const inTeacher = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher, temperature: 2, alpha: 0.5 })] });
    await expect(inTeacher.fit(student, { train: loader(), epochs: 1 })).rejects.toThrow(/distill: the student is part of the teacher \(at "members\.0"/);
    expect(weights(student)).toEqual(before);
    expect(student.namedModules().every(([, m]) => m.training)).toBe(true);
    const inner = mlp(5).train();
    const wrapper = new Sequential({ teacher: inner, head: new Linear(3, 3, { rng: new Rng(2) }) });
    const innerBefore = weights(inner);
    const inStudent = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher: inner, temperature: 2, alpha: 0.5 })] });
    await expect(inStudent.fit(wrapper, { train: loader(), epochs: 1 })).rejects.toThrow(/distill: the teacher is part of the student \(at "teacher"\)/);
    expect(weights(inner)).toEqual(innerBefore);
    expect(inner.namedModules().every(([, m]) => m.training)).toBe(true);
  });

  test('the cache refuses a changed input also in a batch that mixes cached and new examples (it was silently recomputed)', async () => {
    const data = toyDataset(3);
    const batch = (ix: number[]) => ({ ...data.gather(Int32Array.from(ix)), index: Int32Array.from(ix) });
    // batch 1 shifts its inputs by 1, so example 1 (cached by batch 0) arrives changed next to the new example 2
    const shift: Plugin = { name: 'shift', onTrainBatchStart: (ctx) => void (ctx.batch = { ...ctx.batch, x: new Tensor(ctx.batch.x.data.map((v) => v + ctx.batchIndex), ctx.batch.x.shape) }) };
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [shift, distill({ teacher: mlp(5), temperature: 2, alpha: 0.5, cache: true })] });
    await expect(trainer.fit(mlp(1), { train: [batch([0, 1]), batch([1, 2])], epochs: 1 })).rejects.toThrow(/the input of example 1 \(batch 1 of epoch 0\) differs from the one its teacher logits were cached for/);
  });

  test('a teacher with another class count is an error at the first batch naming both counts; so is the student as its own teacher', async () => {
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher: mlp(5, 5), temperature: 2, alpha: 0.5 })] });
    await expect(trainer.fit(mlp(1), { train: loader(), epochs: 1 })).rejects.toThrow(/plugin "distill" threw in onLoss: distill: the teacher outputs 5 classes but the student outputs 3/);
    const student = mlp(1);
    const self = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [distill({ teacher: student, temperature: 2, alpha: 0.5 })] });
    await expect(self.fit(student, { train: loader(), epochs: 1 })).rejects.toThrow(/the teacher is the student model itself/);
    expect(() => distill({ teacher: undefined as unknown as Module, temperature: 2, alpha: 0.5 })).toThrow('distill: `teacher` must be a trained Module');
  });
});
