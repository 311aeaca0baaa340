/**
 * The playground's training worker: loads the digit slice, trains with the real packages
 * (their browser builds, bundled by Vite) and reports every batch, a test-set evaluation
 * every few batches, and each epoch. Training runs here so the page stays responsive; the
 * trainer yields to this worker's event loop now and then so a "stop" message gets through.
 */
import { type Plugin, Trainer, accuracy } from '@trainkit/core';
import { DataLoader, type Dataset, TensorDataset } from '@trainkit/data';
import { type PathedFile, imageFolder, minFilesForValidation } from '@trainkit/data/web';
import { type Module, manualSeed } from '@trainkit/nn';
import { ValueError, crossEntropy, noGrad } from '@trainkit/tensor';
import { byId, extras, models, optimizers } from './choices';
import type { FromWorker, ToWorker } from './protocol';
import { batchReport, gpuBatchReport } from './report';
import '@trainkit/webgpu'; // registers the 'webgpu' device (WebGPU in this worker: navigator.gpu)
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

/** What a run trains and evaluates on: 28×28 grayscale images either way, so every model fits. */
interface RunData {
  train: Dataset;
  test: Dataset;
  /** The folder's class names (empty for MNIST's digits). */
  classes: string[];
  skipped: number;
}

async function mnistData(url: string): Promise<RunData> {
  const slice = await loadSlice(url);
  const train = toDataset(slice.trainPixels, slice.trainLabels, slice.rows, slice.cols);
  const test = toDataset(slice.testPixels, slice.testLabels, slice.rows, slice.cols);
  return { train, test, classes: [], skipped: 0 };
}

/** The share of each class of a dropped folder held out for validation. */
const VAL_FRACTION = 0.2;

/**
 * A dropped folder of class subfolders: decoded to 28×28 grayscale (cover), a fifth of each
 * class held out for validation — or its own val/ folder when it has train/ + val/ —, and
 * unreadable files skipped (counted in the message).
 */
async function folderData(files: PathedFile[], seed: number): Promise<RunData> {
  const options = { size: 28, color: 'grayscale', onBadImage: 'skip', onProgress: (done: number, total: number) => post({ type: 'decoding', done, total }) } as const;
  const r = await imageFolder(files, { ...options, valFraction: VAL_FRACTION, seed }).catch((e: unknown) => {
    // a folder with train/ + val/ splits already (checked before any decoding)
    if (e instanceof ValueError && e.message.includes('already have')) return imageFolder(files, options);
    throw e;
  });
  const test = r.val ?? r.test;
  if (test === undefined || test.length === 0) {
    const min = minFilesForValidation(VAL_FRACTION);
    throw new Error(`no validation images: with ${100 * VAL_FRACTION} % of each class held out (rounded), a class needs at least ${min} images for one to be held out; add images, or use a folder with train/ and val/ subfolders`);
  }
  return { train: r.train, test, classes: r.classes, skipped: r.report.skipped.length };
}

/** Mean loss and accuracy of `model` over a whole dataset, in chunks of 250 images (bounded memory for the CNN). */
function evaluateOn(model: Module, test: Dataset): { testLoss: number; testAccuracy: number } {
  model.eval();
  let loss = 0;
  let hits = 0;
  for (let i = 0; i < test.length; i += 250) {
    const n = Math.min(250, test.length - i);
    const { x, y } = test.gather(Array.from({ length: n }, (_, k) => i + k));
    const out = noGrad(() => model.call(x));
    loss += noGrad(() => crossEntropy(out, y)).data[0] * n;
    hits += accuracy(out, y) * n;
  }
  model.train();
  return { testLoss: loss / test.length, testAccuracy: hits / test.length };
}

async function train(opts: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { train, test, classes, skipped } = opts.files !== undefined ? await folderData(opts.files, opts.seed) : await mnistData(opts.dataUrl);

  manualSeed(opts.seed);
  const model = byId(models, opts.model).make(classes.length > 0 ? classes.length : 10);
  post({ type: 'ready', nTrain: train.length, nTest: test.length, parameters: model.numParameters(), classes, skipped });
  const evaluate = () => evaluateOn(model, test);

  const loader = new DataLoader(train, { batchSize: opts.batchSize, shuffle: true });
  const evalEvery = Math.max(5, Math.round(loader.length / 6));
  let epochStart = 0;
  let samples = 0;
  let lastYield = performance.now();
  let notice: string | null = null;
  const METRICS_EVERY = 10;
  const reporter: Plugin = {
    name: 'playground-reporter',
    onTrainEpochStart() {
      epochStart = performance.now();
      samples = 0;
    },
    async onTrainBatchEnd(ctx) {
      samples += ctx.batch.x.shape[0];
      const seconds = (performance.now() - epochStart) / 1000;
      const device = ctx.trainer.deviceName;
      if (ctx.step === 1 || (ctx.batchIndex === 0 && ctx.epoch === 0)) post({ type: 'device', device, notice });
      const report = device === 'cpu' ? batchReport(ctx, samples / seconds) : gpuBatchReport(ctx, samples / seconds, METRICS_EVERY);
      if (report !== null) post(report);
      if (ctx.step % evalEvery === 0) {
        await ctx.sync(); // on the GPU: the weights come back for the test-set evaluation
        post({ type: 'eval', step: ctx.step, epoch: ctx.epoch, ...evaluate() });
      }
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
    device: opts.device === 'webgpu' ? 'auto' : 'cpu',
    metricsEvery: METRICS_EVERY,
    notice: (line) => void (notice = line),
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
