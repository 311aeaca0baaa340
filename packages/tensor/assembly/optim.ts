// Fused optimizer update loops, bit-exact with the JS loops in @trainkit/optim-adam and
// @trainkit/optim-momentum: products of two float32 values are exact in float64, so
// float32(a + b·c) computed in f64 reproduces torch's fused multiply-add the way the JS
// code's Math.fround(a + b * c) does; every other operation is a plain float32 op.

/** float32(x + y·z) per lane, via f64 (z is a splat f64x2). */
@inline
function addMul(x: v128, y: v128, z: v128): v128 {
  const xh = i32x4.shuffle(x, x, 2, 3, 2, 3);
  const yh = i32x4.shuffle(y, y, 2, 3, 2, 3);
  const lo = f64x2.add(f64x2.promote_low_f32x4(x), f64x2.mul(f64x2.promote_low_f32x4(y), z));
  const hi = f64x2.add(f64x2.promote_low_f32x4(xh), f64x2.mul(f64x2.promote_low_f32x4(yh), z));
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** float32(x + y·z) per lane, via f64, all three per-lane vectors. */
@inline
function addMulV(x: v128, y: v128, z: v128): v128 {
  const xh = i32x4.shuffle(x, x, 2, 3, 2, 3);
  const yh = i32x4.shuffle(y, y, 2, 3, 2, 3);
  const zh = i32x4.shuffle(z, z, 2, 3, 2, 3);
  const lo = f64x2.add(f64x2.promote_low_f32x4(x), f64x2.mul(f64x2.promote_low_f32x4(y), f64x2.promote_low_f32x4(z)));
  const hi = f64x2.add(f64x2.promote_low_f32x4(xh), f64x2.mul(f64x2.promote_low_f32x4(yh), f64x2.promote_low_f32x4(zh)));
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

@inline
function addMul1(x: f32, y: f32, z: f64): f32 {
  return <f32>(<f64>x + <f64>y * z);
}

/** Flags for {@link adamStep}. */
const COUPLED_DECAY = 1; // g ← g + wd·p (Adam's weightDecay)
const AMSGRAD = 2; // s ← max(vmax, v)
const DECOUPLED_DECAY = 4; // p ← p·shrink first (AdamW)

/**
 * One Adam/AdamW/AMSGrad update of n parameters in place (torch.optim arithmetic):
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p + stepSize·m / (√s / bc2 + eps); both
 * moment updates end in one fused multiply-add, as torch's lerp_/addcmul_ kernels do.
 * Scalars arrive already rounded to float32 where the JS loop rounds them.
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, wd: f32, stepSize: f32, bc2: f32, shrink: f32, flags: i32,
): void {
  const coupled = (flags & COUPLED_DECAY) != 0;
  const amsgrad = (flags & AMSGRAD) != 0;
  const decoupled = (flags & DECOUPLED_DECAY) != 0;
  const b1v = f32x4.splat(b1), b2v = f32x4.splat(b2), c2v = f32x4.splat(c2);
  const epsv = f32x4.splat(eps), stepv = f32x4.splat(stepSize), bc2v = f32x4.splat(bc2), shrinkv = f32x4.splat(shrink);
  const c1d = f64x2.splat(<f64>c1), wdd = f64x2.splat(<f64>wd);
  const n4 = n & ~3;
  let off: usize = 0;
  const end = <usize>n4 << 2;
  for (; off < end; off += 16) {
    let pv = v128.load(p + off);
    if (decoupled) pv = f32x4.mul(pv, shrinkv);
    let gv = v128.load(g + off);
    if (coupled) gv = addMul(gv, pv, wdd);
    const mi = addMul(f32x4.mul(v128.load(m + off), b1v), gv, c1d);
    // v·β2 + ((1−β2)·g)·g with the last multiply-add fused, as torch's addcmul_
    const vi = addMulV(f32x4.mul(v128.load(v + off), b2v), f32x4.mul(c2v, gv), gv);
    v128.store(m + off, mi);
    v128.store(v + off, vi);
    let s = vi;
    if (amsgrad) {
      s = f32x4.max(v128.load(vmax + off), vi);
      v128.store(vmax + off, s);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(s), bc2v), epsv);
    v128.store(p + off, f32x4.add(pv, f32x4.div(f32x4.mul(stepv, mi), denom)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    let pi = load<f32>(p + o);
    if (decoupled) pi = pi * shrink;
    let gi = load<f32>(g + o);
    if (coupled) gi = addMul1(gi, pi, <f64>wd);
    const mi = addMul1(load<f32>(m + o) * b1, gi, <f64>c1);
    const vi = <f32>(<f64>(load<f32>(v + o) * b2) + <f64>(c2 * gi) * <f64>gi);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    let s = vi;
    if (amsgrad) {
      s = max(load<f32>(vmax + o), vi);
      store<f32>(vmax + o, s);
    }
    const denom = sqrt<f32>(s) / bc2 + eps;
    store<f32>(p + o, pi + (stepSize * mi) / denom);
  }
}

/**
 * One SGD-with-momentum update of n parameters in place (torch.optim.SGD arithmetic):
 * d = g + wd·p; buf ← first ? d : μ·buf + keep·d; p ← p + alpha·(nesterov ? d + μ·buf : buf).
 */
export function momentumStep(p: usize, g: usize, buf: usize, n: i32, alpha: f32, mu: f32, keep: f32, wd: f32, first: bool, nesterov: bool): void {
  const muv = f32x4.splat(mu);
  const mud = f64x2.splat(<f64>mu), keepd = f64x2.splat(<f64>keep), wdd = f64x2.splat(<f64>wd), alphad = f64x2.splat(<f64>alpha);
  const decay = wd != 0;
  const n4 = n & ~3;
  let off: usize = 0;
  const end = <usize>n4 << 2;
  if (!decay && !nesterov && keep == 1) {
    // The default (no decay, dampening or Nesterov): μ·buf + 1·d needs no fused multiply-add,
    // since d·1 is exact and so one float32 addition rounds the same way; only p + α·buf does.
    for (; off < end; off += 16) {
      const b = first ? v128.load(g + off) : f32x4.add(f32x4.mul(v128.load(buf + off), muv), v128.load(g + off));
      v128.store(buf + off, b);
      v128.store(p + off, addMul(v128.load(p + off), b, alphad));
    }
  }
  for (; off < end; off += 16) {
    const pv = v128.load(p + off);
    let d = v128.load(g + off);
    if (decay) d = addMul(d, pv, wdd);
    const b = first ? d : addMul(f32x4.mul(v128.load(buf + off), muv), d, keepd);
    v128.store(buf + off, b);
    const x = nesterov ? addMul(d, b, mud) : b;
    v128.store(p + off, addMul(pv, x, alphad));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (decay) d = addMul1(d, pi, <f64>wd);
    const b = first ? d : addMul1(load<f32>(buf + o) * mu, d, <f64>keep);
    store<f32>(buf + o, b);
    const x = nesterov ? addMul1(d, b, <f64>mu) : b;
    store<f32>(p + o, addMul1(pi, x, <f64>alpha));
  }
}

/**
 * Index of the first NaN or ±Inf among n float32 values, or −1 when all are finite. A value
 * is non-finite exactly when its exponent bits are all ones; the SIMD pass only ORs those
 * tests together, and the index is searched for only when one was seen.
 */
export function firstNonFinite(x: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7f800000);
  let seen = i32x4.splat(0);
  const n4 = n & ~3;
  const end = <usize>n4 << 2;
  for (let off: usize = 0; off < end; off += 16) {
    seen = v128.or(seen, i32x4.eq(v128.and(v128.load(x + off), expMask), expMask));
  }
  let any = v128.any_true(seen);
  for (let i = n4; i < n && !any; i++) any = (load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000;
  if (!any) return -1;
  for (let i = 0; i < n; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) return i;
  }
  return -1;
}

/**
 * One AdaGrad update of n parameters in place (torch.optim.Adagrad arithmetic):
 * g' = g + wd·p; sum ← sum + g'·g' (one fused multiply-add, as addcmul_);
 * p ← p + (clr·g') / (√sum + eps), where clr = −lr / (1 + (t − 1)·lrDecay).
 */
export function adagradStep(p: usize, g: usize, sum: usize, n: i32, clr: f32, wd: f32, eps: f32): void {
  const clrv = f32x4.splat(clr), epsv = f32x4.splat(eps), wdd = f64x2.splat(<f64>wd);
  const decay = wd != 0;
  const n4 = n & ~3;
  const end = <usize>n4 << 2;
  for (let off: usize = 0; off < end; off += 16) {
    const pv = v128.load(p + off);
    let gv = v128.load(g + off);
    if (decay) gv = addMul(gv, pv, wdd);
    const s = addMulV(v128.load(sum + off), gv, gv);
    v128.store(sum + off, s);
    v128.store(p + off, f32x4.add(pv, f32x4.div(f32x4.mul(clrv, gv), f32x4.add(f32x4.sqrt(s), epsv))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let gi = load<f32>(g + o);
    if (decay) gi = addMul1(gi, pi, <f64>wd);
    const s = <f32>(<f64>load<f32>(sum + o) + <f64>gi * <f64>gi);
    store<f32>(sum + o, s);
    store<f32>(p + o, pi + (clr * gi) / (sqrt<f32>(s) + eps));
  }
}

/** Flags for {@link rmspropStep}. */
const CENTERED = 1;
const MOMENTUM = 2;

/**
 * One RMSProp update of n parameters in place (torch.optim.RMSprop arithmetic):
 * g' = g + wd·p; sq ← α·sq + ((1−α)·g')·g' (fused, as addcmul_); centered: ḡ ← α·ḡ + (1−α)·g'
 * (fused, as lerp) and avg = √(sq − ḡ²) + eps (the subtraction fused, as addcmul_ with −1),
 * else avg = √sq + eps; with momentum buf ← μ·buf + g'/avg and p ← p − lr·buf (fused),
 * else p ← p + (−lr·g') / avg.
 */
export function rmspropStep(p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32, alpha: f32, c: f32, eps: f32, wd: f32, mu: f32, negLr: f32, flags: i32): void {
  const centered = (flags & CENTERED) != 0;
  const momentum = (flags & MOMENTUM) != 0;
  const av = f32x4.splat(alpha), cv = f32x4.splat(c), epsv = f32x4.splat(eps), muv = f32x4.splat(mu), lrv = f32x4.splat(negLr);
  const wdd = f64x2.splat(<f64>wd), cd = f64x2.splat(<f64>c), lrd = f64x2.splat(<f64>negLr);
  const decay = wd != 0;
  const n4 = n & ~3;
  const end = <usize>n4 << 2;
  for (let off: usize = 0; off < end; off += 16) {
    const pv = v128.load(p + off);
    let gv = v128.load(g + off);
    if (decay) gv = addMul(gv, pv, wdd);
    const s = addMulV(f32x4.mul(v128.load(sq + off), av), f32x4.mul(cv, gv), gv);
    v128.store(sq + off, s);
    let avg: v128;
    if (centered) {
      const m = addMul(f32x4.mul(v128.load(ga + off), av), gv, cd);
      v128.store(ga + off, m);
      avg = f32x4.add(f32x4.sqrt(addMulV(s, m, f32x4.neg(m))), epsv);
    } else {
      avg = f32x4.add(f32x4.sqrt(s), epsv);
    }
    if (momentum) {
      const b = f32x4.add(f32x4.mul(v128.load(buf + off), muv), f32x4.div(gv, avg));
      v128.store(buf + off, b);
      v128.store(p + off, addMul(pv, b, lrd));
    } else {
      v128.store(p + off, f32x4.add(pv, f32x4.div(f32x4.mul(lrv, gv), avg)));
    }
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let gi = load<f32>(g + o);
    if (decay) gi = addMul1(gi, pi, <f64>wd);
    const s = <f32>(<f64>(load<f32>(sq + o) * alpha) + <f64>(c * gi) * <f64>gi);
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const m = addMul1(load<f32>(ga + o) * alpha, gi, <f64>c);
      store<f32>(ga + o, m);
      avg = sqrt<f32>(<f32>(<f64>s - <f64>m * <f64>m)) + eps;
    } else {
      avg = sqrt<f32>(s) + eps;
    }
    if (momentum) {
      const b = load<f32>(buf + o) * mu + gi / avg;
      store<f32>(buf + o, b);
      store<f32>(p + o, addMul1(pi, b, <f64>negLr));
    } else {
      store<f32>(p + o, pi + (negLr * gi) / avg);
    }
  }
}

/** The `i`-th array pointer of an {@link optimChunk} call, moved to element `lo` (0 stays 0: an unused slot). */
@inline
function chunkPtr(ptrs: usize, i: i32, off: usize): usize {
  const q = <usize>load<u32>(ptrs + (<usize>i << 2));
  return q == 0 ? 0 : q + off;
}

/** The `i`-th f32 scalar of an {@link optimChunk} call. */
@inline
function scalar(scalars: usize, i: i32): f32 {
  return load<f32>(scalars + (<usize>i << 2));
}

/**
 * A thread pool's unit of an optimizer update: elements [lo, hi) of the update `kind` (0 Adam,
 * 1 momentum, 2 AdaGrad, 3 RMSProp), whose array pointers (u32 bytes, 0 for none) are at `ptrs`
 * and scalars (f32, in the order of that kernel's parameters after n; flags as f32) at
 * `scalars`. Every element is updated on its own, so any split gives the same bits.
 */
export function optimChunk(kind: i32, ptrs: usize, scalars: usize, lo: i32, hi: i32, _work: usize): void {
  const off = <usize>lo << 2;
  const n = hi - lo;
  const p = chunkPtr(ptrs, 0, off), g = chunkPtr(ptrs, 1, off), a = chunkPtr(ptrs, 2, off);
  if (kind == 0) {
    adamStep(p, g, a, chunkPtr(ptrs, 3, off), chunkPtr(ptrs, 4, off), n,
      scalar(scalars, 0), scalar(scalars, 1), scalar(scalars, 2), scalar(scalars, 3), scalar(scalars, 4),
      scalar(scalars, 5), scalar(scalars, 6), scalar(scalars, 7), scalar(scalars, 8), <i32>scalar(scalars, 9));
  } else if (kind == 1) {
    momentumStep(p, g, a, n, scalar(scalars, 0), scalar(scalars, 1), scalar(scalars, 2), scalar(scalars, 3), scalar(scalars, 4) != 0, scalar(scalars, 5) != 0);
  } else if (kind == 2) {
    adagradStep(p, g, a, n, scalar(scalars, 0), scalar(scalars, 1), scalar(scalars, 2));
  } else {
    rmspropStep(p, g, a, chunkPtr(ptrs, 3, off), chunkPtr(ptrs, 4, off), n,
      scalar(scalars, 0), scalar(scalars, 1), scalar(scalars, 2), scalar(scalars, 3), scalar(scalars, 4), scalar(scalars, 5), <i32>scalar(scalars, 6));
  }
}

/**
 * A thread pool's unit of {@link firstNonFinite}: scans x[lo, hi) and lowers the i32 at `out`
 * (−1: none found yet) to the first bad index in it, so after every chunk ran it holds the
 * first bad index of all of x, whatever order the chunks ran in.
 */
export function firstNonFiniteChunk(x: usize, out: usize, _unused: i32, lo: i32, hi: i32, _work: usize): void {
  const i = firstNonFinite(x + (<usize>lo << 2), hi - lo);
  if (i < 0) return;
  const found = lo + i;
  if (ASC_FEATURE_THREADS) {
    let cur = atomic.load<i32>(out);
    while (cur < 0 || found < cur) {
      const prev = atomic.cmpxchg<i32>(out, cur, found);
      if (prev == cur) break;
      cur = prev;
    }
  } else {
    const cur = load<i32>(out);
    if (cur < 0 || found < cur) store<i32>(out, found);
  }
}
