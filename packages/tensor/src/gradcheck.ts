import { withKernelBackend } from './kernels/wasm/runtime';
import { Rng } from './rng';
import { ShapeError, ValueError, formatShape } from './shape';
import { Tensor, isGradEnabled, noGrad } from './tensor';

/** Options of {@link gradcheck} and {@link assertGradients}. */
export interface GradcheckOptions {
  /**
   * Relative finite-difference step: each element x is moved by ±h and ±2h, h = eps·max(1, |x|)
   * (an entry that fails gets a second look at ±0.8h … ±1.8h).
   * Default 1e-2: the error of the fourth-order scheme is O(h⁴) while float32 rounding noise
   * grows like 2⁻²⁴/h, which balance near (2⁻²⁴)^(1/5) ≈ 0.04; a smaller step keeps the
   * points closer to x (kinks must be more than 2h away).
   */
  eps?: number;
  /** Relative tolerance. Default 1e-3. */
  rtol?: number;
  /** Absolute tolerance, for gradient entries near zero. Default 1e-5. */
  atol?: number;
  /** Seed of the random output weights. Default 0. */
  seed?: number;
}

/** Outcome of {@link gradcheck}. */
export interface GradcheckResult {
  /** True when every checked gradient entry is within tolerance (equivalently, maxRelError ≤ rtol). */
  ok: boolean;
  /**
   * Largest (|analytic − numeric| − noise)⁺ / (max(|analytic|, |numeric|) + atol/rtol) over all
   * checked entries; the relative error beyond the finite-difference noise (see {@link gradcheck}).
   */
  maxRelError: number;
  /** The entry with the largest error (absent when no element was checked). */
  worst?: { input: number; index: number; analytic: number; numeric: number };
}

const DEFAULTS = { eps: 1e-2, rtol: 1e-3, atol: 1e-5, seed: 0 };

/** Random output weights w = ±U[0.5, 1.5], stored as float32 so both passes use the exact same values. */
function outputWeights(size: number, seed: number): Float32Array {
  const r = new Rng(seed).stream('gradcheck');
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) w[i] = r.uniform(0.5, 1.5) * (r.uniform() < 0.5 ? -1 : 1);
  return w;
}

function resolve(options: GradcheckOptions): Required<GradcheckOptions> {
  const o = { ...DEFAULTS, ...options };
  if (!(o.eps > 0 && o.eps < 1)) throw new ValueError(`gradcheck: eps must be in (0, 1), got ${o.eps}`);
  if (!(o.rtol > 0)) throw new ValueError(`gradcheck: rtol must be > 0, got ${o.rtol}`);
  if (!(o.atol >= 0)) throw new ValueError(`gradcheck: atol must be ≥ 0, got ${o.atol}`);
  return o;
}

/** Largest relative rounding error of a float32 value (half an ulp): 2⁻²⁴. */
const F32_ROUNDING = 2 ** -24;
/** Margin on the estimated noise floor, for float32 roundings inside fn that its outputs do not show. */
const NOISE_SAFETY = 2;
/** Relative size of the probe step that finds which outputs depend on an element. */
const PROBE = 0.25;

/** Σᵢ wᵢ·yᵢ in float64. */
function weightedSum(w: Float32Array, y: Float32Array): number {
  let l = 0;
  for (let i = 0; i < y.length; i++) l += w[i] * y[i];
  return l;
}

/** Σ |wᵢ|·max(|y⁺ᵢ|, |y⁻ᵢ|) over the outputs in `mask`: the scale of the rounding error in L(x⁺) − L(x⁻). */
function maskedScale(w: Float32Array, yp: Float32Array, ym: Float32Array, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < yp.length; i++) if (mask[i] === 1) s += Math.abs(w[i]) * Math.max(Math.abs(yp[i]), Math.abs(ym[i]));
  return s;
}

/**
 * ∂L/∂data[j] by Richardson-extrapolated central differences, with a bound on its rounding noise.
 *
 * Steps: the tensor stores float32, so x ± h is rounded to the nearest float32 and each secant
 * slope is taken over the points actually evaluated: D(h) = (L(x⁺) − L(x⁻)) / (x⁺ − x⁻), in
 * float64. Each D has error c·ĥ² + O(ĥ⁴) in its real half-width ĥ = (x⁺ − x⁻)/2, so the
 * combination (ĥ₂²·D₁ − ĥ₁²·D₂) / (ĥ₂² − ĥ₁²) of the steps h and 2h cancels the ĥ² term. A
 * fourth-order scheme allows a large step, which keeps the rounding noise small once divided by ĥ.
 *
 * Noise: each float32 output carries an error ≤ 2⁻²⁴·|y|, so D's noise is at most 2⁻²⁴·S/ĥ,
 * S = Σ|wᵢ|·|yᵢ| over the outputs that depend on this element. Those are found by probing: an
 * output depends on the element if it changes under the secant steps or under one large step
 * (PROBE·max(1, |x|)); a change too small to survive even that step is far below the noise.
 */
class Differentiator {
  private readonly mask: Uint8Array;
  private readonly x0: number;

  constructor(private readonly data: Float32Array, private readonly j: number, private readonly y0: Float32Array, private readonly evaluate: () => Float32Array, private readonly w: Float32Array) {
    this.x0 = data[j];
    this.mask = new Uint8Array(y0.length);
    data[j] = Math.fround(this.x0 + PROBE * Math.max(1, Math.abs(this.x0)));
    const probe = evaluate();
    data[j] = this.x0;
    for (let i = 0; i < this.mask.length; i++) if (!Object.is(probe[i], y0[i])) this.mask[i] = 1;
  }

  /** The extrapolated derivative over the steps h and 2h, and its noise bound. */
  estimate(h: number): [value: number, noise: number] {
    const [d1, h1, yp1, ym1] = this.secant(h);
    const [d2, h2, yp2, ym2] = this.secant(2 * h);
    const a = (h2 * h2) / (h2 * h2 - h1 * h1);
    const b = (h1 * h1) / (h2 * h2 - h1 * h1);
    // both scales over the outputs either step moved (the mask as it stands after both)
    const { w, mask } = this;
    const noise = F32_ROUNDING * (a * maskedScale(w, yp1, ym1, mask) / h1 + b * maskedScale(w, yp2, ym2, mask) / h2);
    return [a * d1 - b * d2, NOISE_SAFETY * noise];
  }

  /** Secant slope over x0 ± step as evaluated in float32, its real half-width, and the outputs at both ends. */
  private secant(step: number): [slope: number, halfWidth: number, yp: Float32Array, ym: Float32Array] {
    const { data, j, x0, mask, w } = this;
    const xp = Math.fround(x0 + step);
    const xm = Math.fround(x0 - step);
    if (xp === xm) throw new ValueError(`gradcheck: step ${step} is below float32 resolution at ${x0}; increase eps`);
    try {
      data[j] = xp;
      const yp = this.evaluate();
      data[j] = xm;
      const ym = this.evaluate();
      for (let i = 0; i < mask.length; i++) if (yp[i] !== ym[i]) mask[i] = 1;
      return [(weightedSum(w, yp) - weightedSum(w, ym)) / (xp - xm), (xp - xm) / 2, yp, ym];
    } finally {
      data[j] = x0;
    }
  }
}

/**
 * A second look at an entry the first estimate would fail: the bound above counts each output's
 * own rounding only, while fn may round larger intermediates inside it (an affine layer norm's
 * w·x̂ before + b is larger than its output). Two more estimates, over the steps 0.9h and 0.8h
 * (still within 2h of x), sample that hidden noise; the verdict uses their median, and the spread
 * of the three joins the noise. A wrong gradient stays wrong: all three estimates agree on the
 * true derivative, away from the analytic one.
 */
function secondLook(d: Differentiator, h: number, first: [number, number]): [value: number, noise: number] {
  let runs: Array<[number, number]>;
  try {
    runs = [first, d.estimate(0.9 * h), d.estimate(0.8 * h)];
  } catch (err) {
    if (err instanceof ValueError) return first; // a shorter step below float32 resolution: the first verdict stands
    throw err;
  }
  // an overflow (or NaN) in any estimate would make the spread infinite and pass anything: the first verdict stands
  if (!runs.every(([v, n]) => Number.isFinite(v) && Number.isFinite(n))) return first;
  const values = runs.map(([v]) => v).sort((p, q) => p - q);
  return [values[1], Math.max(...runs.map(([, n]) => n)) + (values[2] - values[0])];
}

/**
 * Checks the autograd gradients of `fn` against finite differences.
 *
 * The scalar objective is L(inputs) = Σᵢ wᵢ·fn(inputs)ᵢ for fixed random weights w (so every
 * output element and every cancellation pattern matters; plain `sum` would hide e.g. a wrong
 * softmax gradient). The analytic gradient is one backward pass seeded with w. The numeric
 * gradient perturbs one input element at a time and evaluates fn in float32 (under
 * {@link noGrad}), accumulating L and the difference quotients in float64 from the float32 points
 * actually evaluated (see the step scheme on `Differentiator` in the source: Richardson
 * extrapolation over steps h and 2h, h = eps·max(1, |x|)).
 *
 * Only inputs with `requiresGrad` are checked; the others are constants. The inputs are
 * copied first, so their data and `grad` are left untouched. `fn` must be deterministic and
 * smooth within 2h of the point: keep inputs away from kinks (relu or abs at 0, ties in max).
 * Per element, fn runs 5 times: at x ± h, x ± 2h, and once at x + max(1, |x|)/4, which only
 * serves to find the outputs that depend on the element (for the noise bound below).
 *
 * An entry passes when |analytic − numeric| ≤ noise + atol + rtol·max(|analytic|, |numeric|),
 * where `noise` bounds the finite difference's own float32 rounding error (twice 2⁻²⁴ times the
 * weighted magnitude of the outputs that depend on the element, divided by the step): a
 * difference the float32 evaluation cannot resolve is not reported. An entry that fails this
 * gets a second look: fn runs 8 more times, at x ± 0.9h, ±1.8h, ±0.8h, ±1.6h, and the entry is
 * judged on the median of the three estimates, with their spread added to the noise (rounding
 * inside fn, on values larger than its outputs, is invisible to the bound). With the defaults a
 * gradient off by more than about 0.1 % is caught wherever it is not tiny next to the outputs.
 *
 * @param fn - the function under test; it receives copies of `inputs` in order
 * @param inputs - the point at which to compare gradients
 * @param options - `eps` (relative step, default 1e-2), `rtol` (default 1e-3), `atol` (default 1e-5), `seed` of the weights
 * @see https://cs231n.github.io/neural-networks-3/#gradcheck
 * @example
 * const x = tensor([[0.5, -1.2], [2, 0.3]], undefined, { requiresGrad: true });
 * gradcheck((a) => softmax(a, 1), [x]).ok  // true
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { eps, rtol, atol, seed } = resolve(options);
  if (!isGradEnabled()) throw new ValueError('gradcheck: called inside noGrad(); gradients cannot be recorded there');
  if (!inputs.some((t) => t.requiresGrad)) {
    throw new ValueError('gradcheck: no input requires gradients; create the inputs with { requiresGrad: true }');
  }
  const xs = inputs.map((t) => new Tensor(t.data.slice(), t.shape, { requiresGrad: t.requiresGrad }));

  // analytic: one backward pass seeded with w computes ∂L/∂x for every input at once
  const y = fn(...xs);
  const outShape = y.shape;
  const w = outputWeights(y.size, seed);
  const lAnalytic = weightedSum(w, y.data);
  if (y.requiresGrad) y.backward(w);
  const analytic = xs.map((t) => t.grad ?? new Float32Array(t.size));

  // a copy: fn may return a view of an input (reshape), whose data is perturbed next
  const evaluateHere = (): Float32Array =>
    noGrad(() => {
      const out = fn(...xs);
      if (out.size !== w.length) {
        throw new ShapeError(`gradcheck: fn returned shape ${formatShape(out.shape)}, first call returned ${formatShape(outShape)}`);
      }
      return out.data.slice();
    });
  const l0 = weightedSum(w, evaluateHere());
  if (!Object.is(l0, lAnalytic)) {
    throw new ValueError(`gradcheck: fn is not deterministic (objective ${lAnalytic} with gradients, ${l0} under noGrad)`);
  }
  // The numeric reference runs on the JS kernels, whose GEMM accumulates in float64 and rounds
  // each output once: the premise of the noise bound. The analytic gradients above ran on the
  // selected backend (the wasm kernels accumulate in float32, whose error grows with the sum's
  // length), and those are what is being checked.
  const evaluate = (): Float32Array => withKernelBackend('js', evaluateHere);
  const y0 = evaluate();

  let maxRelError = 0;
  let worst: GradcheckResult['worst'];
  xs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    for (let j = 0; j < x.size; j++) {
      const a = analytic[k][j];
      const h = eps * Math.max(1, Math.abs(x.data[j]));
      const d = new Differentiator(x.data, j, y0, evaluate, w);
      const relError = ([numeric, noise]: [number, number]): number => {
        const rel = Math.max(0, Math.abs(a - numeric) - noise) / (Math.max(Math.abs(a), Math.abs(numeric)) + atol / rtol);
        return Number.isNaN(rel) ? Infinity : rel;
      };
      let estimate = d.estimate(h);
      let rel = relError(estimate);
      if (rel > rtol) {
        estimate = secondLook(d, h, estimate);
        rel = relError(estimate);
      }
      const numeric = estimate[0];
      if (worst === undefined || rel > maxRelError) {
        maxRelError = rel;
        worst = { input: k, index: j, analytic: a, numeric };
      }
    }
  });
  return { ok: maxRelError <= rtol, maxRelError, worst };
}

/**
 * {@link gradcheck} that throws when a gradient is off, with a message naming the input, the
 * element and both values; returns the result otherwise. Handy inside tests and property tests.
 *
 * @example
 * assertGradients((a, b) => matmul(a, b), [a, b]);
 */
export function assertGradients(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const result = gradcheck(fn, inputs, options);
  if (!result.ok) {
    const { rtol } = resolve(options);
    const wst = result.worst;
    const where = wst === undefined ? '' : ` at input ${wst.input} (shape ${formatShape(inputs[wst.input].shape)}) element ${wst.index}: analytic ${wst.analytic}, numeric ${wst.numeric};`;
    throw new ValueError(`gradcheck: gradient mismatch${where} relative error ${result.maxRelError.toExponential(3)} > rtol ${rtol}`);
  }
  return result;
}
