import { AdaptiveAvgPool2d, Conv2d, Flatten, Linear, ReLU, Sequential, mnistCnn } from '@trainkit/nn';
import { Rng, Tensor, noGrad, argmax } from '@trainkit/tensor';
import { beforeAll, describe, expect, test } from 'vitest';
import { PATCH, SIZE, patchImages, tinyCnn, train } from './__tests__/fixtures';
import { InspectError, bilinear, gradCam } from './index';

const inPatch = (i: number): boolean => {
  const [r, c] = [Math.floor(i / SIZE), i % SIZE];
  return r >= PATCH.from && r < PATCH.to && c >= PATCH.from && c < PATCH.to;
};

describe('Grad-CAM on a class defined by a patch at a known place', () => {
  const model = tinyCnn(3);
  const test_ = patchImages(8, 99);
  beforeAll(() => {
    const loss = train(model, patchImages(64, 1), 150, 0.5);
    expect(loss).toBeLessThan(0.1);
    expect(Array.from(noGrad(() => argmax(model.call(test_.x))))).toEqual(Array.from(test_.y));
  });

  const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  /** Mean of the map inside the patch over the mean outside it. */
  const ratio = (map: Float32Array): number => mean(map.filter((_, i) => inPatch(i))) / mean(map.filter((_, i) => !inPatch(i)));
  const image = (n: number): Tensor => new Tensor(test_.x.data.slice(n * SIZE * SIZE, (n + 1) * SIZE * SIZE), [1, 1, SIZE, SIZE]);

  // An untrained net also lights a bright patch up a little (ratio about 4 for both classes):
  // the bounds below are met only once the net has learnt that the patch means class 1.
  test('for class 1 the map peaks inside the patch, and its mean there is over 10× the mean outside', () => {
    for (const n of [1, 3, 5, 7]) {
      const cam = gradCam(model, image(n), { layer: 'relu2', classIndex: 1 });
      expect(cam.map).toHaveLength(SIZE * SIZE);
      expect(inPatch(cam.map.indexOf(Math.max(...cam.map)))).toBe(true);
      expect(ratio(cam.map)).toBeGreaterThan(10);
    }
  });

  test('is class-discriminative: for class 0 (no patch) the same images do not light the patch up', () => {
    for (const n of [1, 3, 5, 7]) expect(ratio(gradCam(model, image(n), { layer: 'relu2', classIndex: 0 }).map)).toBeLessThan(0.5);
  });

  test('the map is normalized to [0, 1], the class defaults to the prediction and the layer to the last spatial one', () => {
    const image = new Tensor(test_.x.data.slice(SIZE * SIZE, 2 * SIZE * SIZE), [1, SIZE, SIZE]);
    const cam = gradCam(model, image);
    expect(cam.classIndex).toBe(1);
    expect(cam.layer).toBe('relu2');
    expect(Math.max(...cam.map)).toBe(1);
    expect(Math.min(...cam.map)).toBe(0);
    expect(cam.weights).toHaveLength(8);
    expect(cam.svg.startsWith('<svg')).toBe(true);
    expect(cam.svg).toContain('Grad-CAM at relu2');
  });

  test('leaves the parameters, their gradients, their requiresGrad and the training mode as they were', () => {
    model.train();
    model.zeroGrad();
    const before = model.parameters().map((p) => [Array.from(p.data), Array.from(p.grad ?? []), p.requiresGrad]);
    gradCam(model, new Tensor(test_.x.data.slice(0, SIZE * SIZE), [1, 1, SIZE, SIZE]), { layer: 'conv2', classIndex: 0 });
    expect(model.parameters().map((p) => [Array.from(p.data), Array.from(p.grad ?? []), p.requiresGrad])).toEqual(before);
    expect(model.training).toBe(true);
  });
});

describe('Grad-CAM bad input', () => {
  const model = mnistCnn();
  const image = new Tensor(new Float32Array(28 * 28), [1, 1, 28, 28]);

  test('a layer that does not exist is named, with the closest layers the model has', () => {
    expect(() => gradCam(model, image, { layer: 'conv3' })).toThrow(InspectError);
    expect(() => gradCam(model, image, { layer: 'conv3' })).toThrow(/no layer "conv3"; closest: "conv1", "conv2"/);
  });

  test('a layer whose output is not 4-D is refused, naming it, its shape and the spatial layers', () => {
    expect(() => gradCam(model, image, { layer: 'fc' })).toThrow(/layer "fc" is not spatial: its output has shape \[1, 10\].*conv1, relu1, pool1, conv2, relu2, pool2/);
  });

  test('a class index outside the outputs is refused with the valid range', () => {
    for (const classIndex of [10, -1, 1.5]) {
      expect(() => gradCam(model, image, { layer: 'conv2', classIndex })).toThrow(new RegExp(`classIndex ${classIndex} is out of range; the model has 10 outputs \\(expected an integer in \\[0, 9\\]\\)`));
    }
  });

  test('a model whose outputs are not finite is refused: there is no class score to explain', () => {
    const broken = mnistCnn();
    broken.parameters()[0].data.fill(Number.NaN);
    expect(() => gradCam(broken, image, { layer: 'conv2' })).toThrow(/gradCam: the model's outputs are not finite \(NaN/);
  });

  test('an opacity outside [0, 1] is refused', () => {
    expect(() => gradCam(model, image, { layer: 'conv2', opacity: 2 })).toThrow(/opacity must be in \[0, 1\], got 2/);
  });

  test('a batch of several images is refused', () => {
    expect(() => gradCam(model, new Tensor(new Float32Array(2 * 784), [2, 1, 28, 28]))).toThrow(/one image \[C, H, W\] or \[1, C, H, W\], got shape \[2, 1, 28, 28\]/);
  });
});

describe('Grad-CAM with a global pool that keeps 4-D (a torchvision-style ResNet head)', () => {
  // conv → ReLU → AdaptiveAvgPool2d(1) [1, 4, 1, 1] → flatten → linear: the pool's output is 4-D but has one position
  const rng = new Rng(5).stream('init');
  const model = new Sequential({ conv1: new Conv2d(3, 4, 3, { padding: 1, rng }), relu1: new ReLU(), avgpool: new AdaptiveAvgPool2d(1), flatten: new Flatten(), fc: new Linear(4, 3, { rng }) });
  (model.at('fc') as Linear).weight.data.fill(1); // every channel counts for every class: the map is Σ_c relu1_c
  const image = new Tensor(new Rng(6).fillUniform(new Float32Array(3 * 6 * 10)), [3, 6, 10]);

  test('the default layer is the last one with more than one position, not the 1×1 pool, so the map is not blank', () => {
    const cam = gradCam(model, image, { classIndex: 0 });
    expect(cam.layer).toBe('relu1');
    expect([cam.height, cam.width]).toEqual([6, 10]);
    expect(Math.max(...cam.map)).toBe(1);
  });

  test('asking for the 1×1 layer is refused: its map would be constant', () => {
    expect(() => gradCam(model, image, { layer: 'avgpool' })).toThrow(/layer "avgpool" is not spatial: its output has shape \[1, 4, 1, 1\], one position per channel, so its map would be constant; layers with spatial outputs: conv1, relu1$/);
  });
});

describe('Grad-CAM inside noGrad', () => {
  test('is refused with a message that says to call it outside noGrad (not that the output does not depend on the layer)', () => {
    const image = new Tensor(new Float32Array(28 * 28), [1, 1, 28, 28]);
    expect(() => noGrad(() => gradCam(mnistCnn(), image, { layer: 'conv2' }))).toThrow('gradCam: called inside noGrad, so the class score has no gradient to weigh the channels with; call gradCam outside noGrad');
  });
});

describe('bilinear resize', () => {
  test('a constant map stays constant, and resizing to the same size is the identity', () => {
    expect(Array.from(bilinear([2, 2, 2, 2], 2, 2, 5, 3))).toEqual(new Array(15).fill(2));
    const m = [1, 2, 3, 4, 5, 6];
    expect(Array.from(bilinear(m, 2, 3, 2, 3))).toEqual(m);
  });

  test('doubling samples at pixel centres like PyTorch (align_corners=False)', () => {
    // 1-D [0, 1] → 4 samples at source positions −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    expect(Array.from(bilinear([0, 1], 1, 2, 1, 4))).toEqual([0, 0.25, 0.75, 1]);
  });
});
