import type { Module } from '@trainkit/nn';
import { allocResident, firstNonFinite } from '@trainkit/tensor';
import { ConfigError, NonFiniteGradientError } from './errors';

/** What an optimizer sees of a parameter: its values and gradient, updated in place. */
export interface ParamRef {
  readonly name: string;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /**
   * Moves the parameter's storage: copies its values and gradient into the given arrays and
   * uses them from then on (the Trainer's refs offer it; see `parameterRefs`). Optimizers
   * declared `resident` call it once per parameter to place it next to their slots in
   * WebAssembly memory; an optimizer that does not care can ignore it.
   */
  readonly move?: (value: Float32Array, grad: Float32Array) => void;
}

/**
 * The refs `optimizer.step` receives for a model, as the Trainer builds them each step: every
 * parameter that requires a gradient and has one, by its dotted name, able to `move`.
 *
 * @param model the model whose parameters to update
 * @example
 * loss.backward();
 * optimizer.step(parameterRefs(model));
 */
export function parameterRefs(model: Module): ParamRef[] {
  const refs: ParamRef[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (p.requiresGrad && p.grad !== null) refs.push({ name, value: p.data, grad: p.grad, move: (value, grad) => p.moveTo(value, grad) });
  }
  return refs;
}

/**
 * Hyperparameters are named numbers or flags (`nesterov`, `amsgrad`); `lr` is always present
 * and mutable (schedules set it).
 */
export type Hyperparams = { lr: number } & Record<string, number | boolean>;

/** Selects parameters by name: a list, a pattern, or a predicate. */
export type ParamSelector = readonly string[] | RegExp | ((name: string) => boolean);

/** The named (non-index-signature) keys of H, all optional. */
type KnownPartial<H> = { [K in keyof H as string extends K ? never : K]?: H[K] };

/** For the open `Hyperparams` type (chains built without a concrete type), any further key is allowed. */
type OpenKeys<H, V> = string extends keyof H ? Record<string, V> : unknown;

/** A parameter group: which parameters, and the hyperparameters that differ from the defaults. */
export type GroupSpec<H extends Hyperparams> = { params: ParamSelector } & KnownPartial<H> & OpenKeys<H, number | boolean | ParamSelector | undefined>;

/** A resolved parameter group. `initialLr` is what schedules scale from. */
export interface ParamGroup<H extends Hyperparams> {
  readonly select: ParamSelector | null;
  hyper: H;
  readonly initialLr: number;
}

/** Plain, serializable optimizer state (checkpoints store it; JSON-safe except the slot arrays). */
export interface OptimizerState {
  name: string;
  /** Number of `step()` calls. */
  step: number;
  /** Hyperparameters of each group, the default group last. */
  groups: Array<Record<string, number | boolean>>;
  /** Per-parameter step counts (a parameter that was frozen does not advance). */
  paramSteps: Record<string, number>;
  /** Per-parameter slots (e.g. Adam's `m` and `v`), keyed by parameter name then slot name. */
  slots: Record<string, Record<string, Float32Array>>;
}

/**
 * The contract every optimizer implements, built-in or third-party. `step` updates each
 * parameter's `value` in place from its `grad`; all state round-trips through
 * {@link Optimizer.stateDict} / {@link Optimizer.loadStateDict}.
 */
export interface Optimizer<H extends Hyperparams = Hyperparams> {
  /** Stable registry name, e.g. `"core/sgd"` (never a constructor name, which minifiers rename). */
  readonly name: string;
  /** Groups in matching order; the last one is the default group (matches every parameter). */
  readonly groups: ReadonlyArray<ParamGroup<H>>;
  /** The default group's learning rate. Setting it scales every group's lr by the same factor. */
  lr: number;
  /** Number of completed steps. */
  readonly stepCount: number;
  /** Applies one update to every parameter. */
  step(params: readonly ParamRef[]): void;
  /** The hyperparameters a parameter is updated with. */
  hyperFor(name: string): H;
  stateDict(): OptimizerState;
  loadStateDict(state: OptimizerState): void;
}

/** What {@link defineOptimizer}'s `update` receives for one parameter. */
export interface UpdateArgs<H extends Hyperparams> {
  readonly name: string;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /** This parameter's slots (zero-filled Float32Arrays the size of the parameter). */
  readonly slots: Readonly<Record<string, Float32Array>>;
  readonly hyper: Readonly<H>;
  /** 1 on this parameter's first update (for bias corrections). */
  readonly step: number;
}

/** What {@link defineOptimizer} needs: a name, default hyperparameters, slot names, validation and the update. */
export interface OptimizerSpec<H extends Hyperparams> {
  /** Registry name, e.g. `"optim-adam/adam"`. */
  name: string;
  defaults: H;
  /** Slot names allocated per parameter (e.g. `['m', 'v']`). */
  slots?: readonly string[];
  /**
   * Keep each parameter, its gradient and its slots together in resident WebAssembly memory
   * (when the wasm kernels are in use and the ParamRef can `move`), so that a fused kernel
   * such as `adamStepKernel` updates them in place without copying. Default false.
   */
  resident?: boolean;
  /** Returns a message (without the optimizer name prefix) for an invalid hyperparameter. */
  validate?: (hyper: H) => string | void;
  /** Updates one parameter in place. Must not allocate in the hot path. Give this or `stepAll`. */
  update?: (args: UpdateArgs<H>) => void;
  /** Updates all parameters of a step at once (for transforms that need every gradient, like global-norm clipping). */
  stepAll?: (args: ReadonlyArray<UpdateArgs<H>>) => void;
}

/** Options of an optimizer factory: hyperparameter overrides plus parameter groups. */
export type OptimizerOptions<H extends Hyperparams> = KnownPartial<H> & { groups?: ReadonlyArray<GroupSpec<H>> } & OpenKeys<H, number | boolean | ReadonlyArray<GroupSpec<H>> | undefined>;

/** @internal Whether a parameter name is picked by a selector (shared by groups and `freeze`). */
export function matches(select: ParamSelector, name: string): boolean {
  if (typeof select === 'function') return select(name);
  if (select instanceof RegExp) return select.test(name);
  return select.includes(name);
}

function checkHyper<H extends Hyperparams>(spec: OptimizerSpec<H>, hyper: H, where: string): void {
  for (const [k, v] of Object.entries(hyper)) {
    const expected = typeof spec.defaults[k];
    if (expected === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`${spec.name}: ${k} must be ${expected === 'boolean' ? 'true or false' : 'a finite number'}${where}, got ${String(v)}`);
    }
  }
  if (hyper.lr < 0) throw new ConfigError(`${spec.name}: lr must be ≥ 0${where}, got ${hyper.lr}`);
  const problem = spec.validate?.(hyper);
  if (problem) throw new ConfigError(`${spec.name}: ${problem}${where}`);
}

/**
 * Builds an optimizer from its per-parameter update: the helper handles parameter groups,
 * slots, step counts, validation and state (de)serialization, so a new optimizer is about
 * twenty lines.
 *
 * @example
 * export const signSgd = defineOptimizer({
 *   name: 'my-org/sign-sgd',
 *   defaults: { lr: 0.01 },
 *   validate: (h) => (h.lr > 1 ? `lr must be ≤ 1, got ${h.lr}` : undefined),
 *   update({ value, grad, hyper }) {
 *     for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * Math.sign(grad[i]);
 *   },
 * });
 * const opt = signSgd({ lr: 0.001 });
 */
export function defineOptimizer<H extends Hyperparams>(spec: OptimizerSpec<H>): (options?: OptimizerOptions<H>) => Optimizer<H> {
  if ((spec.update === undefined) === (spec.stepAll === undefined)) {
    throw new ConfigError(`defineOptimizer("${spec.name}"): give exactly one of update (per parameter) or stepAll (whole step)`);
  }
  if (typeof spec.defaults?.lr !== 'number') throw new ConfigError(`defineOptimizer("${spec.name}"): defaults must include a numeric lr`);
  const slotNames = spec.slots ?? [];
  return (options = {} as OptimizerOptions<H>) => {
    const { groups: groupSpecs = [], ...overrides } = options as { groups?: ReadonlyArray<GroupSpec<H>> } & Record<string, unknown>;
    for (const k of Object.keys(overrides)) {
      if (!(k in spec.defaults)) throw new ConfigError(`${spec.name}: unknown option "${k}" (known: ${Object.keys(spec.defaults).join(', ')}, groups)`);
    }
    const base = { ...spec.defaults, ...overrides } as H;
    checkHyper(spec, base, '');
    const groups: Array<ParamGroup<H>> = groupSpecs.map((g, i) => {
      const { params, ...rest } = g;
      const hyper = { ...base, ...rest } as H;
      checkHyper(spec, hyper, ` (parameter group ${i})`);
      return { select: params, hyper, initialLr: hyper.lr };
    });
    groups.push({ select: null, hyper: base, initialLr: base.lr });
    const defaultGroup = groups[groups.length - 1];

    let stepCount = 0;
    const paramSteps = new Map<string, number>();
    const slots = new Map<string, Record<string, Float32Array>>();
    /** Parameters placed in resident memory, with the memory their slots are in. */
    const placed = new Map<string, ArrayBufferLike>();
    const groupOf = new Map<string, ParamGroup<H>>();

    const group = (name: string): ParamGroup<H> => {
      let g = groupOf.get(name);
      if (g === undefined) {
        g = groups.find((c) => c.select === null || matches(c.select, name)) as ParamGroup<H>;
        groupOf.set(name, g);
      }
      return g;
    };

    const slotsFor = (name: string, size: number): Record<string, Float32Array> => {
      let s = slots.get(name);
      if (s === undefined) {
        s = {};
        for (const k of slotNames) s[k] = new Float32Array(size);
        slots.set(name, s);
      } else if (slotNames.length > 0 && s[slotNames[0]].length !== size) {
        throw new ConfigError(`${spec.name}: parameter "${name}" has ${size} values but its optimizer state has ${s[slotNames[0]].length}`);
      }
      return s;
    };

    /**
     * Moves the parameters not yet resident (with their slots, values copied) into a fresh
     * block of WebAssembly memory; returns their new arrays by name. Nothing moves when the
     * wasm kernels are off, so the update then runs on the arrays it was given.
     */
    const place = (params: readonly ParamRef[]): Map<string, readonly [Float32Array, Float32Array]> | null => {
      const fresh = params.filter((p) => p.move !== undefined && placed.get(p.name) !== p.value.buffer);
      if (fresh.length === 0) return null;
      for (const p of fresh) if (slots.has(p.name)) slotsFor(p.name, p.value.length); // a size mismatch throws before anything moves
      const blocks = allocResident(fresh.map((p) => Array<number>(2 + slotNames.length).fill(p.value.length)));
      if (blocks === null) return null;
      const moved = new Map<string, readonly [Float32Array, Float32Array]>();
      fresh.forEach((p, i) => {
        const [value, grad, ...slotArrays] = blocks[i];
        const old = slots.get(p.name) ?? null;
        const s: Record<string, Float32Array> = {};
        for (const [j, k] of slotNames.entries()) {
          s[k] = slotArrays[j];
          if (old !== null) s[k].set(old[k]);
        }
        slots.set(p.name, s);
        (p.move as NonNullable<ParamRef['move']>)(value, grad);
        placed.set(p.name, value.buffer);
        moved.set(p.name, [value, grad]);
      });
      return moved;
    };

    const opt: Optimizer<H> = {
      name: spec.name,
      groups,
      get lr() {
        return defaultGroup.hyper.lr;
      },
      set lr(value: number) {
        if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${spec.name}: lr must be a finite number ≥ 0, got ${value}`);
        const factor = defaultGroup.initialLr === 0 ? 0 : value / defaultGroup.initialLr;
        for (const g of groups) g.hyper.lr = g === defaultGroup ? value : g.initialLr * factor;
      },
      get stepCount() {
        return stepCount;
      },
      hyperFor: (name) => group(name).hyper,
      step(params) {
        // validate everything first, so a bad gradient leaves every parameter untouched
        for (const p of params) {
          if (p.grad.length !== p.value.length) throw new ConfigError(`${spec.name}: parameter "${p.name}" has ${p.value.length} values but ${p.grad.length} gradients`);
          const bad = firstNonFinite(p.grad);
          if (bad !== -1) throw new NonFiniteGradientError(spec.name, p.name, stepCount + 1, bad, p.grad[bad]);
        }
        stepCount++;
        const moved = spec.resident ? place(params) : null;
        const args = params.map((p) => {
          const t = (paramSteps.get(p.name) ?? 0) + 1;
          paramSteps.set(p.name, t);
          const [value, grad] = moved?.get(p.name) ?? [p.value, p.grad];
          return { name: p.name, value, grad, slots: slotsFor(p.name, p.value.length), hyper: group(p.name).hyper, step: t };
        });
        if (spec.update) for (const a of args) spec.update(a);
        else spec.stepAll?.(args);
      },
      stateDict() {
        const s: OptimizerState = { name: spec.name, step: stepCount, groups: groups.map((g) => ({ ...g.hyper })), paramSteps: {}, slots: {} };
        for (const [k, v] of paramSteps) s.paramSteps[k] = v;
        for (const [k, v] of slots) {
          s.slots[k] = {};
          for (const [sk, arr] of Object.entries(v)) s.slots[k][sk] = arr.slice();
        }
        return s;
      },
      loadStateDict(state) {
        if (state === null || typeof state !== 'object') throw new ConfigError(`${spec.name}: loadStateDict expects an OptimizerState object`);
        if (state.name !== spec.name) throw new ConfigError(`${spec.name}: cannot load state saved by "${state.name}"`);
        if (!Array.isArray(state.groups) || state.groups.length !== groups.length) {
          throw new ConfigError(`${spec.name}: state has ${state.groups?.length} parameter groups, this optimizer has ${groups.length}`);
        }
        state.groups.forEach((h, i) => {
          const hyper = { ...groups[i].hyper, ...h } as H;
          checkHyper(spec, hyper, ` (saved parameter group ${i})`);
          groups[i].hyper = hyper;
        });
        for (const [name, ss] of Object.entries(state.slots ?? {})) {
          for (const k of slotNames) {
            if (!(ss[k] instanceof Float32Array)) throw new ConfigError(`${spec.name}: saved state of "${name}" lacks slot "${k}"`);
          }
        }
        stepCount = state.step;
        paramSteps.clear();
        for (const [k, v] of Object.entries(state.paramSteps ?? {})) paramSteps.set(k, v);
        const loaded = new Map<string, Record<string, Float32Array>>();
        for (const [name, ss] of Object.entries(state.slots ?? {})) {
          const here = placed.has(name) ? slots.get(name) : undefined;
          if (here !== undefined && slotNames.every((k) => here[k].length === ss[k].length)) {
            for (const k of slotNames) here[k].set(ss[k]); // stays resident
            loaded.set(name, here);
          } else {
            const copy: Record<string, Float32Array> = {};
            for (const k of slotNames) copy[k] = ss[k].slice();
            loaded.set(name, copy);
            placed.delete(name);
          }
        }
        for (const name of placed.keys()) if (!loaded.has(name)) placed.delete(name);
        slots.clear();
        for (const [name, s] of loaded) slots.set(name, s);
      },
    };
    return opt;
  };
}
