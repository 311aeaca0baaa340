import { parameterRefs } from '@trainkit/core';
import { resnet } from '@trainkit/models';
import { mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, crossEntropy } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { cpuSteps, expectClose, randomBatch } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import { expectSameState, gpuSteps } from './__tests__/eagerLoop';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the model.to('webgpu') tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);

describe.skipIf(typeof gpu === 'string')("await model.to('webgpu'): the user's own training loop runs on the GPU", () => {
  test('the reference CNN, 4 Adam steps: the same weights (1e-4) and optimizer state (after sync) as the cpu loop', async () => {
    const batches = [0, 1, 2, 3].map((i) => randomBatch(40 + i, 6, 1, 28, 10));
    const [cpuModel, gpuModel] = [mnistCnn({ rng: new Rng(3) }), mnistCnn({ rng: new Rng(3) })];
    const [cpuOpt, gpuOpt] = [adam({ lr: 1e-2 }), adam({ lr: 1e-2 })];
    cpuSteps(cpuModel, cpuOpt, batches);
    await gpuModel.to('webgpu');
    expect(gpuModel.parameters().every((p) => p.device === 'webgpu')).toBe(true);
    await gpuSteps(gpuModel, gpuOpt, batches);
    expect(() => gpuOpt.stateDict()).toThrow(/its state lives on webgpu.*await optimizer\.sync\(\)/);
    await gpuOpt.sync?.();
    const [a, b] = [gpuOpt.stateDict(), cpuOpt.stateDict()];
    expect(a.step).toBe(b.step);
    for (const [name, slots] of Object.entries(b.slots)) for (const [s, v] of Object.entries(slots)) expectClose(a.slots[name][s], v, 1e-4, `${name}.${s}`);
    await expectSameState(gpuModel, cpuModel, 1e-4);
  });

  test('ResNet-8 (BatchNorm, residual sums, strided convolutions), 3 momentum steps: the same state dict as the cpu loop, running statistics included', async () => {
    const batches = [0, 1, 2].map((i) => randomBatch(60 + i, 4, 1, 12, 5));
    const make = () => resnet({ depth: 8, inChannels: 1, numClasses: 5, width: 4, rng: new Rng(12) });
    const [cpuModel, gpuModel] = [make(), make()];
    cpuSteps(cpuModel, momentum({ lr: 0.05, momentum: 0.9 }), batches);
    await gpuModel.to('webgpu');
    await gpuSteps(gpuModel, momentum({ lr: 0.05, momentum: 0.9 }), batches);
    await expectSameState(gpuModel, cpuModel, 1e-4);
  });

  test('training resumes across devices: cpu steps, then GPU steps continuing the same optimizer, then cpu again, equal an all-cpu run', async () => {
    const batches = [0, 1, 2, 3, 4, 5].map((i) => randomBatch(80 + i, 5, 1, 28, 10));
    const [cpuModel, mixed] = [mnistMlp({ hidden: 16, rng: new Rng(5) }), mnistMlp({ hidden: 16, rng: new Rng(5) })];
    const [cpuOpt, mixedOpt] = [adam({ lr: 3e-3 }), adam({ lr: 3e-3 })];
    cpuSteps(cpuModel, cpuOpt, batches);
    cpuSteps(mixed, mixedOpt, batches.slice(0, 2));
    await mixed.to('webgpu');
    await gpuSteps(mixed, mixedOpt, batches.slice(2, 4));
    await mixed.to('cpu');
    await mixedOpt.sync?.();
    cpuSteps(mixed, mixedOpt, batches.slice(4));
    const want = cpuModel.stateDict();
    for (const [k, t] of Object.entries(mixed.stateDict())) expectClose(t.data, want[k].data, 1e-4, k);
  });

  test('refused with a clear error, changing nothing: loading a state dict into a model on the GPU; a step over parameters on two devices', async () => {
    const m = mnistMlp({ hidden: 8, rng: new Rng(1) });
    const saved = mnistMlp({ hidden: 8, rng: new Rng(2) }).stateDict();
    await m.to('webgpu');
    expect(() => m.loadStateDict(saved)).toThrow(/the module's "fc1.weight" lives on webgpu.*nothing was loaded/);
    const before = await m.parameters()[0].read();
    const x = randomBatch(1, 2, 1, 28, 10);
    crossEntropy(m.call(await x.x.to('webgpu')), x.y).backward();
    const refs = parameterRefs(m);
    const cpuParam = mnistMlp({ hidden: 8, rng: new Rng(1) }).parameters()[0];
    const grad = new Float32Array(cpuParam.size);
    const opt = adam();
    expect(() => opt.step([...refs, { name: 'other', value: cpuParam.data, grad, tensor: cpuParam }])).toThrow(/"other" is on cpu but "fc1.weight" is on webgpu/);
    expectClose(await m.parameters()[0].read(), before, 0, 'fc1.weight unchanged');
  });

  test('the optimizer counts its device steps (stepCount, which schedules read) and refuses a cpu step until sync, changing nothing', async () => {
    const m = mnistMlp({ hidden: 8, rng: new Rng(4) });
    const opt = adam({ lr: 1e-2 });
    const batches = [0, 1].map((i) => randomBatch(90 + i, 2, 1, 28, 10));
    await m.to('webgpu');
    await gpuSteps(m, opt, batches);
    expect(opt.stepCount).toBe(2);
    const [refs, w] = [parameterRefs(m), await m.parameters()[0].read()];
    expect(() => adam().step([...refs, refs[0]])).toThrow(/"fc1\.weight" is passed twice to one step/); // as on the cpu, not two updates
    expectClose(await m.parameters()[0].read(), w, 0, 'fc1.weight unchanged');
    await m.to('cpu');
    cpuSteps(m, adam(), batches.slice(0, 1)); // gradients on the cpu
    const before = m.parameters().map((p) => p.data.slice());
    expect(() => opt.step(parameterRefs(m))).toThrow(/adam: its state lives on webgpu.*await optimizer\.sync\(\)/);
    m.parameters().forEach((p, i) => expectClose(p.data, before[i], 0, `${i} unchanged`));
    await opt.sync?.();
    expect(opt.stepCount).toBe(2);
    opt.step(parameterRefs(m));
    expect(opt.stepCount).toBe(3);
  });
});
