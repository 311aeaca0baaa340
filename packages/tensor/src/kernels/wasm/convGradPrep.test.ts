import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { layout } from './heap';
import { wasmKernels, withKernelBackend } from './runtime';

// The start of conv2d's backward pass on the wasm kernels (assembly/convGradPrep.ts), pooled
// ops over images (dOut) or channels (the bias gradient). The law for dOut is the scatter it
// replaced: zero dOut, then add (v > 0 ? g : 0) at each pooled window's winner, then mask by a
// fused ReLU's output; the law for both is that any split into ranges gives the same bits as one
// call over everything (what makes the thread pool's result independent of the thread count).

function kernels() {
  const k = withKernelBackend('wasm', wasmKernels);
  if (k === null) throw new Error('the WebAssembly SIMD kernels did not load in Node');
  return k;
}

/** Values that test the rule's edges: signed zeros, NaN, infinities, and ordinary numbers. */
const edgy = fc.oneof(fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1), fc.float({ noDefaultInfinity: true, noNaN: true }));

const prepCase = fc
  .record({ N: fc.integer({ min: 1, max: 4 }), OC: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 2, max: 19 }), W: fc.integer({ min: 2, max: 19 }), withY: fc.boolean(), cut: fc.nat() })
  .chain((d) => {
    const pooled = d.N * d.OC * (d.H >> 1) * (d.W >> 1);
    const out = d.N * d.OC * d.H * d.W;
    return fc.record({
      d: fc.constant(d),
      g: fc.array(edgy, { minLength: pooled, maxLength: pooled }),
      v: fc.array(edgy, { minLength: pooled, maxLength: pooled }),
      winner: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: pooled, maxLength: pooled }),
      y: fc.array(edgy, { minLength: out, maxLength: out }),
      garbage: fc.array(edgy, { minLength: out, maxLength: out }),
    });
  });

/** Each pooled entry's winner as a flat index over the batch's conv output (as maxPool2x2 writes it). */
function winners(N: number, OC: number, H: number, W: number, pick: number[]): Int32Array {
  const PH = H >> 1;
  const PW = W >> 1;
  const arg = new Int32Array(pick.length);
  let i = 0;
  for (let p = 0; p < N * OC; p++) {
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++, i++) arg[i] = p * H * W + (2 * ph + (pick[i] >> 1)) * W + 2 * pw + (pick[i] & 1);
    }
  }
  return arg;
}

/** The rule convGradPrep replaced, in float32: zero, scatter the ReLU-masked pooled gradient, mask by y. */
function reference(g: Float32Array, arg: Int32Array, v: Float32Array, y: Float32Array | null, outLen: number): Float32Array {
  const out = new Float32Array(outLen);
  for (let i = 0; i < g.length; i++) out[arg[i]] = Math.fround(out[arg[i]] + (v[i] > 0 ? g[i] : 0));
  if (y) for (let i = 0; i < outLen; i++) out[i] = y[i] > 0 ? 0 + out[i] : 0;
  return out;
}

/**
 * Runs convGradPrep over the images in the ranges `cuts` makes, last range first (so a range
 * that wrote past its own images would be caught: a later call would not repair it), into a
 * dOut that held `garbage`; `only` runs just that one range.
 */
function prep(d: { N: number; OC: number; H: number; W: number }, g: Float32Array | null, arg: Int32Array, v: Float32Array, y: Float32Array | null, garbage: Float32Array, cuts: number[], only = -1): Float32Array {
  const k = kernels();
  const { at, heap } = layout(k, [g?.length ?? 0, arg.length, v.length, garbage.length, garbage.length]);
  const [gI, aI, vI, yI, oI] = at;
  if (g) heap.set(g, gI);
  new Int32Array(heap.buffer, aI * 4, arg.length).set(arg);
  heap.set(v, vI);
  if (y) heap.set(y, yI);
  heap.set(garbage, oI);
  const bounds = [0, ...cuts, d.N];
  for (let c = bounds.length - 2; c >= 0; c--) {
    if (only < 0 || only === c) k.convGradPrep(g ? gI * 4 : 0, aI * 4, vI * 4, y ? yI * 4 : 0, oI * 4, d.OC, d.H, d.W, bounds[c], bounds[c + 1], 0, 0);
  }
  return heap.slice(oI, oI + garbage.length);
}

const sameBits = (a: Float32Array, b: Float32Array) => a.forEach((x, i) => expect(Object.is(x, b[i]), `index ${i}: ${x} vs ${b[i]}`).toBe(true));

describe('convGradPrep: dOut from a fused ReLU + 2×2 max pooling gradient', () => {
  test.prop([prepCase], { numRuns: 60 })(
    'dOut has the bits of zeroing and adding (v > 0 ? g : 0) at each winner, then masking by y (signed zeros, NaN, infinities, odd sizes), whatever it held before',
    ({ d, g, v, winner, y, garbage }) => {
      const [G, V, Y] = [Float32Array.from(g), Float32Array.from(v), Float32Array.from(y)];
      const arg = winners(d.N, d.OC, d.H, d.W, winner);
      const out = prep(d, G, arg, V, d.withY ? Y : null, Float32Array.from(garbage), []);
      sameBits(out, reference(G, arg, V, d.withY ? Y : null, garbage.length));
    },
  );

  test.prop([prepCase], { numRuns: 40 })('any split of the images into ranges gives the bits of one call over the batch', ({ d, g, v, winner, y, garbage }) => {
    const [G, V, Y, junk] = [Float32Array.from(g), Float32Array.from(v), Float32Array.from(y), Float32Array.from(garbage)];
    const arg = winners(d.N, d.OC, d.H, d.W, winner);
    const cuts = Array.from({ length: d.N - 1 }, (_, i) => i + 1).filter((_, i) => (d.cut >> i) & 1);
    sameBits(prep(d, G, arg, V, d.withY ? Y : null, junk, cuts), prep(d, G, arg, V, d.withY ? Y : null, junk, []));
  });

  test.prop([prepCase])('one range of images writes exactly those images\' dOut and leaves every other value as it was', ({ d, g, v, winner, y, garbage }) => {
    const [G, V, Y, junk] = [Float32Array.from(g), Float32Array.from(v), Float32Array.from(y), Float32Array.from(garbage)];
    const arg = winners(d.N, d.OC, d.H, d.W, winner);
    const cuts = Array.from({ length: d.N - 1 }, (_, i) => i + 1).filter((_, i) => (d.cut >> i) & 1);
    const bounds = [0, ...cuts, d.N];
    const per = d.OC * d.H * d.W;
    const whole = reference(G, arg, V, d.withY ? Y : null, junk.length);
    for (let c = 0; c + 1 < bounds.length; c++) {
      const out = prep(d, G, arg, V, d.withY ? Y : null, junk, cuts, c);
      const mine = (i: number) => i >= bounds[c] * per && i < bounds[c + 1] * per;
      out.forEach((x, i) => expect(Object.is(x, mine(i) ? whole[i] : junk[i]), `range ${c}, index ${i}`).toBe(true));
    }
  });

  test('a ReLU mask alone (no pooling) zeroes dOut where y ≤ 0 or y is NaN and keeps it, −0 made +0, elsewhere; only in its images', () => {
    const d = { N: 3, OC: 1, H: 2, W: 3 };
    const y = Float32Array.of(...[1, 0, -0, NaN, -2, 3], ...[1, 0, -0, NaN, -2, 3], ...[-1, -1, -1, -1, -1, -1]);
    const before = Float32Array.of(...[-0, 5, 6, 7, 8, -9], ...[-0, 5, 6, 7, 8, -9], ...[1, 2, 3, 4, 5, 6]);
    const out = prep(d, null, new Int32Array(0), new Float32Array(0), y, before, [1, 2], 1);
    sameBits(out, Float32Array.of(...[-0, 5, 6, 7, 8, -9], ...[0, 0, 0, 0, 0, -9], ...[1, 2, 3, 4, 5, 6]));
  });
});

describe('channelSums: the bias gradient over a range of channels', () => {
  const sumCase = fc.record({ N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 9 }), hw: fc.integer({ min: 1, max: 37 }), cut: fc.nat(), seed: fc.integer() });

  test.prop([sumCase], { numRuns: 40 })('each channel adds its planes, summed in float64 in the documented order, to what out held in float32; any split of the channels gives the same bits', ({ N, C, hw, cut, seed }) => {
    const g = Float32Array.from({ length: N * C * hw }, (_, i) => Math.sin(seed + 3 * i) * 10);
    const start = Float32Array.from({ length: C }, (_, c) => Math.cos(seed + c));
    const k = kernels();
    const run = (cuts: number[]) => {
      const { at, heap } = layout(k, [g.length, C]);
      heap.set(g, at[0]);
      heap.set(start, at[1]);
      const bounds = [0, ...cuts, C];
      for (let i = 0; i + 1 < bounds.length; i++) k.channelSums(at[0] * 4, N, C, hw, at[1] * 4, bounds[i], bounds[i + 1], 0, 0);
      return heap.slice(at[1], at[1] + C);
    };
    const whole = run([]);
    sameBits(run(Array.from({ length: C - 1 }, (_, i) => i + 1).filter((_, i) => (cut >> i) & 1)), whole);
    // the documented order, in float64: four lanes over the vector part, (l0 + l1) + (l2 + l3),
    // then the tail in order; each image's sum added to out[c] in float32, images in order
    for (let c = 0; c < C; c++) {
      let expected = start[c];
      for (let n = 0; n < N; n++) {
        const p = (n * C + c) * hw;
        const lanes = [0, 0, 0, 0];
        const h4 = hw & ~3;
        for (let i = 0; i < h4; i++) lanes[i & 3] += g[p + i];
        let s = lanes[0] + lanes[1] + (lanes[2] + lanes[3]);
        for (let i = h4; i < hw; i++) s += g[p + i];
        expected = Math.fround(expected + s);
      }
      expect(Object.is(whole[c], expected), `channel ${c}: ${whole[c]} vs ${expected}`).toBe(true);
    }
  });
});
