import { residentKernels } from './resident';
import type { WasmKernels } from './abi';
import { OPTIM_ARGS_BYTE, layout } from './heap';
import { currentRuntime, kernelPool, localKernels, wasmForced } from './runtime';
import { split } from './gemm';

/**
 * Arrays in resident storage (see `allocResident`) are updated where they are; others are
 * streamed through wasm memory in chunks that stay in cache: each value is
 * read from and written back to its Float32Array once, as a JS loop would, while the SIMD
 * kernel does the arithmetic on the cached copy.
 */
const CHUNK = 16384;
/** Below this many parameters the JS loop is as fast as the copies. */
const MIN_SIZE = 256;

/** Resident updates at least this long are split across a running thread pool. */
const POOL_MIN_SIZE = 1 << 16;

/** An update as a pool's threads run it: assembly/optim.ts optimChunk's kind and f32 scalars. */
interface PoolUpdate {
  kind: 0 | 1 | 2 | 3;
  scalars: readonly number[];
}

/** Views of a pool memory's argument area, cached per buffer (a grown shared memory has a new one). */
let argViews: { buffer: ArrayBufferLike; ptrs: Uint32Array; scalars: Float32Array; found: Int32Array } | null = null;

function argsIn(buffer: ArrayBufferLike): NonNullable<typeof argViews> {
  if (argViews?.buffer !== buffer) {
    const at = OPTIM_ARGS_BYTE;
    argViews = { buffer, ptrs: new Uint32Array(buffer, at, 8), scalars: new Float32Array(buffer, at + 32, 16), found: new Int32Array(buffer, at + 96, 1) };
  }
  return argViews;
}

/** The pool that should split an operation on `n` resident values owned by `k`, or null. */
function poolFor(k: WasmKernels, n: number): ReturnType<typeof kernelPool> {
  const p = kernelPool();
  return p !== null && n >= POOL_MIN_SIZE && k === currentRuntime().sharedKernels ? p : null;
}

/**
 * Runs a resident update on the thread pool, split into ranges of elements (each element is
 * updated on its own, so the bits are those of one thread); false when no pool runs, the arrays
 * are not in its memory, or the update is too small to be worth it.
 */
function poolUpdate(k: WasmKernels, arrays: ReadonlyArray<Float32Array | null>, n: number, u: PoolUpdate): boolean {
  const p = poolFor(k, n);
  if (p === null) return false;
  const { ptrs, scalars } = argsIn(k.memory.buffer);
  arrays.forEach((a, i) => (ptrs[i] = a?.byteOffset ?? 0));
  u.scalars.forEach((x, i) => (scalars[i] = x));
  p.run({
    op: 'optimChunk',
    args: [u.kind, OPTIM_ARGS_BYTE, OPTIM_ARGS_BYTE + 32, 0, 0, 0],
    rangeAt: 3,
    scratchAt: -1,
    workAt: 5,
    chunks: split(n, 4 * p.threads, 1024),
    scratch: [],
  });
  return true;
}

function kernelFor(n: number): WasmKernels | null {
  const k = localKernels();
  return k !== null && (n >= MIN_SIZE || wasmForced()) ? k : null;
}

/**
 * Runs a fused in-place update on `arrays` — the parameter, its gradient (only read), then the
 * optimizer's slots (null: unused) — and returns true; false, changing nothing, when the wasm
 * kernels are not in use. Resident arrays are updated where they are; others are streamed
 * through wasm memory in cache-sized chunks. `run` gets the kernels, a byte pointer per array
 * (0 for null) and the count; `u` is the same update for a thread pool's threads, which split
 * large resident updates when a pool runs.
 */
function fusedUpdate(arrays: ReadonlyArray<Float32Array | null>, u: PoolUpdate, run: (k: WasmKernels, ptrs: readonly number[], n: number) => void): boolean {
  const value = arrays[0] as Float32Array;
  const n = value.length;
  const r = residentKernels(value, ...arrays.slice(1));
  if (r !== null) {
    if (!poolUpdate(r, arrays, n, u)) run(r, arrays.map((a) => a?.byteOffset ?? 0), n);
    return true;
  }
  const k = kernelFor(n);
  if (k === null) return false;
  const chunk = Math.min(CHUNK, n);
  const { at, heap } = layout(k, arrays.map((a) => (a ? chunk : 0)));
  const ptrs = at.map((idx, j) => (arrays[j] ? idx * 4 : 0));
  for (let i = 0; i < n; i += chunk) {
    const len = Math.min(chunk, n - i);
    arrays.forEach((a, j) => a && heap.set(a.subarray(i, i + len), at[j]));
    run(k, ptrs, len);
    arrays.forEach((a, j) => j !== 1 && a?.set(heap.subarray(at[j], at[j] + len), i));
  }
  return true;
}

/** Scalars of one Adam update, already rounded to float32 where torch.optim rounds them. */
export interface AdamStepScalars {
  beta1: number;
  beta2: number;
  /** 1 − β1 */
  oneMinusBeta1: number;
  /** 1 − β2 */
  oneMinusBeta2: number;
  eps: number;
  /** Coupled weight decay (added to the gradient); 0 for none. */
  weightDecay: number;
  /** −lr / (1 − β1ᵗ) */
  stepSize: number;
  /** √(1 − β2ᵗ) */
  biasCorrection2: number;
  /** AdamW's decoupled decay factor 1 − lr·λ, applied to p first; 1 for none. */
  shrink: number;
}

/**
 * One fused Adam / AdamW / AMSGrad update in place on the WebAssembly SIMD kernel, with
 * torch.optim's float32 arithmetic (bit-identical to @trainkit/optim-adam's JS loop).
 * Returns false, changing nothing, when the wasm kernels are not in use (the caller then
 * runs its JS loop).
 *
 * @param value the parameter, updated in place
 * @param grad its gradient
 * @param m first-moment slot, updated in place
 * @param v second-moment slot, updated in place
 * @param vmax AMSGrad's running maximum of v (updated in place), or null for plain Adam
 * @param s the update's scalars
 * @example
 * if (!adamStepKernel(p, g, m, v, null, scalars)) adamStepJs(p, g, m, v, scalars);
 */
export function adamStepKernel(value: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, s: AdamStepScalars): boolean {
  const flags = (s.weightDecay !== 0 ? 1 : 0) | (vmax ? 2 : 0) | (s.shrink !== 1 ? 4 : 0);
  const scalars = [s.beta1, s.beta2, s.oneMinusBeta1, s.oneMinusBeta2, s.eps, s.weightDecay, s.stepSize, s.biasCorrection2, s.shrink, flags];
  return fusedUpdate([value, grad, m, v, vmax], { kind: 0, scalars }, (k, [p, g, mp, vp, xp], n) =>
    k.adamStep(p, g, mp, vp, xp, n, s.beta1, s.beta2, s.oneMinusBeta1, s.oneMinusBeta2, s.eps, s.weightDecay, s.stepSize, s.biasCorrection2, s.shrink, flags),
  );
}

/** Scalars of one SGD-with-momentum update, already rounded to float32. */
export interface MomentumStepScalars {
  /** −lr */
  alpha: number;
  momentum: number;
  /** 1 − dampening */
  keep: number;
  weightDecay: number;
  /** The parameter's first step: the buffer is set to the gradient. */
  first: boolean;
  nesterov: boolean;
}

/**
 * One fused SGD-with-momentum (torch.optim.SGD) update in place on the WebAssembly SIMD
 * kernel, bit-identical to @trainkit/optim-momentum's JS loop. Returns false, changing
 * nothing, when the wasm kernels are not in use.
 *
 * @param value the parameter, updated in place
 * @param grad its gradient
 * @param buf the momentum buffer, updated in place
 * @param s the update's scalars
 * @example
 * if (!momentumStepKernel(p, g, buf, scalars)) momentumStepJs(p, g, buf, scalars);
 */
export function momentumStepKernel(value: Float32Array, grad: Float32Array, buf: Float32Array, s: MomentumStepScalars): boolean {
  const scalars = [s.alpha, s.momentum, s.keep, s.weightDecay, +s.first, +s.nesterov];
  return fusedUpdate([value, grad, buf], { kind: 1, scalars }, (k, [p, g, b], n) => k.momentumStep(p, g, b, n, s.alpha, s.momentum, s.keep, s.weightDecay, +s.first, +s.nesterov));
}

/** Scalars of one AdaGrad update, already rounded to float32. */
export interface AdagradStepScalars {
  /** −lr / (1 + (t − 1)·lrDecay) */
  clr: number;
  weightDecay: number;
  eps: number;
}

/**
 * One fused AdaGrad (torch.optim.Adagrad) update in place on the WebAssembly SIMD kernel,
 * bit-identical to @trainkit/optim-adaptive's JS loop. Returns false, changing nothing, when
 * the wasm kernels are not in use.
 *
 * @param value the parameter, updated in place
 * @param grad its gradient
 * @param sum the squared-gradient accumulator, updated in place
 * @param s the update's scalars
 * @example
 * if (!adagradStepKernel(p, g, sum, scalars)) adagradStepJs(p, g, sum, scalars);
 */
export function adagradStepKernel(value: Float32Array, grad: Float32Array, sum: Float32Array, s: AdagradStepScalars): boolean {
  return fusedUpdate([value, grad, sum], { kind: 2, scalars: [s.clr, s.weightDecay, s.eps] }, (k, [p, g, sp], n) => k.adagradStep(p, g, sp, n, s.clr, s.weightDecay, s.eps));
}

/** Scalars of one RMSProp update, already rounded to float32. */
export interface RmspropStepScalars {
  alpha: number;
  /** 1 − α */
  oneMinusAlpha: number;
  eps: number;
  weightDecay: number;
  /** 0 for none */
  momentum: number;
  /** −lr */
  negLr: number;
  centered: boolean;
}

/**
 * One fused RMSProp (torch.optim.RMSprop; centered and momentum variants) update in place on
 * the WebAssembly SIMD kernel, bit-identical to @trainkit/optim-adaptive's JS loop. Returns
 * false, changing nothing, when the wasm kernels are not in use.
 *
 * @param value the parameter, updated in place
 * @param grad its gradient
 * @param squareAvg the running mean of g², updated in place
 * @param gradAvg the running mean of g (centered only, else null), updated in place
 * @param momentumBuffer the momentum buffer (momentum > 0 only, else null), updated in place
 * @param s the update's scalars
 * @example
 * if (!rmspropStepKernel(p, g, sq, null, null, scalars)) rmspropStepJs(p, g, sq, scalars);
 */
export function rmspropStepKernel(
  value: Float32Array,
  grad: Float32Array,
  squareAvg: Float32Array,
  gradAvg: Float32Array | null,
  momentumBuffer: Float32Array | null,
  s: RmspropStepScalars,
): boolean {
  const flags = (s.centered ? 1 : 0) | (s.momentum > 0 ? 2 : 0);
  const scalars = [s.alpha, s.oneMinusAlpha, s.eps, s.weightDecay, s.momentum, s.negLr, flags];
  return fusedUpdate([value, grad, squareAvg, gradAvg, momentumBuffer], { kind: 3, scalars }, (k, [p, g, sq, ga, b], n) =>
    k.rmspropStep(p, g, sq, ga, b, n, s.alpha, s.oneMinusAlpha, s.eps, s.weightDecay, s.momentum, s.negLr, flags),
  );
}

/**
 * Index of the first NaN or ±Inf in `a`, or −1 when every value is finite. Optimizers run it
 * on every gradient before they change anything. Resident arrays (see `allocResident`) are
 * scanned by a WebAssembly SIMD kernel (split across a running thread pool when they live in its
 * memory and are large); others by a branch-free JavaScript loop.
 *
 * @param a the values to check
 * @example
 * const bad = firstNonFinite(grad);
 * if (bad !== -1) throw new Error(`gradient ${bad} is ${grad[bad]}`);
 */
export function firstNonFinite(a: Float32Array): number {
  const r = residentKernels(a);
  if (r !== null) {
    const p = poolFor(r, a.length);
    if (p === null) return r.firstNonFinite(a.byteOffset, a.length);
    const { found } = argsIn(r.memory.buffer);
    found[0] = -1;
    const args = [a.byteOffset, OPTIM_ARGS_BYTE + 96, 0, 0, 0, 0];
    p.run({ op: 'firstNonFiniteChunk', args, rangeAt: 3, scratchAt: -1, workAt: 5, chunks: split(a.length, 4 * p.threads, 1024), scratch: [] });
    return found[0];
  }
  // x·0 is ±0 for finite x and NaN for NaN or ±Inf, so four branch-free partial sums reveal
  // a bad value (2-3× faster than a test per element); only then is the first one located.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n4 = a.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    s0 += a[i] * 0;
    s1 += a[i + 1] * 0;
    s2 += a[i + 2] * 0;
    s3 += a[i + 3] * 0;
  }
  for (let i = n4; i < a.length; i++) s0 += a[i] * 0;
  if (s0 + s1 + s2 + s3 === 0) return -1;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return i; // NaN or ±Inf
  }
  return -1;
}
