// Install and first script: the same file runs in Node (tsx), bundled by esbuild or Vite, and
// on a plain HTML page. It prints to the console, and also into <pre id="log"> when it is on a page.
// #region script
import { Trainer } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng, initKernels } from '@trainkit/tensor';

function show(line: string) {
  console.log(line);
  globalThis.document?.getElementById('log')?.append(`${line}\n`); // on a page only
}
await initKernels(); // a browser compiles the WebAssembly kernels asynchronously; Node at once

// 2,000 random points in the square [-1, 1]²; label 1 when a point lies inside the circle of radius 0.7
const x = new Rng(0).fillUniform(new Float32Array(2 * 2000), -1, 1);
const y = Int32Array.from({ length: 2000 }, (_, i) => Number(x[2 * i] ** 2 + x[2 * i + 1] ** 2 < 0.49));
const train = new DataLoader(new TensorDataset({ x, y, sampleShape: [2], numClasses: 2 }), { batchSize: 50, shuffle: true });

manualSeed(0); // the initial weights
const model = new Sequential({ fc1: new Linear(2, 32), relu: new ReLU(), fc2: new Linear(32, 2) });
const trainer = new Trainer({ optimizer: adam({ lr: 0.01 }), seed: 0 });
trainer.on('trainEpochEnd', ({ epoch, metrics }) => show(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}, accuracy ${(100 * metrics.accuracy).toFixed(2)}%`));
await trainer.fit(model, { train, epochs: 10 });
show('done');
// #endregion script
