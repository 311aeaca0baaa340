import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Rng } from '../../rng';
import type { ConvGeometry } from '../im2col';
import type { WasmKernels } from './abi';
import { flipTransposed, transposed, wasmConv2dBackward, wasmConv2dForward } from './conv';
import { gemmWorkOf, layout } from './heap';
import { wasmKernels, withKernelBackend } from './runtime';

// The conv GEMMs pack B straight from the zero-padded image (assembly/convGemm.ts). They must
// give the bits of the path they replaced: unfold each image with im2col, then run the GEMM on
// the columns (forward: W·cols; weight gradient: dOut·colsᵀ summed over the images in order;
// input gradient: col2im(Wᵀ·dOut), or at stride 1 the flipped weights times the unfolded dOut).
// The reference below runs that path with the same module's im2col, gemm and col2im exports,
// one image at a time; under kernels:threads the conv runs on the pool (images and dW's
// columns split across threads) and must still match.

interface Case {
  C: number;
  OC: number;
  H: number;
  W: number;
  K: [number, number];
  stride: [number, number];
  pad: [number, number];
  dilation: [number, number];
  N: number;
  seed: number;
}

function geometry(c: Case): ConvGeometry {
  const OH = Math.floor((c.H + 2 * c.pad[0] - c.dilation[0] * (c.K[0] - 1) - 1) / c.stride[0]) + 1;
  const OW = Math.floor((c.W + 2 * c.pad[1] - c.dilation[1] * (c.K[1] - 1) - 1) / c.stride[1]) + 1;
  return { C: c.C, H: c.H, W: c.W, KH: c.K[0], KW: c.K[1], OH, OW, strideH: c.stride[0], strideW: c.stride[1], padH: c.pad[0], padW: c.pad[1], dilationH: c.dilation[0], dilationW: c.dilation[1] };
}

const geoArgs = (g: ConvGeometry) => [g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW] as const;

/**
 * out, dW and dX of the unfold-then-GEMM path, image by image, on the module's exports. For a
 * stride-1 layer whose input gradient runs as a forward convolution of dOut (conv.ts's
 * `transposed`), dX is that convolution unfolded: im2col of dOut, then the flipped weights' GEMM.
 */
function reference(k: WasmKernels, g: ConvGeometry, OC: number, N: number, t: Record<'x' | 'w' | 'b' | 'gout' | 'gw' | 'gx', Float32Array>) {
  const ckk = g.C * g.KH * g.KW;
  const ohw = g.OH * g.OW;
  const chw = g.C * g.H * g.W;
  const gt = transposed(g, OC);
  const { at, heap } = layout(k, [t.x.length, t.w.length, OC, t.gout.length, t.gout.length, t.gw.length, t.gx.length, Math.max(ckk * ohw, OC * g.KH * g.KW * chw / g.C), t.w.length]);
  const [xI, wI, bI, goutI, outI, gwI, gxI, colsI, wfI] = at;
  if (gt !== null) flipTransposed(heap, wfI, t.w, OC, g.C, g.KH, g.KW);
  [t.x, t.w, t.b, t.gout].forEach((a, i) => heap.set(a, [xI, wI, bI, goutI][i]));
  heap.set(t.gw, gwI);
  heap.set(t.gx, gxI);
  const work = gemmWorkOf(k, 0);
  for (let n = 0; n < N; n++) {
    const o = outI + n * OC * ohw;
    for (let oc = 0; oc < OC; oc++) heap.fill(heap[bI + oc], o + oc * ohw, o + (oc + 1) * ohw);
    k.im2col((xI + n * chw) * 4, ...geoArgs(g), colsI * 4);
    k.gemm(0, 0, OC, ohw, ckk, wI * 4, colsI * 4, o * 4, ohw, 1, work);
    k.gemm(0, 1, OC, ckk, ohw, (goutI + n * OC * ohw) * 4, colsI * 4, gwI * 4, ckk, 1, work);
    if (gt !== null) {
      const hw = g.H * g.W;
      k.im2col((goutI + n * OC * ohw) * 4, ...geoArgs(gt), colsI * 4);
      k.gemm(0, 0, g.C, hw, OC * g.KH * g.KW, wfI * 4, colsI * 4, (gxI + n * chw) * 4, hw, 1, work);
      continue;
    }
    k.gemm(1, 0, ckk, ohw, OC, wI * 4, (goutI + n * OC * ohw) * 4, colsI * 4, ohw, 0, work);
    k.col2im(colsI * 4, ...geoArgs(g), (gxI + n * chw) * 4);
  }
  const copy = (i: number, len: number) => heap.slice(i, i + len);
  return { out: copy(outI, t.gout.length), gw: copy(gwI, t.gw.length), gx: copy(gxI, t.gx.length) };
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The conv's out, dW and dX on the wasm kernels, and the unfold-then-GEMM reference's. */
function runBoth(c: Case, withNaN = true) {
  const k = withKernelBackend('wasm', wasmKernels);
  if (k === null) throw new Error('the WebAssembly SIMD kernels did not load in Node');
  const g = geometry(c);
  const rng = new Rng(c.seed);
  const x = rng.fillNormal(new Float32Array(c.N * c.C * c.H * c.W));
  x[0] = -0; // signed zeros and specials are copied bit for bit
  if (x.length > 3 && withNaN) x[3] = NaN;
  const t = {
    x,
    w: rng.fillNormal(new Float32Array(c.OC * c.C * g.KH * g.KW)),
    b: rng.fillNormal(new Float32Array(c.OC)),
    gout: rng.fillNormal(new Float32Array(c.N * c.OC * g.OH * g.OW)),
    gw: rng.fillNormal(new Float32Array(c.OC * c.C * g.KH * g.KW)),
    gx: rng.fillNormal(new Float32Array(x.length)),
  };
  const out = new Float32Array(t.gout.length);
  const gw = t.gw.slice();
  const gx = t.gx.slice();
  wasmConv2dForward(k, t.x, t.w, t.b, g, c.N, c.OC, out, false);
  wasmConv2dBackward(k, t.x, t.w, t.gout, null, g, c.N, c.OC, null, gw, gx);
  return { got: { out, gw, gx }, ref: reference(k, g, c.OC, c.N, t) };
}

/** A 1×1 layer without padding: its weight gradient runs as dot products of rows (assembly/dots.ts), its sums in four-lane order. */
const pointwise = (c: Case) => c.K[0] === 1 && c.K[1] === 1 && c.pad[0] === 0 && c.pad[1] === 0;

/** |got − ref| within float32 rounding of sums of `terms` unit-normal products, entry by entry. */
function expectWithin(got: Float32Array, ref: Float32Array, terms: number, what: string): void {
  const bound = 12e-6 * Math.sqrt(terms);
  got.forEach((v, i) => expect(Math.abs(v - ref[i]), `${what}[${i}]: ${v} vs ${ref[i]}`).toBeLessThanOrEqual(bound * (1 + Math.abs(ref[i]))));
}

function expectSameBits(c: Case): void {
  const pw = pointwise(c);
  const { got, ref } = runBoth(c, !pw);
  const { out, gw, gx } = got;
  expect(bits(out)).toEqual(bits(ref.out));
  expect(bits(gx)).toEqual(bits(ref.gx));
  if (!pw) expect(bits(gw)).toEqual(bits(ref.gw));
  else expectWithin(gw, ref.gw, c.N * geometry(c).OH * geometry(c).OW, 'gw');
}

const square = (C: number, OC: number, H: number, K: number, stride: number, pad: number, N = 3): Case => ({
  C, OC, H, W: H, K: [K, K], stride: [stride, stride], pad: [pad, pad], dilation: [1, 1], N, seed: C * 1000 + OC + H,
});

/** Whether the layer runs Winograd's F(2×2, 3×3) (conv.ts's isWinograd): its sums are taken in another order. */
const winograd = (c: Case) =>
  c.K[0] === 3 && c.K[1] === 3 && c.stride[0] === 1 && c.stride[1] === 1 && c.dilation[0] === 1 && c.dilation[1] === 1 && c.C >= 8 && c.OC >= 8;

describe('the wasm convolution equals unfold-then-GEMM bit for bit (every layer but the Winograd ones; a 1×1 layer\'s weight gradient within float32 rounding)', () => {
  // ResNet-8 (width 16) on 28×28: its strided 3×3 convs and the 1×1 strided shortcuts;
  // the reference CNN's second conv; more rows than one A block (OC > 120) and more than one
  // k block (C·KH·KW > 256, OH·OW > 256)
  test.each([
    square(16, 32, 28, 3, 2, 1), square(16, 32, 28, 1, 2, 0),
    square(32, 64, 14, 3, 2, 1), square(32, 64, 14, 1, 2, 0), square(8, 16, 14, 5, 1, 2, 4),
    square(6, 130, 10, 3, 1, 1, 2), square(3, 7, 20, 3, 2, 1, 2),
  ])('C $C → OC $OC, $H×$W, kernel $K, stride $stride, padding $pad', (c) => expectSameBits(c));

  const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));
  const oddCase = fc
    .record({
      C: fc.integer({ min: 1, max: 12 }),
      OC: fc.integer({ min: 1, max: 20 }),
      H: fc.integer({ min: 1, max: 17 }),
      W: fc.integer({ min: 1, max: 17 }),
      K: pair(1, 4),
      stride: pair(1, 3),
      pad: pair(0, 3),
      dilation: pair(1, 2),
      N: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer({ min: 0, max: 1000 }),
    })
    // the kernel fits in the padded image, and the layer is not one for the direct kernels (≤ 4 channels at stride 1, dilation 1)
    .filter((c) => c.H + 2 * c.pad[0] >= c.dilation[0] * (c.K[0] - 1) + 1 && c.W + 2 * c.pad[1] >= c.dilation[1] * (c.K[1] - 1) + 1)
    .filter((c) => c.C > 4 || c.stride[0] > 1 || c.stride[1] > 1 || c.dilation[0] > 1 || c.dilation[1] > 1)
    .filter((c) => !winograd(c as Case));

  test.prop([oddCase], { numRuns: 80 })('for any geometry (stride, padding, dilation, odd sizes) the conv passes equal the unfold-then-GEMM path', (c) =>
    expectSameBits(c as Case),
  );
});

/**
 * Winograd's F(2×2, 3×3) gives the same sums in another order: out, dW and dX equal the
 * unfold-then-GEMM path within float32 rounding of sums of `terms` unit-normal products.
 */
function expectClose(c: Case): void {
  const { got, ref } = runBoth(c, false);
  const g = geometry(c);
  const terms = { out: c.C * 9, gw: c.N * g.OH * g.OW, gx: c.OC * 9 };
  for (const key of ['out', 'gw', 'gx'] as const) expectWithin(got[key], ref[key], terms[key], key);
}

describe('3×3, stride-1 layers with ≥ 8 input and output channels run Winograd F(2×2, 3×3)', () => {
  // ResNet-8's stride-1 3×3 convs (28×28, 14×14, and 7×7: partial tiles); then filters too large to pack once (OC > 120 rows, C > 256 columns: the GEMM packs them per product)
  test.each([square(16, 16, 28, 3, 1, 1), square(32, 32, 14, 3, 1, 1), square(64, 64, 7, 3, 1, 1), square(8, 130, 6, 3, 1, 1, 2), square(260, 8, 5, 3, 1, 1, 1)])(
    'C $C → OC $OC, $H×$W: out, dW and dX equal unfold-then-GEMM within float32 rounding',
    (c) => expectClose(c),
  );

  const winogradCase = fc.record({
    C: fc.integer({ min: 8, max: 20 }),
    OC: fc.integer({ min: 8, max: 20 }),
    H: fc.integer({ min: 1, max: 19 }),
    W: fc.integer({ min: 1, max: 19 }),
    K: fc.constant<[number, number]>([3, 3]),
    stride: fc.constant<[number, number]>([1, 1]),
    pad: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    dilation: fc.constant<[number, number]>([1, 1]),
    N: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  }).filter((c) => c.H + 2 * c.pad[0] >= 3 && c.W + 2 * c.pad[1] >= 3);

  test.prop([winogradCase], { numRuns: 20 })(
    'a NaN in the input is never lost: every output and gradient that unfold-then-GEMM makes NaN is NaN (a tile shares it with its neighbours)',
    (c) => {
      const { got, ref } = runBoth(c, true);
      for (const key of ['out', 'gw', 'gx'] as const) ref[key].forEach((r, i) => Number.isNaN(r) && expect(got[key][i], `${key}[${i}]`).toBeNaN());
    },
  );

  test.prop([winogradCase], { numRuns: 60 })(
    'for any size (odd, one tile, several groups of four tiles a row) and padding 0 to 3, out, dW and dX equal unfold-then-GEMM within float32 rounding',
    (c) => expectClose(c),
  );
});
