// Train on the GPU: the same model, optimizer and checkpoints, with `device` on the Trainer.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/webgpu.ts`
// In Node, WebGPU comes from the optional `webgpu` package (Dawn), which needs a Vulkan driver;
// without an adapter, 'auto' trains on the CPU after a one-line notice.
// (TRAIN_LIMIT / TEST_LIMIT / EPOCHS shrink it; the test suite runs it on a slice.)
import { Trainer, gradientClipping, parameterRefs } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { crossEntropy } from '@trainkit/tensor';
import { l2Penalty } from '@trainkit/reg-penalty';
import '@trainkit/webgpu'; // registers the 'webgpu' device

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) });
const test = await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) });

// #region train
// 'auto': the GPU when WebGPU has an adapter, else the CPU. Loss and accuracy are read back
// every 20 steps; the weights come back to the CPU before validation and at the end of fit.
manualSeed(0);
const model = mnistMlp({ hidden: 64 });
const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), device: 'auto', metricsEvery: 20, seed: 0 });
const epochs = env('EPOCHS', 2);
const { history } = await trainer.fit(model, {
  train: new DataLoader(train, { batchSize: 64, shuffle: true }),
  val: new DataLoader(test, { batchSize: 250 }),
  epochs,
});
const last = history[history.length - 1].metrics;
console.log(`trained on ${trainer.deviceName}: loss ${last.loss.toFixed(4)}, val accuracy ${(100 * last.valAccuracy).toFixed(2)}% after ${epochs} epoch(s)`);
console.log(`weights back on the CPU: ${model.parameters().every((p) => p.device === 'cpu')}`);
// #endregion train

// #region plugins
// Plugins that hook inside the step (this L2 penalty adds its term in onLoss, the clipper scales
// the gradients before the optimizer step) run there too: the Trainer then runs its own step on
// GPU tensors, and the clipper's gradNorm is read back with the loss, every 20 steps.
const clipped = mnistMlp({ hidden: 64 });
const stepwise = new Trainer({ optimizer: adam({ lr: 1e-3 }), device: 'auto', metricsEvery: 20, plugins: [l2Penalty(1e-4), gradientClipping({ maxNorm: 1 })] });
const run = await stepwise.fit(clipped, { train: new DataLoader(train, { batchSize: 64 }), epochs: 1 });
const m = run.history[0].metrics;
console.log(`with a penalty and clipping on ${stepwise.deviceName}: loss ${m.loss.toFixed(4)} (l2 ${m.l2.toFixed(4)}), mean gradient norm ${m.gradNorm.toFixed(3)}`);
// #endregion plugins

// #region own-loop
// Your own loop on the GPU: move the model, then forward, loss, backward and the optimizer's
// step run there unchanged (each op on WGSL kernels); values come back only when awaited.
if (trainer.deviceName === 'webgpu') {
  manualSeed(0);
  const net = await mnistMlp({ hidden: 64 }).to('webgpu');
  const optimizer = adam({ lr: 1e-3 });
  let steps = 0;
  let first = NaN;
  let loss = NaN;
  for (const { x, y } of new DataLoader(train, { batchSize: 64 }).epoch(0)) {
    const l = crossEntropy(net.call(await x.to('webgpu')), y);
    net.zeroGrad();
    l.backward();
    optimizer.step(parameterRefs(net));
    if (steps++ === 0) first = (await l.read())[0]; // reading waits for the GPU: do it rarely
    loss = steps % 10 === 0 ? (await l.read())[0] : loss;
  }
  await net.to('cpu'); // the weights, ready to save or export
  await optimizer.sync?.(); // and the optimizer's state
  console.log(`own loop on webgpu: loss ${first.toFixed(4)} at the first step, ${loss.toFixed(4)} after ${steps - (steps % 10)} steps; weights back on the CPU: ${net.parameters().every((p) => p.device === 'cpu')}`);
}
// #endregion own-loop
