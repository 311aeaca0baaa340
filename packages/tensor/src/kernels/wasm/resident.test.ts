import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect } from 'vitest';
import { ShapeError, Tensor, allocResident, firstNonFinite, getKernelBackend, setKernelBackend } from '../../index';

afterEach(() => setKernelBackend('auto'));

/** The index of the first NaN or ±Inf, the obvious way. */
const naive = (a: Float32Array) => a.findIndex((v) => !Number.isFinite(v));

const values = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38) },
  ),
  { maxLength: 70 },
);

describe('allocResident', () => {
  test.prop([fc.array(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 })])(
    'gives zero-filled arrays of the asked lengths, 16-byte aligned, each group in one block, none overlapping',
    (groups) => {
      const blocks = allocResident(groups);
      if (getKernelBackend() === 'js') return void expect(blocks).toBeNull();
      expect(blocks).not.toBeNull();
      const all = (blocks as Float32Array[][]).flat();
      (blocks as Float32Array[][]).forEach((arrays, g) => {
        expect(arrays.map((a) => a.length)).toEqual(groups[g]);
        for (const a of arrays) {
          expect(a.buffer).toBe(arrays[0].buffer);
          expect(a.byteOffset % 16).toBe(0);
          expect(a.every((v) => v === 0)).toBe(true);
        }
      });
      for (const a of all) a.fill(1);
      const total = all.reduce((s, a) => s + a.reduce((t, v) => t + v, 0), 0);
      expect(total).toBe(groups.flat().reduce((s, n) => s + n, 0)); // no two arrays share a value
    },
  );

  test('a negative, fractional or missing length is a RangeError naming the group and position', () => {
    expect(() => allocResident([[4], [2, -1]])).toThrow('allocResident: length 1 of group 1 is -1; lengths must be integers ≥ 0');
    expect(() => allocResident([[1.5]])).toThrow(RangeError);
    expect(() => allocResident([4 as never])).toThrow('allocResident: group 0 is not an array of lengths; lengths must be integers ≥ 0');
  });

  test('returns null with the JS kernels selected', () => {
    setKernelBackend('js');
    expect(allocResident([[4]])).toBeNull();
  });
});

describe('firstNonFinite', () => {
  test.prop([values])('finds the first NaN or ±Inf (or −1) in an ordinary array, as a per-element test would', (v) => {
    const a = Float32Array.from(v);
    expect(firstNonFinite(a)).toBe(naive(a));
  });

  test.prop([values])('gives the same answer on a resident array (the WebAssembly SIMD scan)', (v) => {
    const block = allocResident([[v.length]]);
    const a = block ? block[0][0] : new Float32Array(v.length);
    a.set(v);
    expect(firstNonFinite(a)).toBe(naive(a));
  });
});

describe('Tensor.moveTo', () => {
  test('copies values and gradient into the new arrays and uses them from then on', () => {
    const t = new Tensor(Float32Array.of(1, 2, 3), [3], { requiresGrad: true });
    t.grad = Float32Array.of(4, 5, 6);
    const data = new Float32Array(3);
    const grad = new Float32Array(3);
    t.moveTo(data, grad);
    expect(t.data).toBe(data);
    expect(t.grad).toBe(grad);
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(Array.from(grad)).toEqual([4, 5, 6]);
  });

  test('a tensor without a gradient gets a zeroed one', () => {
    const t = new Tensor(Float32Array.of(1, 2), [2]);
    t.moveTo(new Float32Array(2), Float32Array.of(7, 7));
    expect(Array.from(t.grad as Float32Array)).toEqual([0, 0]);
  });

  test('arrays of the wrong length are a ShapeError naming which one, and nothing moves', () => {
    const t = new Tensor(Float32Array.of(1, 2, 3), [3]);
    const before = t.data;
    expect(() => t.moveTo(new Float32Array(2))).toThrow(ShapeError);
    expect(() => t.moveTo(new Float32Array(3), new Float32Array(4))).toThrow('moveTo: grad has 4 elements but the tensor (shape [3]) has 3');
    expect(t.data).toBe(before);
  });
});
