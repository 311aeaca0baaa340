/**
 * The playground's training worker: loads the digit slice, trains with the real packages
 * (their browser builds, bundled by Vite) and reports every batch, a test-set evaluation
 * every few batches, and each epoch. Training runs here so the page stays responsive; the
 * trainer yields to this worker's event loop now and then so a "stop" message gets through.
 */
import { type Plugin, Trainer, accuracy } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { manualSeed } from '@trainkit/nn';
import { Tensor, crossEntropy, noGrad } from '@trainkit/tensor';
import { byId, extras, models, optimizers } from './choices';
import type { FromWorker, ToWorker } from './protocol';
import { batchReport } from './report';
import { type DigitSlice, decodeSlice } from './sliceFormat';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker) => scope.postMessage(m);

let stopRequested = false;
let running = false;

async function loadSlice(url: string): Promise<DigitSlice> {
  const res = await fetch(url);
  if (!res.ok || res.body === null) throw new Error(`could not load ${url}: HTTP ${res.status}`);
  const raw = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  return decodeSlice(new Uint8Array(raw));
}

/** Pixels 0..255 → floats 0..1, labels as Int32Array. */
function toDataset(pixels: Uint8Array, labels: Uint8Array, rows: number, cols: number): TensorDataset {
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  return new TensorDataset({ x, y: Int32Array.from(labels), sampleShape: [1, rows, cols], numClasses: 10 });
}

/** Resolves on the next turn of the event loop (a message, unlike setTimeout, is not clamped). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

async function train(opts: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const slice = await loadSlice(opts.dataUrl);
  const train = toDataset(slice.trainPixels, slice.trainLabels, slice.rows, slice.cols);
  const test = toDataset(slice.testPixels, slice.testLabels, slice.rows, slice.cols);
  const testY = Int32Array.from(slice.testLabels);

  manualSeed(opts.seed);
  const model = byId(models, opts.model).make();
  post({ type: 'ready', nTrain: train.length, nTest: test.length, parameters: model.numParameters() });

  // the whole test slice, in chunks of 250 images (bounded memory for the CNN)
  const evaluate = () => {
    model.eval();
    let loss = 0;
    let hits = 0;
    const px = slice.rows * slice.cols;
    for (let i = 0; i < test.length; i += 250) {
      const n = Math.min(250, test.length - i);
      const x = new Tensor(test.x.subarray(i * px, (i + n) * px), [n, 1, slice.rows, slice.cols]);
      const y = testY.subarray(i, i + n);
      const out = noGrad(() => model.call(x));
      loss += noGrad(() => crossEntropy(out, y)).data[0] * n;
      hits += accuracy(out, y) * n;
    }
    model.train();
    return { testLoss: loss / test.length, testAccuracy: hits / test.length };
  };

  const loader = new DataLoader(train, { batchSize: opts.batchSize, shuffle: true });
  const evalEvery = Math.max(5, Math.round(loader.length / 6));
  let epochStart = 0;
  let samples = 0;
  let lastYield = performance.now();
  const reporter: Plugin = {
    name: 'playground-reporter',
    onTrainEpochStart() {
      epochStart = performance.now();
      samples = 0;
    },
    async onTrainBatchEnd(ctx) {
      samples += ctx.batch.x.shape[0];
      const seconds = (performance.now() - epochStart) / 1000;
      post(batchReport(ctx, samples / seconds));
      if (ctx.step % evalEvery === 0) post({ type: 'eval', step: ctx.step, epoch: ctx.epoch, ...evaluate() });
      if (performance.now() - lastYield > 30) {
        await nextTurn(); // let a "stop" message in
        lastYield = performance.now();
      }
      if (stopRequested) ctx.stop('stopped');
    },
    onTrainEpochEnd(ctx) {
      post({ type: 'epoch', epoch: ctx.epoch, metrics: { ...ctx.metrics } });
    },
  };

  const trainer = new Trainer({
    optimizer: byId(optimizers, opts.optimizer).make(opts.lr),
    seed: opts.seed,
    plugins: [...opts.extras.map((id) => byId(extras, id).make(opts.model)), reporter],
  });
  const started = performance.now();
  const { stopReason, history } = await trainer.fit(model, { train: loader, epochs: opts.epochs });
  const last = history.at(-1);
  const lastStep = trainer.optimizer?.stepCount ?? 0;
  if (lastStep % evalEvery !== 0 || last === undefined) post({ type: 'eval', step: lastStep, epoch: last?.epoch ?? 0, ...evaluate() });
  post({ type: 'done', reason: stopReason ?? 'finished', seconds: (performance.now() - started) / 1000 });
}

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (running) return;
  running = true;
  stopRequested = false;
  train(msg)
    .catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }))
    .finally(() => {
      running = false;
    });
};
