import { afterEach, describe, expect, test } from 'vitest';
import { Rng } from '../../rng';
import type { WasmKernels } from './abi';
import { type SimdVariant, chooseSimdVariant, moduleBytes, relaxedSimdSupported } from './simd';

const savedEnv = process.env.TRAINKIT_SIMD;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.TRAINKIT_SIMD;
  else process.env.TRAINKIT_SIMD = savedEnv;
});

function instance(variant: SimdVariant): WasmKernels {
  const mod = new WebAssembly.Module(moduleBytes(variant) as BufferSource);
  return new WebAssembly.Instance(mod, {}).exports as unknown as WasmKernels;
}

/** C = A·B on one instance of a build (A M×K, B K×N, row-major), through its linear memory. */
function gemmOn(k: WasmKernels, M: number, N: number, K: number, a: Float32Array, b: Float32Array): Float32Array {
  const work = 65536;
  const at = work + k.gemmWorkBytes();
  const bt = at + a.length * 4;
  const ct = bt + b.length * 4;
  const need = ct + M * N * 4 - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  const heap = new Float32Array(k.memory.buffer);
  heap.set(a, at / 4);
  heap.set(b, bt / 4);
  k.gemm(0, 0, M, N, K, at, bt, ct, N, 0, work);
  return heap.slice(ct / 4, ct / 4 + M * N);
}

describe('the relaxed SIMD build', () => {
  test('the feature probe agrees with the runtime: the relaxed build compiles exactly where WebAssembly.validate accepts the probe', () => {
    const bytes = moduleBytes('relaxed-simd') as BufferSource;
    expect(WebAssembly.validate(bytes)).toBe(relaxedSimdSupported());
  });

  test.runIf(relaxedSimdSupported())('GEMM on the relaxed build is deterministic (same bits on every call and instance) and within float32 rounding of the plain build', () => {
    const rng = new Rng(3);
    const [M, N, K] = [37, 29, 300];
    const a = rng.fillNormal(new Float32Array(M * K));
    const b = rng.fillNormal(new Float32Array(K * N));
    const relaxed = gemmOn(instance('relaxed-simd'), M, N, K, a, b);
    expect(Array.from(gemmOn(instance('relaxed-simd'), M, N, K, a, b))).toEqual(Array.from(relaxed));
    const plain = gemmOn(instance('simd'), M, N, K, a, b);
    for (let i = 0; i < M * N; i++) {
      let exact = 0;
      let scale = 0;
      const [r, c] = [Math.floor(i / N), i % N];
      for (let p = 0; p < K; p++) {
        exact += a[r * K + p] * b[p * N + c];
        scale += Math.abs(a[r * K + p] * b[p * N + c]);
      }
      // both sum K products in the same order; each is off by at most ~K·ε·Σ|aᵢbᵢ|
      const bound = K * 2 ** -23 * scale;
      expect(Math.abs(relaxed[i] - exact)).toBeLessThanOrEqual(bound);
      expect(Math.abs(plain[i] - exact)).toBeLessThanOrEqual(bound);
    }
  });
});

describe('TRAINKIT_SIMD', () => {
  test("'plain' selects the plain SIMD build even where relaxed SIMD is available", () => {
    process.env.TRAINKIT_SIMD = 'plain';
    expect(chooseSimdVariant()).toBe('simd');
  });

  test('unset, or auto, selects relaxed SIMD exactly where the runtime supports it', () => {
    const expected = relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
    delete process.env.TRAINKIT_SIMD;
    expect(chooseSimdVariant()).toBe(expected);
    process.env.TRAINKIT_SIMD = 'auto';
    expect(chooseSimdVariant()).toBe(expected);
  });

  test('any other value is an error that names the variable, the value and the accepted ones', () => {
    process.env.TRAINKIT_SIMD = 'fma';
    expect(() => chooseSimdVariant()).toThrow(`TRAINKIT_SIMD must be 'plain', 'relaxed' or 'auto', got "fma"`);
  });

  test.runIf(!relaxedSimdSupported())("'relaxed' on a runtime without relaxed SIMD is an error that says how to get it", () => {
    process.env.TRAINKIT_SIMD = 'relaxed';
    expect(() => chooseSimdVariant()).toThrow(/does not support WebAssembly relaxed SIMD/);
  });
});
