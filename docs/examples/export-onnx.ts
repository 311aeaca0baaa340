// Export to ONNX and run anywhere: train the reference CNN, export it, run the file in ONNX
// Runtime (what a C++ service, a phone or a browser would use) and compare with trainkit.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/export-onnx.ts`.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { exportOnnx } from '@trainkit/onnx';
import { adam } from '@trainkit/optim-adam';
import { noGrad } from '@trainkit/tensor';
import * as ort from 'onnxruntime-node';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) });
const test = await loadMnist({ split: 'test', limit: 64 });
manualSeed(0);
const model = mnistCnn();
await new Trainer({ optimizer: adam({ lr: 1e-3 }), seed: 0 }).fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: env('EPOCHS', 1) });
const images = test.gather([...Array(64).keys()]).x; // [64, 1, 28, 28]

// #region readme
// Trace one forward pass and write it as an ONNX model: named input and output, a dynamic
// batch axis, the weights as initializers named like the state dict.
const bytes = exportOnnx(model, images, { opset: 17, inputName: 'pixels', outputName: 'logits' });
writeFileSync(join(tmpdir(), 'mnist-cnn.onnx'), bytes); // for onnxruntime, onnxruntime-web, Netron, …

// Any ONNX runtime can now run it; here ONNX Runtime for Node, on a batch of 64 digits.
const session = await ort.InferenceSession.create(bytes);
const { logits } = await session.run({ pixels: new ort.Tensor('float32', images.data, [64, 1, 28, 28]) });
// #endregion readme

const ours = noGrad(() => model.eval().call(images)).data;
const theirs = logits.data as Float32Array;
const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i]) / Math.max(Math.abs(v), 1)));
console.log(`exported ${(bytes.length / 1024).toFixed(1)} KiB; ONNX Runtime output [${logits.dims.join(', ')}]`);
console.log(`largest difference from trainkit: ${worst < 1e-5 ? 'below 1e-5' : worst.toExponential(2)}`);
await session.release();
