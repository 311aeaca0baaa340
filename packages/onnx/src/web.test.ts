/**
 * The exported files in a browser without trainkit: every zoo model and the reference CNN and
 * MLP, exported here, run in ONNX Runtime Web (its wasm backend, inside Debian's Chromium) and
 * give trainkit's outputs on 64 inputs, in batches of 1 and of 37 (the dynamic batch axis).
 */
import { mobilenetV2, resnet, vitTiny } from '@trainkit/models';
import { type Module, manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { Rng, noGrad, slice } from '@trainkit/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClose, inputs, reference } from './__tests__/roundTrip';
import { type OrtWebPage, openOrtWebPage } from './__tests__/ortWebPage';
import { exportOnnx } from './export';

let page: OrtWebPage;

beforeAll(async () => {
  page = await openOrtWebPage();
}, 60_000);

afterAll(async () => {
  await page?.close();
});

/** Gives BatchNorm layers running statistics away from their initial 0 and 1. */
function warmedUp<M extends Module>(model: M, sampleShape: readonly number[]): M {
  model.train();
  noGrad(() => model.call(inputs(8, sampleShape, 2)));
  return model;
}

interface Case {
  name: string;
  make(): Module;
  sampleShape: readonly number[];
  opset: number;
}

const CASES: Case[] = [
  { name: 'resnet (depth 8)', make: () => warmedUp(resnet({ depth: 8, inChannels: 3, numClasses: 10, width: 8 }), [3, 32, 32]), sampleShape: [3, 32, 32], opset: 17 },
  // 16×16 inputs: trainkit's own forward pass of MobileNetV2 on 64 images of 32×32 takes seconds
  { name: 'mobilenetV2', make: () => warmedUp(mobilenetV2({ inChannels: 3, numClasses: 10, widthMult: 0.25 }), [3, 16, 16]), sampleShape: [3, 16, 16], opset: 17 },
  { name: 'vitTiny', make: () => vitTiny({ imageSize: 28, patchSize: 7, inChannels: 1, dim: 32, depth: 2, heads: 4, numClasses: 10 }), sampleShape: [1, 28, 28], opset: 20 },
  { name: 'mnistCnn', make: () => mnistCnn({ rng: new Rng(0) }), sampleShape: [1, 28, 28], opset: 17 },
  { name: 'mnistMlp', make: () => mnistMlp({ rng: new Rng(0) }), sampleShape: [1, 28, 28], opset: 17 },
];

describe('ONNX Runtime Web (wasm, in Chromium) computes what trainkit computes', () => {
  for (const c of CASES) {
    test(`${c.name}: 64 inputs, batch sizes 1 and 37, within 1e-5 relative`, async () => {
      manualSeed(0);
      const model = c.make();
      const file = c.name.replace(/\W+/g, '-');
      const images = inputs(64, c.sampleShape);
      page.put(file, exportOnnx(model, inputs(2, c.sampleShape, 1), { opset: c.opset }), images.data);
      const want = reference(model, images);
      const perSample = want.size / 64;
      for (const run of await page.run(file, c.sampleShape, [1, 37])) {
        const sizes = run.batchSize === 1 ? Array<number>(64).fill(1) : [37, 27];
        expect(run.dims, `batch size ${run.batchSize}: output dims`).toEqual(sizes.map((n) => [n, ...want.shape.slice(1)]));
        let start = 0;
        for (const n of sizes) {
          const got = Float32Array.from(run.values.slice(start * perSample, (start + n) * perSample));
          expectClose(got, slice(want, 0, start, start + n).data, `${c.name}, batch size ${run.batchSize}, images ${start}..${start + n - 1}`);
          start += n;
        }
      }
    }, 30_000);
  }
});
