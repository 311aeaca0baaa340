// Which of the two SIMD builds of the kernels a runtime loads: relaxed SIMD (one fused
// multiply-add per multiply-add in GEMM and the direct convolution) where the runtime validates
// it, plain SIMD everywhere else. See assembly/fma.ts and assembly/build.mjs.
import { applyDelta, decodeBase64 } from './embedded';
import { wasmModuleBase64 } from './module.generated';
import { wasmModuleRelaxedDelta } from './moduleRelaxed.generated';

/** The two builds of the WebAssembly kernels. */
export type SimdVariant = 'simd' | 'relaxed-simd';

/**
 * The smallest module that uses relaxed SIMD: one function (v128, v128, v128) → v128 whose body
 * is `f32x4.relaxed_madd` of its three parameters (opcode 0xfd 0x105, LEB128 0x85 0x02).
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code: relaxed_madd(p0, p1, p2)
]);

/** Whether this runtime accepts relaxed SIMD (Node ≥ 22, current browsers; Node 20 only with `--experimental-wasm-relaxed-simd`). */
export function relaxedSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE as BufferSource);
  } catch {
    return false;
  }
}

/**
 * The build to load. `TRAINKIT_SIMD=plain` keeps the plain SIMD build even where relaxed SIMD
 * is available; `TRAINKIT_SIMD=relaxed` requires relaxed SIMD (an error where the runtime lacks
 * it); unset, or `auto`, takes relaxed SIMD where the runtime validates it.
 */
export function chooseSimdVariant(): SimdVariant {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TRAINKIT_SIMD;
  if (env !== undefined && env !== '' && env !== 'auto' && env !== 'plain' && env !== 'relaxed') {
    throw new Error(`TRAINKIT_SIMD must be 'plain', 'relaxed' or 'auto', got ${JSON.stringify(env)}`);
  }
  if (env === 'plain') return 'simd';
  const supported = relaxedSimdSupported();
  if (env === 'relaxed' && !supported) {
    throw new Error('TRAINKIT_SIMD=relaxed: this runtime does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); unset it to use plain SIMD');
  }
  return supported ? 'relaxed-simd' : 'simd';
}

/** The bytes of one build on its own memory (threadPool.ts applies the shared-memory deltas, so a program without a pool does not bundle them). */
export function moduleBytes(variant: SimdVariant): Uint8Array {
  const plain = decodeBase64(wasmModuleBase64);
  return variant === 'relaxed-simd' ? applyDelta(plain, decodeBase64(wasmModuleRelaxedDelta)) : plain;
}
