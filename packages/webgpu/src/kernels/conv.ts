import { INDEX_1D, type KernelDef, MAIN_1D, SPECIALS } from '../kernel';

/** The geometry uniforms shared by im2col and col2im (PyTorch's conv2d arguments). */
const GEOMETRY = [
  ['N', 'u32'], ['C', 'u32'], ['H', 'u32'], ['W', 'u32'], ['KH', 'u32'], ['KW', 'u32'], ['OH', 'u32'], ['OW', 'u32'],
  ['strideH', 'i32'], ['strideW', 'i32'], ['padH', 'i32'], ['padW', 'i32'], ['dilationH', 'i32'], ['dilationW', 'i32'],
] as const;

/**
 * Unfolds a batch of images [N, C, H, W] into columns [C·KH·KW, N·OH·OW]: row (c, kh, kw),
 * column (n, oh, ow) holds the input under that kernel tap at that output position (0 in the padding).
 * The convolution is then one GEMM for the whole batch: W [OC, C·KH·KW] · cols.
 */
export const im2colKernel: KernelDef = {
  name: 'im2col',
  buffers: [['X', 'read', 'f32'], ['COLS', 'read_write', 'f32']],
  uniforms: GEOMETRY,
  body: `${MAIN_1D} {
  let ohw = p.OH * p.OW;
  let cols = p.N * ohw;
  ${INDEX_1D('p.C * p.KH * p.KW * cols')}
  let j = i % cols;
  let r = i / cols;
  let n = j / ohw;
  let oh = i32((j % ohw) / p.OW);
  let ow = i32(j % p.OW);
  let kw = i32(r % p.KW);
  let kh = i32((r / p.KW) % p.KH);
  let c = r / (p.KW * p.KH);
  let h = oh * p.strideH - p.padH + kh * p.dilationH;
  let w = ow * p.strideW - p.padW + kw * p.dilationW;
  var v = 0.0;
  if (h >= 0 && h < i32(p.H) && w >= 0 && w < i32(p.W)) {
    v = X[((n * p.C + c) * p.H + u32(h)) * p.W + u32(w)];
  }
  COLS[i] = v;
}`,
};

/**
 * The adjoint of im2col: each input pixel gathers the column entries it was copied to
 * (no atomics; one thread per pixel of [N, C, H, W]).
 */
export const col2imKernel: KernelDef = {
  name: 'col2im',
  buffers: [['COLS', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: GEOMETRY,
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.C * p.H * p.W')}
  let ohw = p.OH * p.OW;
  let cols = p.N * ohw;
  let w = i32(i % p.W);
  let h = i32((i / p.W) % p.H);
  let c = (i / (p.W * p.H)) % p.C;
  let n = i / (p.W * p.H * p.C);
  var s = 0.0;
  for (var kh = 0; kh < i32(p.KH); kh++) {
    let hn = h + p.padH - kh * p.dilationH;
    if (hn < 0 || hn % p.strideH != 0) { continue; }
    let oh = hn / p.strideH;
    if (oh >= i32(p.OH)) { continue; }
    for (var kw = 0; kw < i32(p.KW); kw++) {
      let wn = w + p.padW - kw * p.dilationW;
      if (wn < 0 || wn % p.strideW != 0) { continue; }
      let ow = wn / p.strideW;
      if (ow >= i32(p.OW)) { continue; }
      let r = (c * p.KH + u32(kh)) * p.KW + u32(kw);
      s += COLS[r * cols + n * ohw + u32(oh) * p.OW + u32(ow)];
    }
  }
  DX[i] = s;
}`,
};

/** Max pooling over 2×2 windows with stride 2 (floor): values, and the flat input index of each window's winner (first maximum; a NaN wins, as on the CPU). */
export const maxPool2Kernel: KernelDef = {
  name: 'maxPool2',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32'], ['ARG', 'read_write', 'u32']],
  uniforms: [['planes', 'u32'], ['H', 'u32'], ['W', 'u32'], ['OH', 'u32'], ['OW', 'u32']],
  body: `${SPECIALS}
${MAIN_1D} {
  ${INDEX_1D('p.planes * p.OH * p.OW')}
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let plane = i / (p.OW * p.OH);
  var bi = plane * p.H * p.W + (2u * oh) * p.W + 2u * ow;
  var best = X[bi];
  for (var k = 1u; k < 4u; k++) {
    let idx = plane * p.H * p.W + (2u * oh + k / 2u) * p.W + 2u * ow + k % 2u;
    let v = X[idx];
    if (v > best || isNan(v)) { best = v; bi = idx; } // the CPU scan's rule; NaN tested on its bits (v != v may be folded away)
  }
  Y[i] = best;
  ARG[i] = bi;
}`,
};

/** The gradient of {@link maxPool2Kernel}: each input pixel takes its window's gradient when it was the winner (0 outside every window). */
export const maxPool2BackwardKernel: KernelDef = {
  name: 'maxPool2Backward',
  buffers: [['ARG', 'read', 'u32'], ['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['planes', 'u32'], ['H', 'u32'], ['W', 'u32'], ['OH', 'u32'], ['OW', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.planes * p.H * p.W')}
  let w = i % p.W;
  let h = (i / p.W) % p.H;
  let plane = i / (p.W * p.H);
  var g = 0.0;
  if (h / 2u < p.OH && w / 2u < p.OW) {
    let o = (plane * p.OH + h / 2u) * p.OW + w / 2u;
    if (ARG[o] == i) { g = DY[o]; }
  }
  DX[i] = g;
}`,
};
