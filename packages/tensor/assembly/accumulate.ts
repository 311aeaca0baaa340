// Accumulations that JavaScript ran value by value in a transformer's step: a linear layer's
// bias gradient (sums down the rows), GELU's backward (ga += g·slope), a permutation of axes
// (a head split) with its backward, a residual sum and the gradient passed through it, and a
// division by a number (attention's 1/√d) with its backward. Each value goes through exactly the float operations of the
// JavaScript loop it replaces, in the same order, so the results are the same bits.

/**
 * out[o] += g[r·cols + o] for r = 0, 1, … rows − 1 in turn (float32 adds, one row after the
 * other, as a linear layer's bias gradient sums its batch): four columns per vector, held in a
 * register down the rows.
 */
export function addRows(g: usize, rows: i32, cols: i32, out: usize): void {
  const ld = <usize>cols << 2;
  let o = 0;
  for (; o + 16 <= cols; o += 16) {
    const at = out + (<usize>o << 2);
    let a0 = v128.load(at), a1 = v128.load(at, 16), a2 = v128.load(at, 32), a3 = v128.load(at, 48);
    let p = g + (<usize>o << 2);
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += ld;
    }
    v128.store(at, a0); v128.store(at, a1, 16); v128.store(at, a2, 32); v128.store(at, a3, 48);
  }
  for (; o + 4 <= cols; o += 4) {
    const at = out + (<usize>o << 2);
    let a = v128.load(at);
    let p = g + (<usize>o << 2);
    for (let r = 0; r < rows; r++) {
      a = f32x4.add(a, v128.load(p));
      p += ld;
    }
    v128.store(at, a);
  }
  for (; o < cols; o++) {
    const at = out + (<usize>o << 2);
    let a = load<f32>(at);
    let p = g + (<usize>o << 2);
    for (let r = 0; r < rows; r++) {
      a += load<f32>(p);
      p += ld;
    }
    store<f32>(at, a);
  }
}

/**
 * ga[i] += g[i]·s[i] the way JavaScript computes `ga[i] += g[i] * s[i]` on float32 arrays: in
 * float64 (the product of two floats is exact there), rounded to float32 once at the end.
 */
export function mulAdd(g: usize, s: usize, ga: usize, n: i32): void {
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) {
    const x = v128.load(g + off);
    const y = v128.load(s + off);
    const a = v128.load(ga + off);
    const lo = f64x2.add(f64x2.promote_low_f32x4(a), f64x2.mul(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y)));
    const hi = f64x2.add(
      f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 2, 3)),
      f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 2, 3)), f64x2.promote_low_f32x4(i32x4.shuffle(y, y, 2, 3, 2, 3))),
    );
    v128.store(ga + off, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(ga + o, <f32>(<f64>load<f32>(ga + o) + <f64>load<f32>(g + o) * <f64>load<f32>(s + o)));
  }
}

/**
 * A permutation of axes, walked over the output in order one run of its last axis at a time:
 * output values i … i + len − 1 are the input's base, base + step, … (`dims` holds the output's
 * shape, then the input stride of each output axis, `rank` i32 each). Forward copies `src` (the
 * input) into `dst`; `back` adds `src` (the output's gradient) into `dst` (the input's), float32
 * adds. A run whose input is contiguous (a head split keeps the last axis) moves as vectors.
 */
export function permuteRuns(src: usize, dst: usize, dims: usize, rank: i32, back: bool, idx: usize): void {
  let size: i32 = 1;
  for (let d = 0; d < rank; d++) size *= load<i32>(dims + (<usize>d << 2));
  if (size == 0) return;
  const len = rank == 0 ? 1 : load<i32>(dims + (<usize>(rank - 1) << 2));
  const step = rank == 0 ? 0 : load<i32>(dims + (<usize>(2 * rank - 1) << 2));
  const strides = dims + (<usize>rank << 2);
  for (let d = 0; d < rank - 1; d++) store<i32>(idx + (<usize>d << 2), 0);
  let base: i32 = 0;
  const vec = step == 1 ? len & ~3 : 0;
  for (let i = 0; i < size; i += len) {
    const out = (back ? src : dst) + (<usize>i << 2);
    const inp = (back ? dst : src) + (<usize>base << 2);
    let k = 0;
    if (back) {
      for (; k < vec; k += 4) v128.store(inp + (<usize>k << 2), f32x4.add(v128.load(inp + (<usize>k << 2)), v128.load(out + (<usize>k << 2))));
      for (; k < len; k++) {
        const j = inp + (<usize>(k * step) << 2);
        store<f32>(j, load<f32>(j) + load<f32>(out + (<usize>k << 2)));
      }
    } else {
      for (; k < vec; k += 4) v128.store(out + (<usize>k << 2), v128.load(inp + (<usize>k << 2)));
      for (; k < len; k++) store<f32>(out + (<usize>k << 2), load<f32>(inp + (<usize>(k * step) << 2)));
    }
    // the odometer over the outer axes, last first
    for (let d = rank - 2; d >= 0; d--) {
      const at = idx + (<usize>d << 2);
      const v = load<i32>(at) + 1;
      const st = load<i32>(strides + (<usize>d << 2));
      if (v < load<i32>(dims + (<usize>d << 2))) {
        store<i32>(at, v);
        base += st;
        break;
      }
      store<i32>(at, 0);
      base -= st * (v - 1);
    }
  }
}

/** out[i] = a[i] + b[i] (float32 adds: JavaScript's double sum rounds to the same float). */
export function addArrays(a: usize, b: usize, out: usize, n: i32): void {
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) v128.store(out + off, f32x4.add(v128.load(a + off), v128.load(b + off)));
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** out[i] = a[i] / b (float32 division: JavaScript's double quotient rounds to the same float). */
export function divScalar(a: usize, b: f32, out: usize, n: i32): void {
  const d = f32x4.splat(b);
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) v128.store(out + off, f32x4.div(v128.load(a + off), d));
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) / b);
  }
}

/** ga[i] += g[i]·c for a float64 c, as JavaScript computes it: in float64, rounded to float32 once (a division's backward, c = 1/b). */
export function scaleAdd(g: usize, c: f64, ga: usize, n: i32): void {
  const cc = f64x2.splat(c);
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) {
    const x = v128.load(g + off);
    const a = v128.load(ga + off);
    const lo = f64x2.add(f64x2.promote_low_f32x4(a), f64x2.mul(f64x2.promote_low_f32x4(x), cc));
    const hi = f64x2.add(f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 2, 3)), f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 2, 3)), cc));
    v128.store(ga + off, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(ga + o, <f32>(<f64>load<f32>(ga + o) + <f64>load<f32>(g + o) * c));
  }
}
