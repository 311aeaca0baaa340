import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { slice } from '@trainkit/tensor';
import { patchImages, tinyCnn } from './__tests__/fixtures';
import { InspectError, activationMaps, compareOnInputs, diverging, gradCam, gray, gridSvg, heat } from './index';
import { closestNames, editDistance } from './errors';

describe('palettes', () => {
  test('law: every palette gives integer channels in [0, 255] for any number, NaN and ±Infinity included', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        for (const c of [...gray(v), ...diverging(v), ...heat(v)]) expect(Number.isInteger(c) && c >= 0 && c <= 255).toBe(true);
      }),
    );
  });

  test('gray runs black to white; diverging is white at 0, red at +1, blue at −1', () => {
    expect([gray(0), gray(1)]).toEqual([[0, 0, 0], [255, 255, 255]]);
    expect([diverging(0), diverging(1), diverging(-1)]).toEqual([[255, 255, 255], [255, 0, 0], [0, 0, 255]]);
  });
});

describe('gridSvg', () => {
  test('escapes captions and titles, and lays tiles out in the asked columns', () => {
    const tile = { width: 1, height: 1, pixels: [[0, 0, 0] as const], caption: '<a & b>' };
    const svg = gridSvg([tile, tile, tile], { columns: 2, scale: 10, title: '"t"' });
    expect(svg).toContain('&lt;a &amp; b&gt;');
    expect(svg).toContain('&quot;t&quot;');
    const ys = [...svg.matchAll(/<rect x="\d+" y="(\d+)" width="10"/g)].map((m) => Number(m[1]));
    expect(new Set(ys).size).toBe(2);
  });

  test('a scale or column count that is NaN, 0 or negative is refused instead of writing width="NaN"', () => {
    const tile = { width: 1, height: 1, pixels: [[0, 0, 0] as const] };
    for (const bad of [Number.NaN, 0, -2, Infinity]) {
      expect(() => gridSvg([tile], { scale: bad })).toThrow(InspectError);
      expect(() => gridSvg([tile], { scale: bad })).toThrow(`gridSvg: scale must be a positive number, got ${bad}`);
      expect(() => gridSvg([tile], { columns: bad })).toThrow(`gridSvg: columns must be a positive number, got ${bad}`);
    }
  });

  test('gradCam, activationMaps and compareOnInputs refuse a bad scale naming themselves', () => {
    const model = tinyCnn(1);
    const x = patchImages(2, 1).x;
    expect(() => gradCam(model, slice(x, 0, 0, 1), { scale: Number.NaN })).toThrow('gradCam: scale must be a positive number, got NaN');
    expect(() => activationMaps(model, 'relu1', x, { scale: 0 })).toThrow('activationMaps: scale must be a positive number, got 0');
    expect(() => compareOnInputs(model, model, x, { layer: 'relu1', camScale: -1 })).toThrow('compareOnInputs: camScale must be a positive number, got -1');
  });
});

describe('close names', () => {
  test('edit distance counts insertions, deletions and substitutions', () => {
    expect([editDistance('conv3', 'conv2'), editDistance('', 'abc'), editDistance('relu', 'relu1'), editDistance('kitten', 'sitting')]).toEqual([1, 3, 1, 3]);
  });

  test('the closest names come first, ties in model order', () => {
    expect(closestNames('layer1.conv', ['fc', 'layer1.conv1', 'layer2.conv1', 'stem'], 2)).toEqual(['layer1.conv1', 'layer2.conv1']);
  });
});
