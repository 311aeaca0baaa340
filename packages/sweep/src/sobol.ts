/**
 * The Sobol sequence in base 2 for up to 16 dimensions, with a digital shift.
 * Direction numbers: Joe & Kuo (2008), new-joe-kuo-6.21201, dimensions 2–16 (dimension 1 is
 * the van der Corput sequence).
 */

/** [s, a, m_1 … m_s] per dimension from the second on: the primitive polynomial's degree and coefficients, and the initial m. */
const JOE_KUO: ReadonlyArray<readonly number[]> = [
  [1, 0, 1],
  [2, 1, 1, 3],
  [3, 1, 1, 3, 1],
  [3, 2, 1, 1, 1],
  [4, 1, 1, 1, 3, 3],
  [4, 4, 1, 3, 5, 13],
  [5, 2, 1, 1, 5, 5, 17],
  [5, 4, 1, 1, 5, 5, 5],
  [5, 7, 1, 1, 7, 11, 19],
  [5, 11, 1, 1, 5, 1, 1],
  [5, 13, 1, 1, 1, 3, 11],
  [5, 14, 1, 3, 5, 5, 31],
  [6, 1, 1, 3, 3, 9, 7, 49],
  [6, 13, 1, 1, 1, 15, 21, 21],
  [6, 16, 1, 3, 1, 13, 27, 49],
];

export const SOBOL_MAX_DIMS = JOE_KUO.length + 1;
const BITS = 32;

/** The 32 direction numbers V_1 … V_32 (as 32-bit fractions) of each dimension. */
const DIRECTIONS: Uint32Array[] = [
  Uint32Array.from({ length: BITS }, (_, k) => 2 ** (BITS - 1 - k)),
  ...JOE_KUO.map(([s, a, ...m]) => {
    const v = new Uint32Array(BITS);
    for (let k = 0; k < BITS; k++) {
      if (k < s) v[k] = m[k] * 2 ** (BITS - 1 - k);
      else {
        let x = v[k - s] ^ (v[k - s] >>> s);
        for (let l = 1; l < s; l++) if ((a >>> (s - 1 - l)) & 1) x ^= v[k - l];
        v[k] = x >>> 0;
      }
    }
    return v;
  }),
];

/** Point `index` of the sequence in [0, 1)^shift.length, each coordinate XORed with its shift. */
export function sobolPoint(index: number, shift: readonly number[]): number[] {
  return shift.map((s, d) => {
    let x = 0;
    for (let k = 0, i = index; i > 0; k++, i = Math.floor(i / 2)) if (i % 2 === 1) x ^= DIRECTIONS[d][k];
    return ((x ^ s) >>> 0) / 2 ** BITS;
  });
}
