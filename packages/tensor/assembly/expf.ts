// e^x in float32 on four lanes, as Cephes' expf computes it: x = n·ln2 + r with |r| ≤ ln2/2, a
// polynomial in r, and 2^n put into the exponent bits; within 2 ulp. Used by softmax and GELU.

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

/** e^x on four lanes of x ≤ 0 (softmax shifts by the row's max, GELU takes −x²/2; larger x would overflow the exponent bits); NaN stays NaN. */
@inline export function exp4(x: v128): v128 {
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
