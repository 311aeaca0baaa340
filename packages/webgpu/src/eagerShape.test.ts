import { fc, test as propTest } from '@fast-check/vitest';
import { Rng, Tensor, abs, add, concat, exp, log, matmul, mul, permute, pow, slice, softmax, sqrt, square, transpose } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { agree, leaf } from './__tests__/agree';
import { testGpu } from './__tests__/dawn';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU shape-op tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);
const runs = { numRuns: 4 };
const dim = fc.integer({ min: 1, max: 6 });

describe.skipIf(typeof gpu === 'string')("axis, slicing, batched matmul, softmax and element-wise ops on 'webgpu' tensors equal the cpu ops within 1e-4", () => {
  propTest.prop([dim, dim, dim, fc.nat()], runs)('permute, transpose, slice (negative indices too) and concat along any axis', async (A, B, C, seed) => {
    const rng = new Rng(seed);
    const x = leaf(rng, [A, B, C]);
    await agree('permute', seed, [x], ([t]) => permute(t, [2, 0, 1]));
    await agree('transpose', seed, [x], ([t]) => transpose(t, 0, -1));
    await agree('slice', seed, [x], ([t]) => slice(t, 1, 0, Math.max(1, B - 1)));
    await agree('slice from the end', seed, [x], ([t]) => slice(t, -1, -1));
    await agree('concat on axis 1', seed, [x, leaf(rng, [A, 2, C])], ([t, u]) => concat([t, u], 1));
    await agree('concat on the last axis, three inputs', seed, [x, x, leaf(rng, [A, B, 1])], ([t, u, v]) => concat([t, u, v], -1));
  });

  propTest.prop([dim, dim, fc.integer({ min: 1, max: 9 }), dim, fc.nat()], runs)('batched matmul with equal batches, a shared 2-D left or right operand, and transposed operands', async (Bt, M, K, N, seed) => {
    const rng = new Rng(seed);
    await agree('[B, 2, M, K]·[B, 2, K, N]', seed, [leaf(rng, [Bt, 2, M, K]), leaf(rng, [Bt, 2, K, N])], ([a, b]) => matmul(a, b));
    await agree('[M, K]·[B, K, N]', seed, [leaf(rng, [M, K]), leaf(rng, [Bt, K, N])], ([a, b]) => matmul(a, b));
    await agree('[B, M, K]·[K, N]', seed, [leaf(rng, [Bt, M, K]), leaf(rng, [K, N])], ([a, b]) => matmul(a, b));
    await agree('q·kᵀ', seed, [leaf(rng, [Bt, M, K]), leaf(rng, [Bt, N, K])], ([q, k]) => matmul(q, transpose(k)));
  });

  propTest.prop([dim, fc.integer({ min: 1, max: 12 }), fc.nat()], runs)('softmax over the last axis; exp, log, sqrt, abs, square and pow (integer and fractional exponents)', async (R, D, seed) => {
    const rng = new Rng(seed);
    const x = leaf(rng, [R, D]);
    const positive = (t: Tensor) => add(square(t), 0.25);
    await agree('softmax', seed, [x], ([t]) => softmax(t));
    await agree('exp', seed, [x], ([t]) => exp(t));
    await agree('log and sqrt of positives', seed, [x], ([t]) => add(log(positive(t)), sqrt(positive(t))));
    await agree('abs', seed, [x], ([t]) => abs(t));
    await agree('pow 3 (negative bases), pow 0.5, pow 0', seed, [x], ([t]) => add(add(pow(t, 3), pow(positive(t), 0.5)), mul(pow(t, 0), 2)));
  });
});

/** The same number for the cpu and the device: both NaN, equal infinities or zeros (either sign), or within 1e-5 relative (subnormals may flush to 0). */
const sameValue = (gpu: number, cpu: number): boolean => (Number.isNaN(cpu) ? Number.isNaN(gpu) : gpu === cpu || Math.abs(gpu - cpu) <= 1e-5 * Math.abs(cpu) + 1e-30);

/** Runs `f` on the cpu and on the device over `values` [rows, D] and checks its values and gradients with {@link sameValue}. */
async function agreeExactly(what: string, values: number[], shape: number[], f: (t: Tensor) => Tensor): Promise<void> {
  const x = new Tensor(Float32Array.from(values), shape, { requiresGrad: true });
  const xg = await x.to('webgpu');
  const [want, got] = [f(x), f(xg)];
  const seed = Float32Array.from({ length: want.size }, (_, i) => 1 + i); // distinct: a softmax gradient is no rounding noise around 0
  want.backward(seed);
  got.backward(seed);
  const [gv, gg] = [await got.read(), (await xg.readGrad()) as Float32Array];
  const bad = values.flatMap((v, i) => [
    ...(sameValue(gv[i], want.data[i]) ? [] : [`${what}(${v}) = ${gv[i]}, cpu ${want.data[i]}`]),
    ...(sameValue(gg[i], (x.grad as Float32Array)[i]) ? [] : [`${what}'(${v}) = ${gg[i]}, cpu ${(x.grad as Float32Array)[i]}`]),
  ]);
  expect(bad, what).toEqual([]);
}

describe.skipIf(typeof gpu === 'string')("'webgpu' element-wise functions and softmax give the cpu ops' NaN, ±∞ and zeros", () => {
  const specials = [-Infinity, -8, -2, -1, -0, 0, 0.5, 2, Infinity, NaN];
  test('exp, log and sqrt propagate NaN, and log and sqrt of a negative number are NaN (WGSL leaves them undefined)', async () => {
    for (const [name, f] of [['exp', exp], ['log', log], ['sqrt', sqrt], ['abs', abs], ['square', square]] as const) await agreeExactly(name, specials, [specials.length], f);
  });

  test('pow matches `x ** p` at NaN, ±∞ and ±0 bases, for integer (odd, even, negative) and fractional exponents', async () => {
    for (const p of [0.5, -0.5, 1.5, 1 / 3, 1, 2, 3, -1, -2, -3, 0]) await agreeExactly(`pow ${p}`, specials, [specials.length], (t) => pow(t, p));
  });

  test('a softmax row holding a NaN or +∞, or only −∞, is NaN; −∞ elsewhere (a mask) gives 0', async () => {
    const rows = [[1, NaN, 2], [Infinity, 1, 2], [-Infinity, -Infinity, -Infinity], [1, -Infinity, 2], [100, 1, 2]];
    await agreeExactly('softmax', rows.flat(), [rows.length, 3], (t) => softmax(t));
  });
});

describe.skipIf(typeof gpu === 'string')("'webgpu' shape ops refuse what the cpu ops refuse, and what the device does not implement", () => {
  test('bad permutations, slices, concats and matmuls name the shapes; softmax over another axis is refused by name', async () => {
    const x = await new Tensor(new Float32Array(6), [2, 3]).to('webgpu');
    expect(() => permute(x, [0, 0])).toThrow(/permute: \[0, 0\] is not a permutation/);
    expect(() => slice(x, 1, 2, 5)).toThrow(/slice: range \[2, 5\) is invalid for axis 1 of size 3/);
    expect(() => concat([x, x], 2)).toThrow(/concat: axis 2 is out of range/);
    expect(() => matmul(x, x)).toThrow(/matmul: inner dimensions differ/);
    const b = await new Tensor(new Float32Array(24), [2, 2, 3, 2]).to('webgpu');
    const c = await new Tensor(new Float32Array(18), [3, 2, 3]).to('webgpu');
    expect(() => matmul(c, b)).toThrow(/matmul on webgpu: batch dimensions \[3\] and \[2, 2\] must be equal/);
    expect(() => softmax(x, 0)).toThrow(/softmax on webgpu: only the last axis/);
  });
});
