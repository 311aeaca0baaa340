// Softmax over rows of contiguous floats, four lanes at a time, and its backward. e^x is
// expf.ts's float32 exponential, where the JavaScript kernel computes it in float64, so the two
// kernels agree to float32 rounding, not bit for bit.

import { exp4 } from './expf';

/** {@link exp4} on one value (the tail of a row), the same operations. */
@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** y[r] = softmax(x[r]) for `rows` rows of `len` floats each. */
export function softmaxRows(x: usize, y: usize, rows: i32, len: i32): void {
  const full = len & ~3;
  for (let row = 0; row < rows; row++) {
    const xr = x + ((<usize>row * len) << 2);
    const yr = y + ((<usize>row * len) << 2);
    let mv = f32x4.splat(-Infinity);
    for (let i = 0; i < full; i += 4) mv = f32x4.max(mv, v128.load(xr + (<usize>i << 2)));
    let m = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (let i = full; i < len; i++) m = max<f32>(m, load<f32>(xr + (<usize>i << 2)));
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (let i = 0; i < full; i += 4) {
      const e = exp4(f32x4.sub(v128.load(xr + (<usize>i << 2)), ms));
      v128.store(yr + (<usize>i << 2), e);
      sv = f32x4.add(sv, e);
    }
    let s = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    for (let i = full; i < len; i++) {
      const e = exp1(load<f32>(xr + (<usize>i << 2)) - m);
      store<f32>(yr + (<usize>i << 2), e);
      s += e;
    }
    const ss = f32x4.splat(s);
    for (let i = 0; i < full; i += 4) v128.store(yr + (<usize>i << 2), f32x4.div(v128.load(yr + (<usize>i << 2)), ss));
    for (let i = full; i < len; i++) store<f32>(yr + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) / s);
  }
}

/** ga[r] += y[r] ⊙ (g[r] − Σ g[r]·y[r]) for `rows` rows of `len` floats: softmax's backward from its output. */
export function softmaxRowsBackward(y: usize, g: usize, ga: usize, rows: i32, len: i32): void {
  const full = len & ~3;
  for (let row = 0; row < rows; row++) {
    const o = (<usize>row * len) << 2;
    let dv = f32x4.splat(0);
    for (let i = 0; i < full; i += 4) {
      const j = o + (<usize>i << 2);
      dv = f32x4.add(dv, f32x4.mul(v128.load(g + j), v128.load(y + j)));
    }
    let dot = f32x4.extract_lane(dv, 0) + f32x4.extract_lane(dv, 1) + f32x4.extract_lane(dv, 2) + f32x4.extract_lane(dv, 3);
    for (let i = full; i < len; i++) {
      const j = o + (<usize>i << 2);
      dot += load<f32>(g + j) * load<f32>(y + j);
    }
    const ds = f32x4.splat(dot);
    for (let i = 0; i < full; i += 4) {
      const j = o + (<usize>i << 2);
      v128.store(ga + j, f32x4.add(v128.load(ga + j), f32x4.mul(v128.load(y + j), f32x4.sub(v128.load(g + j), ds))));
    }
    for (let i = full; i < len; i++) {
      const j = o + (<usize>i << 2);
      store<f32>(ga + j, load<f32>(ga + j) + load<f32>(y + j) * (load<f32>(g + j) - dot));
    }
  }
}
