// The first part of conv2d's backward pass, as pool ops over a range of the batch or of the
// output channels: dOut of the convolution built from a fused ReLU + 2×2 max pooling's gradient
// (or masked by a fused ReLU), and the bias gradient. Each chunk writes only its own images'
// (or channels') values, each in the single-threaded order, so any split gives the same bits.
import { reluMask } from './elementwise';

/**
 * dOut [N, OC, H, W] of a convolution for images n0 ≤ n < n1. With a fused ReLU + 2×2 max
 * pooling's gradient (`g` ≠ 0; `v` the pooled values, `arg` the winners' flat indices over the
 * whole batch, as maxPool2x2 writes them, PH×PW = (H >> 1)×(W >> 1) per plane): the images'
 * dOut zeroed, then (v > 0 ? g : 0) added at each window's winner (a window whose maximum the
 * ReLU cut passes nothing back). Then, with a fused ReLU's output (`y` ≠ 0), masked where
 * y ≤ 0 (reluMask). `scratch` and `work` are unused (the pool's calling convention).
 */
export function convGradPrep(g: usize, arg: usize, v: usize, y: usize, gout: usize, OC: i32, H: i32, W: i32, n0: i32, n1: i32, scratch: usize, work: usize): void {
  const hw = H * W;
  const at = <usize>(n0 * OC * hw) << 2;
  if (g != 0) {
    memory.fill(gout + at, 0, <usize>((n1 - n0) * OC * hw) << 2);
    const phw = (H >> 1) * (W >> 1);
    for (let i = n0 * OC * phw; i < n1 * OC * phw; i++) {
      const o = <usize>i << 2;
      const d = gout + (<usize>load<i32>(arg + o) << 2);
      store<f32>(d, load<f32>(d) + (load<f32>(v + o) > 0 ? load<f32>(g + o) : 0));
    }
  }
  if (y != 0) reluMask(y + at, gout + at, (n1 - n0) * OC * hw);
}

/**
 * out[c] += Σ over n and i of g[n][c][i] for channels c0 ≤ c < c1 of g [N, C, hw] (the bias
 * gradient): each (n, c) plane summed in float64 (two lanes, then the pair) and added to out[c]
 * in float32, n in order. `scratch` and `work` are unused (the pool's calling convention).
 */
export function channelSums(g: usize, N: i32, C: i32, hw: i32, out: usize, c0: i32, c1: i32, scratch: usize, work: usize): void {
  const h4 = hw & ~3;
  for (let c = c0; c < c1; c++) {
    const d = out + (<usize>c << 2);
    for (let n = 0; n < N; n++) {
      const p = g + ((<usize>(n * C + c) * hw) << 2);
      let a = f64x2.splat(0), b = f64x2.splat(0);
      for (let i = 0; i < h4; i += 4) {
        const x = v128.load(p + (<usize>i << 2));
        a = f64x2.add(a, f64x2.promote_low_f32x4(x));
        b = f64x2.add(b, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 2, 3)));
      }
      let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
      for (let i = h4; i < hw; i++) s += <f64>load<f32>(p + (<usize>i << 2));
      store<f32>(d, <f32>(<f64>load<f32>(d) + s));
    }
  }
}
