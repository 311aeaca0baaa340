import { wasmForced, wasmKernels } from './wasm/runtime';
import { WASM_GEMM_MIN_WORK, wasmGemm, wasmGemmBatch } from './wasm/gemm';

/**
 * C = op(A)·op(B) (+ C when `accumulate`), on flat row-major Float32Arrays.
 *
 * Runs on the WebAssembly SIMD kernel (assembly/gemm.ts) when it is available and the
 * product is big enough to repay copying the operands into wasm memory; otherwise on the
 * JavaScript kernel below. See `setKernelBackend`.
 *
 * The JavaScript kernel is a packed, cache-blocked GEMM in the BLIS style: B is packed into KC×NR column panels and
 * A into MC×KC row panels (transposition is absorbed by the packing), and a 4×4
 * register-tiled micro-kernel accumulates in locals. Packing buffers are module-level and
 * reused, so steady-state calls allocate nothing.
 */

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;

let packA = new Float32Array(MC * KC);
let packB = new Float32Array(KC * NC);

/** Arguments of {@link gemm}: C = op(A)·op(B) on flat row-major arrays, with offsets. */
export interface GemmArgs {
  /** op(A) is M×K. With transA, A is stored K×M. */
  transA: boolean;
  /** op(B) is K×N. With transB, B is stored N×K. */
  transB: boolean;
  M: number;
  N: number;
  K: number;
  A: Float32Array;
  aOffset?: number;
  B: Float32Array;
  bOffset?: number;
  C: Float32Array;
  cOffset?: number;
  /** add into C instead of overwriting it */
  accumulate?: boolean;
}

/**
 * C = op(A)·op(B) (+ C when `accumulate`): the matrix product every layer runs on.
 *
 * @example
 * // C[2×2] = A[2×3] · B[3×2]
 * gemm({ transA: false, transB: false, M: 2, N: 2, K: 3, A, B, C });
 */
export function gemm(args: GemmArgs): void {
  const k = wasmKernels();
  if (k !== null && args.M > 0 && args.N > 0 && args.K > 0 && (wasmForced() || args.M * args.N * args.K >= WASM_GEMM_MIN_WORK)) {
    wasmGemm(k, args);
  } else {
    gemmJs(args);
  }
}

/**
 * `batch` products C_i = op(A_i)·op(B_i) (+ C_i) of one shape, each operand's matrices stored one
 * after another from its offset: the same results as {@link gemm} on each, with the operands
 * copied into wasm memory once for all of them (batched attention: many small products).
 */
export function gemmBatch(args: GemmArgs, batch: number): void {
  const k = wasmKernels();
  const { M, N, K } = args;
  if (k !== null && M > 0 && N > 0 && K > 0 && (wasmForced() || M * N * K >= WASM_GEMM_MIN_WORK)) return wasmGemmBatch(k, args, batch);
  for (let i = 0; i < batch; i++) {
    gemmJs({ ...args, aOffset: (args.aOffset ?? 0) + i * M * K, bOffset: (args.bOffset ?? 0) + i * K * N, cOffset: (args.cOffset ?? 0) + i * M * N });
  }
}

/** @internal The JavaScript kernel (the fallback, and the reference the wasm kernel is tested against). */
export function gemmJs(args: GemmArgs): void {
  const { transA, transB, M, N, K, A, B, C } = args;
  const aOff = args.aOffset ?? 0;
  const bOff = args.bOffset ?? 0;
  const cOff = args.cOffset ?? 0;
  const accumulate = args.accumulate ?? false;
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) C.fill(0, cOff, cOff + M * N);
    return;
  }
  // strides of A and B in their stored layout (row-major)
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packPanelB(B, bOff, ldb, transB, pc, jc, kc, nc);
      const add = accumulate || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packPanelA(A, aOff, lda, transA, ic, pc, mc, kc);
        macroKernel(mc, nc, kc, C, cOff + ic * N + jc, N, add);
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels: packB[panel][k][0..NR), zero-padded. */
function packPanelB(B: Float32Array, off: number, ldb: number, trans: boolean, pc: number, jc: number, kc: number, nc: number): void {
  const panels = Math.ceil(nc / NR);
  if (packB.length < panels * NR * kc) packB = new Float32Array(panels * NR * kc);
  const pb = packB;
  let dst = 0;
  for (let p = 0; p < panels; p++) {
    const j0 = jc + p * NR;
    const w = Math.min(NR, jc + nc - j0);
    for (let k = 0; k < kc; k++) {
      const kk = pc + k;
      if (!trans) {
        const row = off + kk * ldb + j0;
        for (let j = 0; j < NR; j++) pb[dst + j] = j < w ? B[row + j] : 0;
      } else {
        for (let j = 0; j < NR; j++) pb[dst + j] = j < w ? B[off + (j0 + j) * ldb + kk] : 0;
      }
      dst += NR;
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] into MR-tall panels: packA[panel][k][0..MR), zero-padded. */
function packPanelA(A: Float32Array, off: number, lda: number, trans: boolean, ic: number, pc: number, mc: number, kc: number): void {
  const panels = Math.ceil(mc / MR);
  if (packA.length < panels * MR * kc) packA = new Float32Array(panels * MR * kc);
  const pa = packA;
  let dst = 0;
  for (let p = 0; p < panels; p++) {
    const i0 = ic + p * MR;
    const h = Math.min(MR, ic + mc - i0);
    if (!trans) {
      for (let k = 0; k < kc; k++) {
        const col = off + i0 * lda + pc + k;
        for (let i = 0; i < MR; i++) pa[dst + i] = i < h ? A[col + i * lda] : 0;
        dst += MR;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const row = off + (pc + k) * lda + i0;
        for (let i = 0; i < MR; i++) pa[dst + i] = i < h ? A[row + i] : 0;
        dst += MR;
      }
    }
  }
}

function macroKernel(mc: number, nc: number, kc: number, C: Float32Array, cBase: number, ldc: number, add: boolean): void {
  const pa = packA;
  const pb = packB;
  for (let jr = 0; jr < nc; jr += NR) {
    const w = Math.min(NR, nc - jr);
    const bBase = (jr / NR) * NR * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const h = Math.min(MR, mc - ir);
      let ai = (ir / MR) * MR * kc;
      let bi = bBase;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < kc; k++) {
        const b0 = pb[bi], b1 = pb[bi + 1], b2 = pb[bi + 2], b3 = pb[bi + 3];
        const a0 = pa[ai];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        const a1 = pa[ai + 1];
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        const a2 = pa[ai + 2];
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        const a3 = pa[ai + 3];
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        ai += MR;
        bi += NR;
      }
      const c = cBase + ir * ldc + jr;
      if (h === MR && w === NR) {
        if (add) {
          C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
          const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
          C[r1] += c10; C[r1 + 1] += c11; C[r1 + 2] += c12; C[r1 + 3] += c13;
          C[r2] += c20; C[r2 + 1] += c21; C[r2 + 2] += c22; C[r2 + 3] += c23;
          C[r3] += c30; C[r3 + 1] += c31; C[r3 + 2] += c32; C[r3 + 3] += c33;
        } else {
          C[c] = c00; C[c + 1] = c01; C[c + 2] = c02; C[c + 3] = c03;
          const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
          C[r1] = c10; C[r1 + 1] = c11; C[r1 + 2] = c12; C[r1 + 3] = c13;
          C[r2] = c20; C[r2 + 1] = c21; C[r2 + 2] = c22; C[r2 + 3] = c23;
          C[r3] = c30; C[r3 + 1] = c31; C[r3 + 2] = c32; C[r3 + 3] = c33;
        }
      } else {
        const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            const idx = c + i * ldc + j;
            C[idx] = (add ? C[idx] : 0) + tile[i * NR + j];
          }
        }
      }
    }
  }
}
