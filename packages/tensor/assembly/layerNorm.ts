// LayerNorm with weight and bias over rows of contiguous floats, four lanes at a time, in
// float32 (PyTorch's CPU kernel also accumulates a float tensor's statistics in float): the
// JavaScript kernel keeps them in float64, so the two agree to float32 rounding, not bit for bit.

/** Σ of n floats at p: four lane sums, then lanes 0 + 1 + 2 + 3, then the tail in order. */
@inline function rowSum(p: usize, n: i32): f32 {
  const full = n & ~3;
  let v = f32x4.splat(0);
  for (let i = 0; i < full; i += 4) v = f32x4.add(v, v128.load(p + (<usize>i << 2)));
  let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
  for (let i = full; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

/**
 * For each of `rows` rows of `len` floats of x: x̂ = (x − mean)/√(var + eps) (biased variance)
 * into xhat, 1/√(var + eps) into inv[row], and y = x̂·w + b.
 */
export function layerNormRows(x: usize, w: usize, b: usize, rows: i32, len: i32, eps: f32, xhat: usize, inv: usize, y: usize): void {
  const full = len & ~3;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * len) << 2;
    const mean = rowSum(x + o, len) / <f32>len;
    const mv = f32x4.splat(mean);
    let vv = f32x4.splat(0);
    for (let i = 0; i < full; i += 4) {
      const d = f32x4.sub(v128.load(x + o + (<usize>i << 2)), mv);
      vv = f32x4.add(vv, f32x4.mul(d, d));
    }
    let v = f32x4.extract_lane(vv, 0) + f32x4.extract_lane(vv, 1) + f32x4.extract_lane(vv, 2) + f32x4.extract_lane(vv, 3);
    for (let i = full; i < len; i++) {
      const d = load<f32>(x + o + (<usize>i << 2)) - mean;
      v += d * d;
    }
    const s: f32 = <f32>1 / sqrt<f32>(v / <f32>len + eps);
    store<f32>(inv + (<usize>r << 2), s);
    const sv = f32x4.splat(s);
    for (let i = 0; i < full; i += 4) {
      const j = <usize>i << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(x + o + j), mv), sv);
      v128.store(xhat + o + j, h);
      v128.store(y + o + j, f32x4.add(f32x4.mul(h, v128.load(w + j)), v128.load(b + j)));
    }
    for (let i = full; i < len; i++) {
      const j = <usize>i << 2;
      const h = (load<f32>(x + o + j) - mean) * s;
      store<f32>(xhat + o + j, h);
      store<f32>(y + o + j, h * load<f32>(w + j) + load<f32>(b + j));
    }
  }
}

/**
 * The backward of {@link layerNormRows} from the output gradient g: gw += Σ g·x̂ and gb += Σ g
 * over the rows (when `dw`), and gx += (g·w − mean(g·w) − x̂·mean(g·w·x̂))·inv per row (when `dx`).
 */
export function layerNormRowsBackward(g: usize, xhat: usize, w: usize, inv: usize, rows: i32, len: i32, gx: usize, gw: usize, gb: usize, dx: bool, dw: bool): void {
  const full = len & ~3;
  const n = <f32>len;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * len) << 2;
    let sv = f32x4.splat(0);
    let syv = f32x4.splat(0);
    for (let i = 0; i < full; i += 4) {
      const j = <usize>i << 2;
      const gr = v128.load(g + o + j);
      const h = v128.load(xhat + o + j);
      if (dw) {
        v128.store(gb + j, f32x4.add(v128.load(gb + j), gr));
        v128.store(gw + j, f32x4.add(v128.load(gw + j), f32x4.mul(gr, h)));
      }
      const gh = f32x4.mul(gr, v128.load(w + j));
      sv = f32x4.add(sv, gh);
      syv = f32x4.add(syv, f32x4.mul(gh, h));
    }
    let sg = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    let sgy = f32x4.extract_lane(syv, 0) + f32x4.extract_lane(syv, 1) + f32x4.extract_lane(syv, 2) + f32x4.extract_lane(syv, 3);
    for (let i = full; i < len; i++) {
      const j = <usize>i << 2;
      const gr = load<f32>(g + o + j);
      const h = load<f32>(xhat + o + j);
      if (dw) {
        store<f32>(gb + j, load<f32>(gb + j) + gr);
        store<f32>(gw + j, load<f32>(gw + j) + gr * h);
      }
      const gh = gr * load<f32>(w + j);
      sg += gh;
      sgy += gh * h;
    }
    if (!dx) continue;
    const s = load<f32>(inv + (<usize>r << 2));
    const mg = sg / n;
    const mgy = sgy / n;
    const mgv = f32x4.splat(mg);
    const mgyv = f32x4.splat(mgy);
    const svv = f32x4.splat(s);
    for (let i = 0; i < full; i += 4) {
      const j = <usize>i << 2;
      const gh = f32x4.mul(v128.load(g + o + j), v128.load(w + j));
      const t = f32x4.sub(f32x4.sub(gh, mgv), f32x4.mul(v128.load(xhat + o + j), mgyv));
      v128.store(gx + o + j, f32x4.add(v128.load(gx + o + j), f32x4.mul(t, svv)));
    }
    for (let i = full; i < len; i++) {
      const j = <usize>i << 2;
      const gh = load<f32>(g + o + j) * load<f32>(w + j);
      store<f32>(gx + o + j, load<f32>(gx + o + j) + (gh - mg - load<f32>(xhat + o + j) * mgy) * s);
    }
  }
}
