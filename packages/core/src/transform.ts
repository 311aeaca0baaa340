import { ConfigError } from './errors';
import { type Hyperparams, type Optimizer, type OptimizerOptions, type SlotNames, type UpdateArgs, defineOptimizer } from './optimizer';
import { namesFrom } from './optimizer/slots';

/** Named hyperparameter values, numbers or flags: what a transform's `defaults` declare. */
export type HyperValues = Record<string, number | boolean>;

/** The shape a transform's hyperparameter type must have: every key a number or a flag. */
export type HyperShape<D> = { [K in keyof D]: number | boolean };

/**
 * The hyperparameters a transform reads: its declared type D, or, for an untyped transform
 * (the open {@link HyperValues}), every hyperparameter of the chain with `lr` a number.
 */
export type TransformHyper<D> = string extends keyof D ? Hyperparams : D;

/** What a transform sees of one parameter. `update` starts as a copy of the gradient and is rewritten in place. */
export interface TransformArgs<D extends HyperShape<D> = HyperValues> {
  readonly name: string;
  readonly value: Float32Array;
  /** The update direction so far; a transform rewrites it in place. */
  readonly update: Float32Array;
  /** This transform's own slots for this parameter (zero-filled on first use). */
  readonly slots: Readonly<Record<string, Float32Array>>;
  /** The parameter group's hyperparameters (shared by every transform of the chain). */
  readonly hyper: Readonly<TransformHyper<D>>;
  /** 1 on this parameter's first update. */
  readonly step: number;
}

/**
 * Slot names of a transform, fixed or chosen from the hyperparameters. The function is typed
 * as a method (whose parameter TypeScript compares bivariantly), so that a typed transform
 * still fits where any transform is expected.
 */
export type TransformSlots<D> = readonly string[] | { choose(hyper: Readonly<TransformHyper<D>>): readonly string[] }['choose'];

/**
 * A gradient transformation in the optax shape, made for typed arrays: it declares the
 * hyperparameters it reads (with defaults) and the per-parameter slots it keeps, and rewrites
 * the update buffer in place — per parameter (`update`) or across all parameters at once
 * (`global`, e.g. clipping by the global norm).
 *
 * D types the hyperparameters (`GradientTransform<{ momentum: number; nesterov: boolean }>`):
 * `defaults`, `validate`, `slots` and `update` then see them typed. Without it every value
 * is `number | boolean`.
 */
export interface GradientTransform<D extends HyperShape<D> = HyperValues> {
  /** Short name; slot keys in the optimizer state are `<index>:<name>.<slot>`. */
  readonly name: string;
  /** Hyperparameters this transform reads, with their defaults. */
  readonly defaults: Readonly<D>;
  /** Slot names kept per parameter, or a function of the hyperparameters naming only those the configuration uses. */
  readonly slots?: TransformSlots<D>;
  /** Returns a message for an invalid hyperparameter. */
  validate?(hyper: Readonly<TransformHyper<D>>): string | void;
  update?(args: TransformArgs<D>): void;
  global?(args: ReadonlyArray<TransformArgs<D>>): void;
}

/** Any transform, whatever its hyperparameter type (what {@link chain} takes: `GradientTransform<object>`). */
type AnyTransform = GradientTransform<object>;

/**
 * Chains transforms into an optimizer: for each step, every parameter's update starts as its
 * gradient, passes through each transform in order, and is added to the parameter. The last
 * transform is normally {@link scaleByLearningRate}, which owns the sign flip.
 *
 * @example
 * const myAdamW = chain('my-org/adamw', scaleByAdam(), addDecayedWeights({ weightDecay: 0.01 }), scaleByLearningRate({ lr: 1e-3 }));
 * const opt = myAdamW({ lr: 3e-4, groups: [{ params: /bias$/, weightDecay: 0 }] });
 */
export function chain<H extends Hyperparams = Hyperparams>(name: string, ...transforms: Array<GradientTransform<object>>): (options?: OptimizerOptions<H>) => Optimizer<H> {
  if (transforms.length === 0) throw new ConfigError(`chain("${name}"): needs at least one transform`);
  const defaults = mergeDefaults(name, transforms);
  if (typeof defaults.lr !== 'number') throw new ConfigError(`chain("${name}"): no transform declares lr; end the chain with scaleByLearningRate()`);
  return defineOptimizer<H>({
    name,
    defaults: defaults as H,
    slots: chainSlots(transforms),
    validate: (h) => {
      for (const t of transforms) {
        const problem = t.validate?.(h);
        if (problem) return problem;
      }
      return undefined;
    },
    stepAll: chainStep(transforms),
  });
}

/** Every transform's defaults in one record; two transforms may share a hyperparameter only with the same default. */
function mergeDefaults(name: string, transforms: readonly AnyTransform[]): HyperValues {
  const defaults: HyperValues = {};
  const owner: Record<string, string> = {};
  for (const t of transforms) {
    const declared: Array<[string, number | boolean]> = Object.entries(t.defaults);
    for (const [k, v] of declared) {
      if (k in defaults && defaults[k] !== v) {
        throw new ConfigError(`chain("${name}"): hyperparameter "${k}" is declared by both ${owner[k]} (default ${String(defaults[k])}) and ${t.name} (default ${String(v)})`);
      }
      defaults[k] = v;
      owner[k] = t.name;
    }
  }
  return defaults;
}

/** The chain's slot keys, `<index>:<transform>.<slot>`: a fixed list when every transform's is fixed, else a function of the hyperparameters. */
function chainSlots(transforms: readonly AnyTransform[]): SlotNames<Hyperparams> {
  const keys = (t: AnyTransform, i: number, names: readonly string[]) => names.map((s) => `${i}:${t.name}.${s}`);
  if (transforms.every((t) => typeof t.slots !== 'function')) return transforms.flatMap((t, i) => (typeof t.slots === 'function' ? [] : keys(t, i, t.slots ?? [])));
  return (h) => transforms.flatMap((t, i) => keys(t, i, namesFrom(t.name, t.slots, h)));
}

/** One chain step: each update starts as the gradient, goes through every transform in order, and is added to the parameter. */
function chainStep<H extends Hyperparams>(transforms: readonly AnyTransform[]): (params: ReadonlyArray<UpdateArgs<H>>) => void {
  const scratch = new Map<string, Float32Array>();
  return (params) => {
    const updates = params.map((p) => {
      let u = scratch.get(p.name);
      if (u === undefined || u.length !== p.grad.length) {
        u = new Float32Array(p.grad.length);
        scratch.set(p.name, u);
      }
      u.set(p.grad);
      return u;
    });
    transforms.forEach((t, i) => {
      const prefix = `${i}:${t.name}.`;
      const args: Array<TransformArgs<object>> = params.map((p, j) => {
        const own: Record<string, Float32Array> = {};
        for (const s of namesFrom(t.name, t.slots, p.hyper)) own[s] = p.slots[prefix + s];
        return { name: p.name, value: p.value, update: updates[j], slots: own, hyper: p.hyper, step: p.step };
      });
      if (t.global) t.global(args);
      if (t.update) for (const a of args) t.update(a);
    });
    params.forEach((p, j) => {
      const v = p.value;
      const u = updates[j];
      for (let k = 0; k < v.length; k++) v[k] += u[k];
    });
  };
}

/** u ← −lr·u. The descent sign lives here and only here. */
export function scaleByLearningRate(defaults: { lr?: number } = {}): GradientTransform<{ lr: number }> {
  return {
    name: 'scaleByLearningRate',
    defaults: { lr: defaults.lr ?? 1e-3 },
    update({ update, hyper }) {
      const s = -hyper.lr;
      for (let i = 0; i < update.length; i++) update[i] *= s;
    },
  };
}

/** u ← u + weightDecay·p (coupled L2 decay before an adaptive scaling; decoupled AdamW-style after it). */
export function addDecayedWeights(defaults: { weightDecay?: number } = {}): GradientTransform<{ weightDecay: number }> {
  return {
    name: 'addDecayedWeights',
    defaults: { weightDecay: defaults.weightDecay ?? 0 },
    validate: (h) => (h.weightDecay < 0 ? `weightDecay must be ≥ 0, got ${h.weightDecay}` : undefined),
    update({ update, value, hyper }) {
      const wd = hyper.weightDecay;
      if (wd === 0) return;
      for (let i = 0; i < update.length; i++) update[i] += wd * value[i];
    },
  };
}

/** Clips each element of u to [−clipValue, clipValue]. */
export function clipByValue(defaults: { clipValue?: number } = {}): GradientTransform<{ clipValue: number }> {
  return {
    name: 'clipByValue',
    defaults: { clipValue: defaults.clipValue ?? 1 },
    validate: (h) => (!(h.clipValue > 0) ? `clipValue must be > 0, got ${h.clipValue}` : undefined),
    update({ update, hyper }) {
      const c = hyper.clipValue;
      for (let i = 0; i < update.length; i++) update[i] = Math.min(c, Math.max(-c, update[i]));
    },
  };
}

/** Scales all updates together so their global L2 norm is at most maxNorm (torch's clip_grad_norm_). */
export function clipByGlobalNorm(defaults: { maxNorm?: number } = {}): GradientTransform<{ maxNorm: number }> {
  return {
    name: 'clipByGlobalNorm',
    defaults: { maxNorm: defaults.maxNorm ?? 1 },
    validate: (h) => (!(h.maxNorm > 0) ? `maxNorm must be > 0, got ${h.maxNorm}` : undefined),
    global(args) {
      if (args.length === 0) return;
      const norm = globalNorm(args.map((a) => a.update));
      const maxNorm = args[0].hyper.maxNorm;
      const scale = maxNorm / (norm + 1e-6);
      if (scale >= 1) return;
      for (const a of args) for (let i = 0; i < a.update.length; i++) a.update[i] *= scale;
    },
  };
}

/** √(Σ‖x‖²) over several buffers, accumulated in float64. */
export function globalNorm(buffers: readonly Float32Array[]): number {
  let s = 0;
  for (const b of buffers) for (let i = 0; i < b.length; i++) s += b[i] * b[i];
  return Math.sqrt(s);
}
