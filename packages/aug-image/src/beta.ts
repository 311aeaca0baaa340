import type { Rng } from '@trainkit/tensor';

/** A Gamma(shape, 1) sample (Marsaglia & Tsang; shape < 1 through Gamma(shape + 1)·U^(1/shape)). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * A Beta(a, b) sample, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). For tiny shapes where
 * both underflow to 0 the limit distribution (0 or 1 with odds b : a) is used.
 *
 * @example
 * sampleBeta(rng.stream('mixup'), 0.2, 0.2); // mostly near 0 or 1
 */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  if (x + y === 0) return rng.uniform() < a / (a + b) ? 1 : 0;
  return x / (x + y);
}
