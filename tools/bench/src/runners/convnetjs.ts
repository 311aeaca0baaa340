/**
 * ConvNetJS 0.3 on the same networks: per-sample forward/backward on its Vol objects,
 * its Trainer with method 'adam' and batch_size 64 (one update per 64 samples).
 */
import { createRequire } from 'node:module';
import { ADAM, BATCH, INFER_BATCH, lcg } from '../spec';
import { type Workloads, serve } from './serve';

interface Vol {
  w: Float64Array | number[];
}
interface Net {
  makeLayers(defs: object[]): void;
  forward(v: Vol, training?: boolean): unknown;
}
interface ConvNetJs {
  Net: new () => Net;
  Vol: new (sx: number, sy: number, depth: number, c?: number) => Vol;
  Trainer: new (net: Net, options: object) => { train(v: Vol, label: number): unknown };
}
const convnetjs = createRequire(import.meta.url)('convnetjs') as ConvNetJs;

const mlpLayers = [{ type: 'input', out_sx: 1, out_sy: 1, out_depth: 784 }, { type: 'fc', num_neurons: 256, activation: 'relu' }, { type: 'softmax', num_classes: 10 }];
// ConvNetJS inserts the fully connected layer before the softmax itself
const cnnLayers = [
  { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
  { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'softmax', num_classes: 10 },
];

function samples(seed: number, n: number, shape: [number, number, number]): Array<{ v: Vol; y: number }> {
  const r = lcg(seed);
  return Array.from({ length: n }, () => {
    const v = new convnetjs.Vol(shape[0], shape[1], shape[2], 0);
    for (let i = 0; i < 784; i++) v.w[i] = r();
    return { v, y: Math.floor(r() * 10) };
  });
}

function net(layers: object[]): Net {
  const n = new convnetjs.Net();
  n.makeLayers(layers);
  return n;
}

function train(layers: object[], shape: [number, number, number]): () => void {
  const n = net(layers);
  const trainer = new convnetjs.Trainer(n, { method: 'adam', learning_rate: ADAM.lr, beta1: ADAM.beta1, beta2: ADAM.beta2, eps: ADAM.eps, batch_size: BATCH, l2_decay: 0 });
  const data = samples(1, BATCH, shape);
  return () => {
    for (const s of data) trainer.train(s.v, s.y);
  };
}

const workloads: Workloads = {
  'mlp-train': () => ({ once: train(mlpLayers, [1, 1, 784]), units: BATCH }),
  'cnn-train': () => ({ once: train(cnnLayers, [28, 28, 1]), units: BATCH }),
  'cnn-infer': () => {
    const n = net(cnnLayers);
    const data = samples(7, INFER_BATCH, [28, 28, 1]);
    return { once: () => data.forEach((s) => n.forward(s.v, false)), units: INFER_BATCH };
  },
};

await serve(workloads);
