// BatchNorm's four passes in JavaScript: the reference for the WebAssembly kernels in
// assembly/batchNorm.ts (same arguments, same arithmetic; only the order in which the float64
// sums add up differs) and the fallback where they do not run. Per-channel arrays are float64 and
// packed: sums [2C], output coefficients [2C], input-gradient coefficients [3C].

/** x [N, C, inner]: channel c's values are the planes (n, c) of `inner` floats at (n·C + c)·inner. */
export interface ChannelLayout {
  N: number;
  C: number;
  inner: number;
}

/**
 * sums[c] += Σ d and sums[C + c] += Σ d² over channel c's values, d = x − x[c·inner]: the
 * channel's first value as a shift, which keeps Σd² − (Σd)²/M free of cancellation.
 */
export function channelMoments(X: Float32Array, { N, C, inner }: ChannelLayout, sums: Float64Array): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const k = X[c * inner];
      // two independent chains per sum: one chain of float64 additions runs at one per add latency
      let s0 = 0, s1 = 0, q0 = 0, q1 = 0;
      const end2 = base + (inner & ~1);
      for (let i = base; i < end2; i += 2) {
        const d0 = X[i] - k;
        const d1 = X[i + 1] - k;
        s0 += d0;
        q0 += d0 * d0;
        s1 += d1;
        q1 += d1 * d1;
      }
      if (end2 < base + inner) {
        const d = X[end2] - k;
        s0 += d;
        q0 += d * d;
      }
      sums[c] += s0 + s1;
      sums[C + c] += q0 + q1;
    }
  }
}

/** Y = X·coef[c] + coef[C + c] per channel, in float64 and rounded once. */
export function normalizeChannels(X: Float32Array, Y: Float32Array, { N, C, inner }: ChannelLayout, coef: Float64Array): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const a = coef[c];
      const b = coef[C + c];
      for (let i = base; i < base + inner; i++) Y[i] = X[i] * a + b;
    }
  }
}

/** sums[c] += Σ g and sums[C + c] += Σ g·(x − mean[c]) over channel c's values, in float64. */
export function channelGradSums(G: Float32Array, X: Float32Array, { N, C, inner }: ChannelLayout, mean: Float64Array, sums: Float64Array): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const mu = mean[c];
      let sg0 = 0, sg1 = 0, sgx0 = 0, sgx1 = 0;
      const end2 = base + (inner & ~1);
      for (let i = base; i < end2; i += 2) {
        sg0 += G[i];
        sgx0 += G[i] * (X[i] - mu);
        sg1 += G[i + 1];
        sgx1 += G[i + 1] * (X[i + 1] - mu);
      }
      if (end2 < base + inner) {
        sg0 += G[end2];
        sgx0 += G[end2] * (X[end2] - mu);
      }
      sums[c] += sg0 + sg1;
      sums[C + c] += sgx0 + sgx1;
    }
  }
}

/** dx += a·g − b·x + o per channel, a, b, o = coef[c], coef[C + c], coef[2C + c]; float64, rounded once. */
export function inputGradChannels(dx: Float32Array, G: Float32Array, X: Float32Array, { N, C, inner }: ChannelLayout, coef: Float64Array): void {
  for (let c = 0; c < C; c++) {
    const a = coef[c];
    const b = coef[C + c];
    const o = coef[2 * C + c];
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = base; i < base + inner; i++) dx[i] += a * G[i] - b * X[i] + o;
    }
  }
}
