import { type Optimizer, parameterRefs } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { type Tensor, crossEntropy } from '@trainkit/tensor';
import { expectClose } from './compare';

/** The user's own loop on `await model.to('webgpu')`: forward, loss, backward and the optimizer's step on the GPU; the last loss. */
export async function gpuSteps(model: Module, opt: Optimizer, bs: ReadonlyArray<{ x: Tensor; y: Int32Array }>): Promise<number> {
  model.train();
  let last = 0;
  for (const { x, y } of bs) {
    const loss = crossEntropy(model.call(await x.to('webgpu')), y);
    model.zeroGrad();
    loss.backward();
    opt.step(parameterRefs(model));
    last = (await loss.read())[0];
  }
  return last;
}

/** Brings `gpuModel` back to the cpu and compares its whole state dict with `cpuModel`'s. */
export async function expectSameState(gpuModel: Module, cpuModel: Module, tol: number): Promise<void> {
  await gpuModel.to('cpu');
  const want = cpuModel.stateDict();
  for (const [k, t] of Object.entries(gpuModel.stateDict())) expectClose(t.data, want[k].data, tol, k);
}
