// GELU, x·Φ(x), and its slope Φ(x) + x·φ(x) for the backward pass, four lanes at a time in
// float32. Φ comes from erfc by Abramowitz and Stegun's 7.1.26 (absolute error below 1.5e-7,
// about float32's own rounding near 1, as PyTorch's float erf-based GELU), whose factor e^(−z²)
// is φ's too: one exponential per value gives both. The JavaScript kernel computes Φ in float64,
// so the two agree to float32 rounding, not bit for bit.
import { exp4 } from './expf';

const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const AS_P: f32 = 0.3275911;
const A1: f32 = 0.254829592;
const A2: f32 = -0.284496736;
const A3: f32 = 1.421413741;
const A4: f32 = -1.453152027;
const A5: f32 = 1.061405429;

/** Φ(x) from z = |x|/√2 and e = e^(−z²): erfc(z)/2 by 7.1.26 for x < 0, 1 minus it otherwise. */
@inline function phi4(v: v128, z: v128, e: v128): v128 {
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(AS_P), z)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(A5), t), f32x4.splat(A4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A1));
  const q = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f32x4.mul(p, t)), e); // Φ(−|x|)
  return v128.bitselect(q, f32x4.sub(f32x4.splat(1), q), f32x4.lt(v, f32x4.splat(0)));
}

/** y = gelu(x) and slope = gelu'(x) for n floats; the tail goes through lane 0 of the same code. */
export function geluForward(x: usize, y: usize, slope: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const v = i + 4 <= n ? v128.load(x + o) : f32x4.splat(load<f32>(x + o));
    const z = f32x4.mul(f32x4.abs(v), f32x4.splat(INV_SQRT2));
    const e = exp4(f32x4.neg(f32x4.mul(z, z))); // e^(−x²/2), φ's factor too
    const phi = phi4(v, z, e);
    const yv = f32x4.mul(v, phi);
    const sv = f32x4.add(phi, f32x4.mul(v, f32x4.mul(e, f32x4.splat(INV_SQRT_2PI))));
    if (i + 4 <= n) {
      v128.store(y + o, yv);
      v128.store(slope + o, sv);
      continue;
    }
    // fewer than four left: one at a time through lane 0
    store<f32>(y + o, f32x4.extract_lane(yv, 0));
    store<f32>(slope + o, f32x4.extract_lane(sv, 0));
    i -= 3;
  }
}
