// The one multiply-add the SIMD kernels share. Built twice (see build.mjs): with
// `--enable relaxed-simd` it is f32x4.relaxed_madd, which V8 emits as one fused
// multiply-add (vfmadd) where the CPU has FMA: a single rounding, so the last bits may differ
// from the plain build's mul-then-add (two roundings). Each build is deterministic on its own.
// Optimizer updates never use it: they stay bit-identical to the JavaScript kernels.

/** a·b + c, four lanes at a time: fused where the relaxed SIMD build and the CPU allow it. */
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
