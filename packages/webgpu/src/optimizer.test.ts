import { NonFiniteGradientError, type Optimizer, type ParamRef, sgd } from '@trainkit/core';
import { adam, adamw } from '@trainkit/optim-adam';
import { adagrad, rmsprop } from '@trainkit/optim-adaptive';
import { momentum } from '@trainkit/optim-momentum';
import { Rng } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, randn } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { submit } from './kernel';
import { GpuOptimizer } from './optimizer';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU optimizer tests: ${gpu}`);
const ctx = gpu as GpuContext;

// sizes that leave a partial 256-thread workgroup; the bias has its own group (another lr, no decay)
const SIZES = { 'fc.weight': 1037, 'fc.bias': 13 } as const;
const STEPS = 100;
const groups = [{ params: /bias$/, lr: 0.003, weightDecay: 0 }];

const cases: Array<[string, () => Optimizer]> = [
  ['sgd', () => sgd({ lr: 0.05 })],
  ['sgd with weight decay', () => sgd({ lr: 0.05, weightDecay: 0.01, groups })],
  ['momentum', () => momentum({ lr: 0.01, momentum: 0.9 })],
  ['momentum 0 (plain SGD, no buffer)', () => momentum({ lr: 0.01, momentum: 0 })],
  ['momentum with dampening and decay', () => momentum({ lr: 0.01, momentum: 0.8, dampening: 0.3, weightDecay: 1e-3, groups })],
  ['nesterov', () => momentum({ lr: 0.01, momentum: 0.9, nesterov: true })],
  ['adam', () => adam({ lr: 1e-3 })],
  ['adam with coupled decay and amsgrad', () => adam({ lr: 1e-3, weightDecay: 0.01, amsgrad: true, groups })],
  ['adamw', () => adamw({ lr: 1e-3, weightDecay: 0.05, groups })],
  ['adagrad', () => adagrad({ lr: 0.01 })],
  ['adagrad with lr decay, decay and an initial accumulator', () => adagrad({ lr: 0.01, lrDecay: 0.01, weightDecay: 1e-3, initialAccumulatorValue: 0.1, groups })],
  ['rmsprop', () => rmsprop({ lr: 1e-3 })],
  ['rmsprop centered with momentum and decay', () => rmsprop({ lr: 1e-3, centered: true, momentum: 0.9, weightDecay: 1e-3, groups })],
];

describe.skipIf(typeof gpu === 'string')('fused GPU optimizer updates match the CPU optimizers within 1e-6 relative over 100 steps', () => {
  test.each(cases)('%s: parameters, slots and step counts', async (_, make) => {
    // Arrange: the same initial values and the same gradient sequence on both sides
    const rng = new Rng(17);
    const cpu = make();
    const refs: ParamRef[] = Object.entries(SIZES).map(([name, n]) => ({ name, value: randn(rng, n), grad: new Float32Array(n) }));
    const params = refs.map((r) => {
      const value = ctx.acquire(r.value.length * 4);
      const grad = ctx.acquire(r.value.length * 4);
      ctx.write(value, r.value);
      return { name: r.name, size: r.value.length, value, grad };
    });
    const onGpu = make();
    const g = new GpuOptimizer(ctx, onGpu, params);
    // Act
    for (let t = 0; t < STEPS; t++) {
      if (t === 50) [cpu.lr, onGpu.lr] = [cpu.lr / 2, onGpu.lr / 2]; // a schedule changing lr between steps
      refs.forEach((r, i) => {
        randn(rng, r.grad.length).forEach((v, j) => (r.grad[j] = v));
        ctx.write(params[i].grad, r.grad);
      });
      cpu.step(refs);
      g.prepare();
      submit(ctx, g.dispatches, 'optimizer step');
    }
    await g.syncTo();
    // Assert
    for (const [i, r] of refs.entries()) expectClose(await ctx.read(params[i].value, r.value.length), r.value, 1e-6, `${r.name} after ${STEPS} steps`);
    const [want, got] = [cpu.stateDict(), onGpu.stateDict()];
    expect({ step: got.step, paramSteps: got.paramSteps }).toEqual({ step: want.step, paramSteps: want.paramSteps });
    for (const [name, slots] of Object.entries(want.slots)) {
      expect(Object.keys(got.slots[name])).toEqual(Object.keys(slots));
      for (const [s, v] of Object.entries(slots)) expectClose(got.slots[name][s], v, 1e-6, `slot ${s} of ${name}`);
    }
    g.dispose();
  });

  const reconfigured: Array<[string, () => Optimizer, (h: Record<string, number | boolean>) => void]> = [
    ['momentum switched on from 0 (a buffer from zero)', () => momentum({ lr: 0.01, momentum: 0 }), (h) => void (h.momentum = 0.9)],
    ['momentum switched off (plain SGD, dampening no longer applies)', () => momentum({ lr: 0.01, momentum: 0.9, dampening: 0.5 }), (h) => void (h.momentum = 0)],
    ['amsgrad switched on (vmax from zero)', () => adam({ lr: 1e-2 }), (h) => void (h.amsgrad = true)],
    ['rmsprop made centered with momentum', () => rmsprop({ lr: 1e-3 }), (h) => Object.assign(h, { centered: true, momentum: 0.5 })],
  ];

  test.each(reconfigured)('a configuration changed between steps reaches the GPU as it reaches the CPU optimizer: %s', async (_, make, change) => {
    // Arrange: 3 steps, then the change on both optimizers' groups, then 3 more steps
    const rng = new Rng(5);
    const [cpu, onGpu] = [make(), make()];
    const refs: ParamRef[] = Object.entries(SIZES).map(([name, n]) => ({ name, value: randn(rng, n), grad: new Float32Array(n) }));
    const params = refs.map((r) => ({ name: r.name, size: r.value.length, value: ctx.acquire(r.value.length * 4), grad: ctx.acquire(r.value.length * 4) }));
    params.forEach((p, i) => ctx.write(p.value, refs[i].value));
    const g = new GpuOptimizer(ctx, onGpu, params);
    // Act
    for (let t = 0; t < 6; t++) {
      if (t === 3) for (const o of [cpu, onGpu]) for (const group of o.groups) change(group.hyper);
      refs.forEach((r, i) => {
        r.grad.set(randn(rng, r.grad.length));
        ctx.write(params[i].grad, r.grad);
      });
      cpu.step(refs);
      g.prepare();
      submit(ctx, g.dispatches, 'optimizer step');
    }
    await g.syncTo();
    // Assert
    for (const [i, r] of refs.entries()) expectClose(await ctx.read(params[i].value, r.value.length), r.value, 1e-6, r.name);
    const [want, got] = [cpu.stateDict().slots, onGpu.stateDict().slots];
    for (const [name, slots] of Object.entries(want)) {
      expect(Object.keys(got[name]).sort()).toEqual(Object.keys(slots).sort());
      for (const [s, v] of Object.entries(slots)) expectClose(got[name][s], v, 1e-6, `slot ${s} of ${name}`);
    }
    g.dispose();
    for (const p of params) for (const b of [p.value, p.grad]) ctx.release(b);
  });

  test('a NaN or infinite gradient gives the CPU optimizer’s NonFiniteGradientError (parameter, element, value, step), and from that step on nothing is updated', async () => {
    // Arrange: two parameters; in step 3 the second gets +∞ at element 5 and NaN at 9
    const cpu = adam({ lr: 0.01 });
    const onGpu = adam({ lr: 0.01 });
    const refs: ParamRef[] = [{ name: 'a', value: new Float32Array(300).fill(1), grad: new Float32Array(300) }, { name: 'b', value: new Float32Array(20).fill(1), grad: new Float32Array(20) }];
    const params = refs.map((r) => {
      const [value, grad] = [ctx.acquire(r.value.length * 4), ctx.acquire(r.value.length * 4)];
      ctx.write(value, r.value);
      return { name: r.name, size: r.value.length, value, grad };
    });
    const g = new GpuOptimizer(ctx, onGpu, params);
    let cpuError: unknown = null;
    let before: Float32Array[] = [];
    // Act
    for (let t = 1; t <= 4; t++) {
      refs.forEach((r, i) => {
        r.grad.fill(0.5);
        if (t === 3 && i === 1) [r.grad[5], r.grad[9]] = [Infinity, NaN];
        ctx.write(params[i].grad, r.grad);
      });
      if (t === 3) before = await Promise.all(params.map((p) => ctx.read(p.value, p.size)));
      if (cpuError === null) {
        try {
          cpu.step(refs);
        } catch (e) {
          cpuError = e;
        }
      }
      g.prepare();
      submit(ctx, g.dispatches, 'optimizer step');
    }
    // Assert: the same error, and the values as before step 3
    expect(cpuError).toBeInstanceOf(NonFiniteGradientError);
    const err = await g.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteGradientError);
    expect((err as Error).message).toBe((cpuError as Error).message);
    expect((err as Error).message).toBe('optim-adam/adam: the gradient of "b" is Infinity at element 5 in step 3; no parameter was updated');
    for (const [i, p] of params.entries()) expect(await ctx.read(p.value, p.size)).toEqual(before[i]);
    await expect(g.syncTo()).rejects.toThrow(NonFiniteGradientError);
    g.dispose();
  });

  test('an optimizer without a GPU kernel is an error that lists the supported ones', () => {
    const custom = { ...sgd(), name: 'my/lion' } as Optimizer;
    expect(() => new GpuOptimizer(ctx, custom, [])).toThrow('webgpu: optimizer "my/lion" has no GPU kernel yet; supported: core/sgd, optim-momentum/momentum, optim-adam/adam, optim-adam/adamw, optim-adaptive/adagrad, optim-adaptive/rmsprop');
  });
});
