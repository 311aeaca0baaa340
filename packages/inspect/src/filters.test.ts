import { Conv2d, Linear, Module, mnistCnn } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { InspectError, activationMaps, filterGrid } from './index';

const rects = (svg: string): RegExpMatchArray[] => [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="(#[0-9a-f]{6})"\/>/g)];
/** Pixels drawn, counting each merged run by its width over the scale. */
const pixelsDrawn = (svg: string, scale: number): number => rects(svg).reduce((a, m) => a + Number(m[3]) / scale, 0);

describe('filterGrid', () => {
  const conv = new Conv2d(1, 8, 5, { rng: new Rng(0) });

  test('draws every weight of every filter once, with a caption per filter', () => {
    const grid = filterGrid(conv, { scale: 4 });
    expect(grid).toMatchObject({ filters: 8, inChannels: 1, kernel: [5, 5] });
    expect(pixelsDrawn(grid.svg, 4)).toBe(8 * 25);
    expect(grid.svg.match(/<text /g)).toHaveLength(8);
  });

  test('diverging palette: each filter scaled on its own, its largest magnitude fully saturated, zero white', () => {
    const w = new Tensor(Float32Array.of(0, 1, -1, 0, /* second filter, 100× smaller */ 0, 0.01, -0.01, 0), [2, 1, 2, 2]);
    const colours = rects(filterGrid(w, { scale: 1 }).svg).map((m) => m[5]);
    expect(colours).toEqual(['#ffffff', '#ff0000', '#0000ff', '#ffffff', '#ffffff', '#ff0000', '#0000ff', '#ffffff']);
  });

  test('three input channels are drawn as colour: a filter that only weighs the red channel is red', () => {
    const w = new Tensor(Float32Array.of(1, 0, 0), [1, 3, 1, 1]);
    expect(rects(filterGrid(w, { scale: 1 }).svg).map((m) => m[5])).toEqual(['#ff8080']);
  });

  test('NaN and ±Infinity weights are drawn grey and every other weight is scaled by the largest finite magnitude, so every fill is a #rrggbb colour', () => {
    // channels R, G, B of one 1×2 filter: pixel 0 is NaN, +∞, −∞; pixel 1 is 1, 0, −0.5
    const colour = filterGrid(new Tensor(Float32Array.of(Number.NaN, 1, Infinity, 0, -Infinity, -0.5), [1, 3, 1, 2]), { scale: 1 }).svg;
    expect(rects(colour).map((m) => m[5])).toEqual(['#808080', '#ff8040']);
    const mean = filterGrid(new Tensor(Float32Array.of(Number.NaN, Infinity, -Infinity, 2), [1, 1, 1, 4]), { scale: 1 }).svg;
    for (const svg of [colour, mean]) {
      expect(svg).not.toMatch(/NaN|Infinity/);
      expect([...svg.matchAll(/fill="([^"]*)"/g)].every((m) => /^#([0-9a-f]{3}){1,2}$/.test(m[1]))).toBe(true);
    }
    expect(pixelsDrawn(mean, 1)).toBe(4);
  });

  test('a tensor that is not a 4-D convolution weight, or a bad scale, is refused naming what it got', () => {
    expect(() => filterGrid(new Tensor(new Float32Array(6), [2, 3]))).toThrow(InspectError);
    expect(() => filterGrid(new Tensor(new Float32Array(6), [2, 3]))).toThrow(/4-D \[out, in, kh, kw\], got shape \[2, 3\]/);
    expect(() => filterGrid(conv, { scale: 0 })).toThrow(/scale must be a positive integer, got 0/);
  });
});

describe('activationMaps', () => {
  const model = mnistCnn({ rng: new Rng(1) });
  const inputs = new Tensor(new Rng(2).fillUniform(new Float32Array(2 * 784)), [2, 1, 28, 28]);

  test('returns the named layer’s output exactly as the layer computes it, and one grid per input', () => {
    const { activations, svgs } = activationMaps(model, 'relu1', inputs);
    expect(activations.shape).toEqual([2, 8, 28, 28]);
    const conv1 = (model.at('conv1') as Conv2d).call(inputs);
    expect(Array.from(activations.data)).toEqual(Array.from(conv1.data, (v) => Math.max(0, v)));
    expect(svgs).toHaveLength(2);
    expect(svgs[0]).toContain('relu1: input 0, output 8×28×28');
  });

  test('a layer with a flat output is drawn as one strip of features per input', () => {
    const { activations, svgs } = activationMaps(model, 'fc', inputs);
    expect(activations.shape).toEqual([2, 10]);
    expect(svgs[1]).toContain('10 features');
  });

  test('leaves no hook behind: the model runs fused again and gives the same output', () => {
    activationMaps(model, 'conv2', inputs);
    expect(model.namedModules().every(([, m]) => !m.hasForwardHooks)).toBe(true);
  });

  test('a missing layer is an error naming it and the closest layers', () => {
    expect(() => activationMaps(model, 'relu3', inputs)).toThrow(/activationMaps: the model has no layer "relu3"; closest: "relu1", "relu2"/);
  });

  test('a layer the forward pass never runs is an error saying so', () => {
    class Skips extends Module {
      used = new Linear(2, 2);
      unused = new Linear(2, 2);
      forward(x: Tensor): Tensor {
        return this.used.call(x);
      }
    }
    expect(() => activationMaps(new Skips(), 'unused', new Tensor(new Float32Array(2), [1, 2]))).toThrow(/layer "unused" did not run in the model's forward pass/);
  });

  test('inputs that are not a batch tensor are refused', () => {
    expect(() => activationMaps(model, 'relu1', [1, 2] as unknown as Tensor)).toThrow(/inputs must be a Tensor \[N, C, H, W\], got object/);
  });
});
