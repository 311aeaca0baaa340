// Element-wise kernels whose JS loops branch on the sign of every value (relu) or on
// every comparison of a window (max pooling): SIMD selects instead of branches.

/**
 * Zeroes n floats at p (a bulk memory.fill): for arrays in a shared memory, where a typed
 * array's own fill is several times slower than this.
 */
export function zeroFill(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

/** y = max(x, 0); NaN propagates (as PyTorch's relu), max(−0, 0) = +0. */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) v128.store(y + off, f32x4.max(v128.load(x + off), zero));
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(x + o), 0));
  }
}

/** ga += g where y > 0 (entries elsewhere are left exactly as they were). */
export function reluBackward(y: usize, g: usize, ga: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) {
    const a = v128.load(ga + off);
    v128.store(ga + off, v128.bitselect(f32x4.add(a, v128.load(g + off)), a, f32x4.gt(v128.load(y + off), zero)));
  }
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(y + o) > 0) store<f32>(ga + o, load<f32>(ga + o) + load<f32>(g + o));
  }
}

/**
 * g ← 0 + g where y > 0, else +0, in place: the gradient through a fused ReLU, the same values
 * reluBackward adds into a zeroed buffer.
 */
export function reluMask(y: usize, g: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let off: usize = 0;
  const end = <usize>(n & ~3) << 2;
  for (; off < end; off += 16) {
    v128.store(g + off, v128.bitselect(f32x4.add(zero, v128.load(g + off)), zero, f32x4.gt(v128.load(y + off), zero)));
  }
  for (let i = n & ~3; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(g + o, load<f32>(y + o) > 0 ? 0 + load<f32>(g + o) : 0);
  }
}

/** Takes candidate c (index ci) over best (index bi) when c > best or c is NaN: the JS scan's rule. */
@inline
function take(c: v128, ci: v128, best: v128, bi: v128, out: usize, outIdx: usize): void {
  const m = v128.or(f32x4.gt(c, best), f32x4.ne(c, c));
  v128.store(out, v128.bitselect(c, best, m));
  v128.store(outIdx, v128.bitselect(ci, bi, m));
}

/**
 * 2×2 max pooling, stride 2, no padding, over `planes` planes of H×W (H, W even or not:
 * the last row/column is dropped as in the general kernel). Writes the max to `y` and the
 * flat input index of the winner to `arg` (first maximum in (kh, kw) order; NaN wins).
 */
export function maxPool2x2(x: usize, planes: i32, H: i32, W: i32, y: usize, arg: usize, base: i32): void {
  const OH = H >> 1;
  const OW = W >> 1;
  const OW4 = OW & ~3;
  const lane = i32x4(0, 2, 4, 6);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = base + p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = plane + 2 * oh * W;
      const r1 = r0 + W;
      const s0 = x + (<usize>(r0 - base) << 2);
      const s1 = x + (<usize>(r1 - base) << 2);
      let ow = 0;
      for (; ow < OW4; ow += 4) {
        const a0 = v128.load(s0 + (<usize>ow << 3));
        const a1 = v128.load(s0 + (<usize>ow << 3), 16);
        const b0 = v128.load(s1 + (<usize>ow << 3));
        const b1 = v128.load(s1 + (<usize>ow << 3), 16);
        const e0 = i32x4.shuffle(a0, a1, 0, 2, 4, 6);
        const o0 = i32x4.shuffle(a0, a1, 1, 3, 5, 7);
        const e1 = i32x4.shuffle(b0, b1, 0, 2, 4, 6);
        const o1 = i32x4.shuffle(b0, b1, 1, 3, 5, 7);
        const i00 = i32x4.add(i32x4.splat(r0 + 2 * ow), lane);
        const one = i32x4.splat(1);
        const wv = i32x4.splat(W);
        // scan order: (0,0), (0,1), (1,0), (1,1)
        let best = e0;
        let bi = i00;
        let m = v128.or(f32x4.gt(o0, best), f32x4.ne(o0, o0));
        best = v128.bitselect(o0, best, m);
        bi = v128.bitselect(i32x4.add(i00, one), bi, m);
        m = v128.or(f32x4.gt(e1, best), f32x4.ne(e1, e1));
        best = v128.bitselect(e1, best, m);
        bi = v128.bitselect(i32x4.add(i00, wv), bi, m);
        const i11 = i32x4.add(i32x4.add(i00, wv), one);
        take(o1, i11, best, bi, y + (o << 2), arg + (o << 2));
        o += 4;
      }
      for (; ow < OW; ow++) {
        let best = load<f32>(s0 + (<usize>ow << 3));
        let bi = r0 + 2 * ow;
        const c1 = load<f32>(s0 + (<usize>ow << 3), 4);
        if (c1 > best || c1 != c1) { best = c1; bi = r0 + 2 * ow + 1; }
        const c2 = load<f32>(s1 + (<usize>ow << 3));
        if (c2 > best || c2 != c2) { best = c2; bi = r1 + 2 * ow; }
        const c3 = load<f32>(s1 + (<usize>ow << 3), 4);
        if (c3 > best || c3 != c3) { best = c3; bi = r1 + 2 * ow + 1; }
        store<f32>(y + (o << 2), best);
        store<i32>(arg + (o << 2), bi);
        o++;
      }
    }
  }
}

/** gx[arg[i] − base] += g[i] for i < n (the max-pooling gradient scatter). */
export function scatterAdd(g: usize, arg: usize, n: i32, gx: usize, base: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = gx + (<usize>(load<i32>(arg + o) - base) << 2);
    store<f32>(d, load<f32>(d) + load<f32>(g + o));
  }
}
