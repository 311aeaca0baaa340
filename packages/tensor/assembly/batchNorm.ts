// BatchNorm's four passes over x [N, C, inner]: plane (n, c) is the `inner` floats at
// (n·C + c)·inner. The same arithmetic as the JS passes in src/ops/batchNorm.ts, four floats at a
// time in two f64x2 halves: statistics and sums accumulate in float64 (only their order of
// addition differs from JS), and every output is computed in float64 and rounded once to float32
// (bit-identical to JS). Per-channel arrays (sums, coefficients) are float64.

/** The float64 lanes of a vector's first two floats. */
@inline
function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** The float64 lanes of a vector's last two floats. */
@inline
function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** Four floats from two f64x2 halves, each rounded once. */
@inline
function join(a: v128, b: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

@inline
function sumLanes(a: v128, b: v128): f64 {
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
}

@inline
function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

@inline
function f64At(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

/**
 * sums[c] += Σ d and sums[C + c] += Σ d² over channel c's values, d = x − x[c·inner] (the
 * channel's first value: a shift that keeps the variance free of cancellation).
 */
export function bnMoments(x: usize, N: i32, C: i32, inner: i32, sums: usize): void {
  const i4 = inner & ~3;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const p = at(x, (n * C + c) * inner);
      const k = <f64>load<f32>(at(x, c * inner));
      const kv = f64x2.splat(k);
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
      for (let i = 0; i < i4; i += 4) {
        const v = v128.load(at(p, i));
        const d0 = f64x2.sub(lo(v), kv);
        const d1 = f64x2.sub(hi(v), kv);
        s0 = f64x2.add(s0, d0);
        q0 = f64x2.add(q0, f64x2.mul(d0, d0));
        s1 = f64x2.add(s1, d1);
        q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      }
      let s = sumLanes(s0, s1), q = sumLanes(q0, q1);
      for (let i = i4; i < inner; i++) {
        const d = <f64>load<f32>(at(p, i)) - k;
        s += d;
        q += d * d;
      }
      store<f64>(f64At(sums, c), load<f64>(f64At(sums, c)) + s);
      store<f64>(f64At(sums, C + c), load<f64>(f64At(sums, C + c)) + q);
    }
  }
}

/** y = x·coef[c] + coef[C + c] per channel (y may be x). */
export function bnNormalize(x: usize, y: usize, N: i32, C: i32, inner: i32, coef: usize): void {
  const i4 = inner & ~3;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const off = (n * C + c) * inner;
      const src = at(x, off);
      const dst = at(y, off);
      const a = load<f64>(f64At(coef, c));
      const b = load<f64>(f64At(coef, C + c));
      const av = f64x2.splat(a), bv = f64x2.splat(b);
      for (let i = 0; i < i4; i += 4) {
        const v = v128.load(at(src, i));
        v128.store(at(dst, i), join(f64x2.add(f64x2.mul(lo(v), av), bv), f64x2.add(f64x2.mul(hi(v), av), bv)));
      }
      for (let i = i4; i < inner; i++) store<f32>(at(dst, i), <f32>(<f64>load<f32>(at(src, i)) * a + b));
    }
  }
}

/** sums[c] += Σ g and sums[C + c] += Σ g·(x − mean[c]) over channel c's values. */
export function bnGradSums(g: usize, x: usize, N: i32, C: i32, inner: i32, mean: usize, sums: usize): void {
  const i4 = inner & ~3;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const off = (n * C + c) * inner;
      const pg = at(g, off);
      const px = at(x, off);
      const mu = load<f64>(f64At(mean, c));
      const mv = f64x2.splat(mu);
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), t0 = f64x2.splat(0), t1 = f64x2.splat(0);
      for (let i = 0; i < i4; i += 4) {
        const gv = v128.load(at(pg, i));
        const xv = v128.load(at(px, i));
        const g0 = lo(gv), g1 = hi(gv);
        s0 = f64x2.add(s0, g0);
        t0 = f64x2.add(t0, f64x2.mul(g0, f64x2.sub(lo(xv), mv)));
        s1 = f64x2.add(s1, g1);
        t1 = f64x2.add(t1, f64x2.mul(g1, f64x2.sub(hi(xv), mv)));
      }
      let s = sumLanes(s0, s1), t = sumLanes(t0, t1);
      for (let i = i4; i < inner; i++) {
        const gi = <f64>load<f32>(at(pg, i));
        s += gi;
        t += gi * (<f64>load<f32>(at(px, i)) - mu);
      }
      store<f64>(f64At(sums, c), load<f64>(f64At(sums, c)) + s);
      store<f64>(f64At(sums, C + c), load<f64>(f64At(sums, C + c)) + t);
    }
  }
}

/** dx += a·g − b·x + o per channel, with a, b, o at coef[c], coef[C + c], coef[2C + c]. */
export function bnInputGrad(dx: usize, g: usize, x: usize, N: i32, C: i32, inner: i32, coef: usize): void {
  const i4 = inner & ~3;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const off = (n * C + c) * inner;
      const pd = at(dx, off), pg = at(g, off), px = at(x, off);
      const a = load<f64>(f64At(coef, c));
      const b = load<f64>(f64At(coef, C + c));
      const o = load<f64>(f64At(coef, 2 * C + c));
      const av = f64x2.splat(a), bv = f64x2.splat(b), ov = f64x2.splat(o);
      for (let i = 0; i < i4; i += 4) {
        const dv = v128.load(at(pd, i));
        const gv = v128.load(at(pg, i));
        const xv = v128.load(at(px, i));
        const r0 = f64x2.add(lo(dv), f64x2.add(f64x2.sub(f64x2.mul(av, lo(gv)), f64x2.mul(bv, lo(xv))), ov));
        const r1 = f64x2.add(hi(dv), f64x2.add(f64x2.sub(f64x2.mul(av, hi(gv)), f64x2.mul(bv, hi(xv))), ov));
        v128.store(at(pd, i), join(r0, r1));
      }
      for (let i = i4; i < inner; i++) {
        const r = <f64>load<f32>(at(pd, i)) + (a * <f64>load<f32>(at(pg, i)) - b * <f64>load<f32>(at(px, i)) + o);
        store<f32>(at(pd, i), <f32>r);
      }
    }
  }
}
