import { type Optimizer, sgd } from '@trainkit/core';
import { type Module, manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { Rng, Tensor, crossEntropy, noGrad } from '@trainkit/tensor';

export interface Workload {
  name: string;
  unit: string;
  /** One unit of work; called repeatedly. */
  once: () => void;
  unitsPerCall: number;
}

const BATCH = 64;

/** A fixed pool of random MNIST-shaped batches (the data pipeline is not what is measured). */
function batches(count: number, batch: number): Array<{ x: Tensor; y: Int32Array }> {
  const rng = new Rng(123);
  return Array.from({ length: count }, () => ({
    x: new Tensor(rng.fillUniform(new Float32Array(batch * 784)), [batch, 1, 28, 28]),
    y: Int32Array.from({ length: batch }, () => rng.int(10)),
  }));
}

/** One training step exactly as the Trainer runs it: forward, loss, backward, step, zero grads. */
function trainStep(model: Module, opt: Optimizer, b: { x: Tensor; y: Int32Array }): void {
  const loss = crossEntropy(model.call(b.x), b.y);
  loss.backward();
  const refs = model.namedParameters().map(([name, p]) => ({ name, value: p.data, grad: p.grad as Float32Array }));
  opt.step(refs);
  for (const p of model.parameters()) p.zeroGrad();
}

function trainWorkload(name: string, model: Module): Workload {
  const data = batches(8, BATCH);
  const opt = sgd({ lr: 0.01 });
  let i = 0;
  model.train();
  return { name, unit: 'samples/s', unitsPerCall: BATCH, once: () => trainStep(model, opt, data[i++ % data.length]) };
}

export function workloads(): Workload[] {
  manualSeed(0);
  const inferData = batches(2, 256);
  const cnnEval = mnistCnn().eval();
  let j = 0;
  return [
    trainWorkload('MLP 784-256-10 train, SGD, batch 64', mnistMlp()),
    trainWorkload('foundation CNN train, SGD, batch 64', mnistCnn()),
    {
      name: 'CNN inference, batch 256',
      unit: 'samples/s',
      unitsPerCall: 256,
      once: () => void noGrad(() => cnnEval.call(inferData[j++ % 2].x)),
    },
  ];
}
