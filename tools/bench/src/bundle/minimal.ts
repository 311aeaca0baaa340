/**
 * The minimal browser training program whose bundle size the benchmark reports: tensor +
 * nn + core + optim-adam. Builds the MLP, fits a few steps on one batch, predicts.
 */
import { Trainer } from '@trainkit/core';
import { mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng, Tensor, argmax, initKernels, noGrad } from '@trainkit/tensor';

export async function train(): Promise<Int32Array> {
  await initKernels();
  const rng = new Rng(0);
  const x = new Tensor(rng.fillUniform(new Float32Array(64 * 784)), [64, 784]);
  const y = Int32Array.from({ length: 64 }, () => rng.int(10));
  const model = mnistMlp();
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }) });
  await trainer.fit(model, { train: [{ x, y }], epochs: 5 });
  return noGrad(() => argmax(model.call(x)));
}
