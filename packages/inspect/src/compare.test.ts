import { Linear, mnistCnn } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { InspectError, compareModels } from './index';

describe('compareModels', () => {
  test('a model compared with itself moved 0 everywhere', () => {
    const a = mnistCnn({ rng: new Rng(0) });
    const r = compareModels(a, a);
    expect(r.layers.map((l) => l.name)).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias']);
    expect(r.layers.every((l) => l.relativeChange === 0)).toBe(true);
  });

  test('relative change is ‖Wb − Wa‖ / ‖Wa‖ per parameter: adding 10% of conv2.weight to itself moves it exactly 0.1', () => {
    const a = mnistCnn({ rng: new Rng(0) });
    const b = mnistCnn({ rng: new Rng(0) });
    const w = b.stateDict()['conv2.weight'];
    w.data.set(w.data.map((v) => v * 1.1));
    const r = compareModels(a, b, ['pretrained', 'fine-tuned']);
    const byName = Object.fromEntries(r.layers.map((l) => [l.name, l.relativeChange]));
    expect(byName['conv2.weight']).toBeCloseTo(0.1, 5);
    expect(byName['conv1.weight']).toBe(0);
    expect(r.changeSvg).toContain('relative weight change, pretrained → fine-tuned');
  });

  test('a replaced head is listed as mismatched; the first convolutions are drawn side by side', () => {
    const a = mnistCnn({ rng: new Rng(0) });
    const b = mnistCnn({ rng: new Rng(1) });
    b.set('fc', new Linear(784, 5));
    const r = compareModels(a, b, ['pretrained', 'fine-tuned']);
    expect(r.mismatched).toEqual(['fc.weight: [10, 784] vs [5, 784]', 'fc.bias: [10] vs [5]']);
    expect(r.onlyInA).toEqual([]);
    expect(r.filters?.name).toBe('conv1.weight');
    expect(r.filters?.svg.match(/<svg /g)).toHaveLength(3);
    expect(r.filters?.svg).toContain('fine-tuned: conv1.weight');
  });

  test('a parameter holding NaN is labelled NaN in the bar chart, not ∞ (which means W_a was all zeros)', () => {
    const a = mnistCnn({ rng: new Rng(0) });
    const b = mnistCnn({ rng: new Rng(0) });
    b.stateDict()['conv1.bias'].data[0] = Number.NaN;
    const r = compareModels(a, b);
    expect(r.layers.find((l) => l.name === 'conv1.bias')?.relativeChange).toBeNaN();
    expect(r.changeSvg).toContain('>NaN</text>');
    expect(r.changeSvg).not.toContain('∞');
  });

  test('two models with nothing in common are an error listing both sides', () => {
    expect(() => compareModels(new Linear(2, 2), mnistCnn())).toThrow(InspectError);
    expect(() => compareModels(new Linear(2, 2), mnistCnn())).toThrow(/share no parameter of the same name and shape \(a: weight, bias; b: conv1\.weight/);
  });
});
