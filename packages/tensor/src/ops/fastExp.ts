/**
 * e^x for the x ≤ 0 of a softmax (x − max), in float64, within 1e-15 relative of Math.exp.
 * Math.exp cost ~10 ns a value here (V8 calls out for it) and was most of a ViT's softmax; this
 * is ~5 ns: x = k·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^(k>>6) · 2^((k&63)/64) · p(r), p a
 * degree-5 Taylor polynomial (its error below 4e-17), k rounded by the 1.5·2^52 trick
 * (Math.round also calls out). The float32 results it feeds are Math.exp's in all but ~1e-8 of
 * cases. Below −708 it returns 0 (a float32 softmax rounds those terms to 0 anyway); x > 0, NaN
 * and −∞ take Math.exp.
 */
export function expNonPositive(x: number): number {
  if (!(x <= 0 && x > -708)) return x <= -708 ? 0 : Math.exp(x);
  const kd = x * STEPS_PER_LN2 + ROUND - ROUND;
  const r = x - kd * LN2_HI - kd * LN2_LO;
  const k = kd | 0;
  const p = 1 + r * (1 + r * (0.5 + r * (C3 + r * (C4 + r * C5))));
  return TWO_TO_MINUS[-(k >> 6)] * TWO_TO_FRACTION[k & 63] * p;
}

const STEPS_PER_LN2 = 64 / Math.LN2;
const ROUND = 1.5 * 2 ** 52;
/**
 * ln2/64 in two parts that sum to ln 2 far beyond double precision (the split fdlibm uses, over
 * 64): the first has 32 significant bits, so kd·LN2_HI is exact for |kd| < 2^21. Math.LN2 alone
 * is off by up to 1e-16 relative, which k ≈ 65,000 steps would magnify to 1e-13.
 */
const LN2_HI = 6.9314718036912381649e-1 / 64;
const LN2_LO = 1.9082149292705877e-10 / 64;
const [C3, C4, C5] = [1 / 6, 1 / 24, 1 / 120];
/** 2^(j/64), j = 0 … 63. */
const TWO_TO_FRACTION = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
/** 2^−q, q = 0 … 1022 (x > −708 keeps k>>6 ≥ −1022: every factor a normal number). */
const TWO_TO_MINUS = Float64Array.from({ length: 1023 }, (_, q) => 2 ** -q);
