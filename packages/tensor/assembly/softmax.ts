// Softmax over rows of contiguous floats, four lanes at a time, and its backward. e^x is
// computed in float32 as Cephes' expf does it (x = n·ln2 + r with |r| ≤ ln2/2, a degree-7
// polynomial in r, 2^n put into the exponent bits): within 2 ulp, where the JavaScript kernel
// computes e^x in float64. So the two kernels agree to float32 rounding, not bit for bit.

const LOG2E: f32 = 1.44269504088896341;
/** ln 2 in two parts; the first has 9 significant bits, so n·LN2_HI is exact for |n| ≤ 2^15. */
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** Below this e^x is not a normal float32: the result is 0 (as e^−∞ is). */
const UNDERFLOW: f32 = -87.33654;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

/** e^x on four lanes of x ≤ 0 (x > 0 is not met here: softmax shifts by the row's max); NaN stays NaN. */
@inline function exp4(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  // below the normal range (−∞ included) the result is +0; a NaN lane compares false and stays NaN
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, f32x4.splat(UNDERFLOW)));
}

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
