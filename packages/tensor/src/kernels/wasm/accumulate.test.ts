import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { linear } from '../../ops/matmul';
import { permute } from '../../ops/shape';
import { Tensor } from '../../tensor';
import { add, div } from '../../ops/elementwise';
import { wasmAddArrays, wasmAddRows, wasmDivScalar, wasmMulAdd, wasmPermute, wasmScaleAdd } from './elementwise';
import { wasmKernels, withKernelBackend } from './runtime';

// The accumulations of assembly/accumulate.ts replace JavaScript loops (a linear layer's bias
// gradient, GELU's backward, a permutation of axes and its backward, a residual sum and the
// gradient passed through, a division by a number and its backward). The law for each: the
// bits of the loop it replaced, for any shape and any values, signed zeros, NaN and infinities
// included; and the ops give the same bits on the wasm and the JavaScript kernels.

function kernels() {
  const k = withKernelBackend('wasm', wasmKernels);
  if (k === null) throw new Error('the WebAssembly SIMD kernels did not load in Node');
  return k;
}

const edgy = fc.oneof(fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1, 1e-30, 3e38), fc.float({ noDefaultInfinity: true, noNaN: true }));
const floats = (n: number) => fc.array(edgy, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));

/** Bit patterns, so −0 differs from +0; every NaN as one pattern (its sign and payload are the hardware's, in JavaScript and WebAssembly alike). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]) ? 0x7fc00000 : b));

const rowsCase = fc.record({ rows: fc.integer({ min: 0, max: 9 }), cols: fc.integer({ min: 1, max: 41 }) }).chain(({ rows, cols }) => fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), g: floats(rows * cols), out: floats(cols) }));

/** The input index of each output position of permute(shape, perm), computed from coordinates. */
function inputIndex(shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const size = shape.reduce((a, b) => a * b, 1);
  const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return Array.from({ length: size }, (_, i) => {
    let rest = i;
    let at = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      at += (rest % outShape[d]) * inStrides[perm[d]];
      rest = Math.floor(rest / outShape[d]);
    }
    return at;
  });
}

const permCase = fc
  .integer({ min: 0, max: 5 })
  .chain((rank) => fc.record({ shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: rank, maxLength: rank }), perm: fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank }) }))
  .chain(({ shape, perm }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.record({ shape: fc.constant(shape), perm: fc.constant(perm), x: floats(n), acc: floats(n) });
  });

describe('accumulate kernels', () => {
  test.prop([rowsCase])('addRows: out[o] + g[0, o] + g[1, o] + … in row order, in float32, is the bits of the JavaScript loop, for any rows × columns (blocks of 16 and 4 columns and the rest)', ({ rows, cols, g, out }) => {
    const expected = out.slice();
    for (let r = 0; r < rows; r++) for (let o = 0; o < cols; o++) expected[o] += g[r * cols + o];
    const got = out.slice();
    wasmAddRows(kernels(), g, rows, cols, got);
    expect(bits(got)).toEqual(bits(expected));
  });

  test.prop([fc.integer({ min: 0, max: 37 }).chain((n) => fc.tuple(floats(n), floats(n), floats(n)))])('mulAdd: ga + g·s in float64, rounded once to float32, is the bits of JavaScript\'s ga[i] += g[i] * s[i]', ([g, s, ga]) => {
    const expected = ga.slice();
    for (let i = 0; i < g.length; i++) expected[i] += g[i] * s[i];
    const got = ga.slice();
    wasmMulAdd(kernels(), g, s, got);
    expect(bits(got)).toEqual(bits(expected));
  });

  test.prop([permCase])('permuteRuns: forward, output i is the input at its permuted coordinates; back, the input\'s gradient at those coordinates gains output i\'s gradient (float32 adds), for rank 0–5 with the last axis kept or moved', ({ shape, perm, x, acc }) => {
    const outShape = perm.map((p) => shape[p]);
    const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const st = perm.map((p) => inStrides[p]);
    const from = inputIndex(shape, perm);
    const out = new Float32Array(x.length);
    wasmPermute(kernels(), outShape, st, x, out, false);
    expect(bits(out)).toEqual(bits(Float32Array.from(from, (j) => x[j])));
    const grad = acc.slice();
    const expected = acc.slice();
    from.forEach((j, i) => (expected[j] += x[i]));
    wasmPermute(kernels(), outShape, st, x, grad, true);
    expect(bits(grad)).toEqual(bits(expected));
  });

  test.prop([fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1000 })])('linear\'s bias gradient is the same bits on the wasm kernels as on the JavaScript ones', (rows, out, seed) => {
    const seedGrad = Float32Array.from({ length: rows * out }, (_, i) => Math.sin(seed + i * 1.7) * 10 ** ((i % 7) - 3));
    const run = () => {
      const x = new Tensor(Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(i)), [rows, 3]);
      const w = new Tensor(Float32Array.from({ length: out * 3 }, (_, i) => Math.sin(i)), [out, 3]);
      const b = new Tensor(new Float32Array(out).fill(0.25), [out], { requiresGrad: true });
      linear(x, w, b).backward(seedGrad);
      return bits(b.grad as Float32Array);
    };
    expect(withKernelBackend('wasm', run)).toEqual(withKernelBackend('js', run));
  });

  test('a head split big enough for the kernel ([8, 10, 4, 16] → [8, 4, 10, 16]) and its backward are the same bits on the wasm kernels as on the JavaScript ones', () => {
    const shape = [8, 10, 4, 16];
    const n = shape.reduce((a, b) => a * b, 1);
    const seedGrad = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
    const run = () => {
      const x = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11)), shape, { requiresGrad: true });
      const y = permute(x, [0, 2, 1, 3]);
      y.backward(seedGrad);
      const z = permute(x, [3, 1, 0, 2]); // the last axis moved: strided runs
      z.backward(seedGrad.map((v) => v * 3));
      return [bits(y.data), bits(z.data), bits(x.grad as Float32Array)];
    };
    expect(withKernelBackend('wasm', run)).toEqual(withKernelBackend('js', run));
  });

  test.prop([fc.integer({ min: 0, max: 37 }).chain((n) => fc.tuple(floats(n), floats(n), floats(n)))])('addArrays: a + b in float32 is the bits of JavaScript\'s a[i] + b[i], also in place (ga += g)', ([a, b, c]) => {
    const expected = Float32Array.from(a, (v, i) => v + b[i]);
    const out = c.slice();
    wasmAddArrays(kernels(), a, b, out);
    expect(bits(out)).toEqual(bits(expected));
    const acc = b.slice();
    wasmAddArrays(kernels(), a, acc, acc);
    expect(bits(acc)).toEqual(bits(expected));
  });

  test.prop([fc.integer({ min: 0, max: 37 }).chain((n) => fc.tuple(floats(n), edgy.map(Math.fround), floats(n)))])('divScalar and scaleAdd: a / b, and ga + g·(1/b) in float64 rounded once, are the bits of JavaScript\'s loops', ([a, b, ga]) => {
    const out = new Float32Array(a.length);
    wasmDivScalar(kernels(), a, b, out);
    expect(bits(out)).toEqual(bits(Float32Array.from(a, (v) => v / b)));
    const expected = ga.slice();
    for (let i = 0; i < a.length; i++) expected[i] += a[i] * (1 / b);
    const got = ga.slice();
    wasmScaleAdd(kernels(), a, 1 / b, got);
    expect(bits(got)).toEqual(bits(expected));
  });

  test('residual sums (the gradient of x accumulated from two paths), a division by a number (attention\'s 1/√d) and their gradients, on 2,000 values, are the same bits on the wasm kernels as on the JavaScript ones', () => {
    const n = 2000;
    const seedGrad = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 10 ** ((i % 9) - 4));
    const run = () => {
      const x = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11) * 10 ** ((i % 5) - 2)), [20, n / 20], { requiresGrad: true });
      const y = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7)), [20, n / 20], { requiresGrad: true });
      const s = add(x, y);
      const r = div(x, 3);
      const t = add(s, r); // x's gradient arrives twice (g/√12, then g/√12·(1/3) added to it)
      const q = div(t, Math.sqrt(12));
      q.backward(seedGrad);
      return [bits(s.data), bits(r.data), bits(t.data), bits(q.data), bits(x.grad as Float32Array), bits(y.grad as Float32Array)];
    };
    expect(withKernelBackend('wasm', run)).toEqual(withKernelBackend('js', run));
  });
});
