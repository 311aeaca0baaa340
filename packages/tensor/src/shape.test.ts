import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { broadcastablePair, shapeOf, size, stridesFor, unravel } from './__tests__/arbitraries';
import { broadcastIndex, broadcastShapes, formatShape, normalizeAxis, shapeSize, stridesOf } from './shape';

describe('broadcastShapes', () => {
  test.prop([broadcastablePair()])('the broadcast shape right-aligns both shapes and takes the non-1 size of each dimension', ([a, b]) => {
    const out = broadcastShapes('op', a, b);
    expect(out).toHaveLength(Math.max(a.length, b.length));
    out.forEach((d, i) => {
      const da = a[a.length - out.length + i] ?? 1;
      const db = b[b.length - out.length + i] ?? 1;
      expect(d).toBe(Math.max(da, db));
    });
    expect(broadcastShapes('op', b, a)).toEqual(out);
  });

  test('incompatible shapes throw a ShapeError naming the op, both shapes and the dimension', () => {
    expect(() => broadcastShapes('mul', [2, 3], [3, 2])).toThrow('mul: shapes [2, 3] and [3, 2] cannot be broadcast together (dimension 0: 2 vs 3)');
  });
});

describe('broadcastIndex', () => {
  test.prop([broadcastablePair()])('maps every output position to the input element NumPy broadcasting reads', ([a, b]) => {
    const out = broadcastShapes('op', a, b);
    const map = broadcastIndex(a, out);
    const st = stridesFor(a);
    for (let i = 0; i < size(out); i++) {
      const idx = unravel(i, out).slice(out.length - a.length);
      const expected = idx.reduce((s, x, d) => s + (a[d] === 1 ? 0 : x) * st[d], 0);
      expect(map === null ? i : map[i]).toBe(expected);
    }
  });

  test('returns null (the identity) when the shapes are equal', () => {
    expect(broadcastIndex([2, 3], [2, 3])).toBeNull();
  });
});

test.prop([shapeOf(0, 4, 5)])('stridesOf is row-major: the last stride is 1 and each stride is the next one times its dimension', (shape) => {
  expect(stridesOf(shape)).toEqual(stridesFor(shape));
  expect(shapeSize(shape)).toBe(size(shape));
});

test('normalizeAxis counts negative axes from the end and names the op when out of range', () => {
  expect(normalizeAxis('sum', -1, 3)).toBe(2);
  expect(() => normalizeAxis('sum', 3, 3)).toThrow('sum: axis 3 is out of range for a tensor of rank 3');
  expect(() => normalizeAxis('sum', -4, 3)).toThrow('sum: axis -4 is out of range for a tensor of rank 3');
  expect(formatShape([])).toBe('[]');
});
