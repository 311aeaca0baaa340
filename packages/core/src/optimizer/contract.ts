// The optimizer contract: what an optimizer sees of a parameter, what it must offer, and the
// plain state it saves. Built-ins and third-party optimizers implement exactly this.
import type { Module } from '@trainkit/nn';
import type { Tensor } from '@trainkit/tensor';

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
  /**
   * The parameter itself (its Tensor; `parameterRefs(model, { identify: true })` sets it, as the Trainer does). A name that arrives with another
   * key than before is a new parameter (a replaced head): its optimizer state starts fresh, as a
   * new parameter's does in PyTorch. Without a key, state follows the name.
   */
  readonly key?: object;
  /**
   * The parameter's tensor when it lives on a device (`await model.to('webgpu')`): `value` and
   * `grad` are then empty, and `step` hands the update to the device's fused kernels.
   */
  readonly tensor?: Tensor;
}

/** The `value` and `grad` of a device parameter's ref. */
const NONE = new Float32Array(0);

/**
 * The refs `optimizer.step` receives for a model, as the Trainer builds them each step: every
 * parameter that requires a gradient and has one, by its dotted name, able to `move`. With
 * `identify` (what the Trainer passes) each ref carries its tensor as `key`, so a parameter
 * replaced under the same name starts with fresh optimizer state; leave it off when stepping a
 * copy of the model (a device backend's CPU mirror), whose tensors are new at every fit.
 *
 * @param model the model whose parameters to update
 * @example
 * loss.backward();
 * optimizer.step(parameterRefs(model));
 */
export function parameterRefs(model: Module, options: { identify?: boolean } = {}): ParamRef[] {
  const refs: ParamRef[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (p._storage !== null) {
      if (p.requiresGrad && p._gradStorage !== null) refs.push({ name, value: NONE, grad: NONE, tensor: p, ...(options.identify === true ? { key: p } : {}) });
      continue;
    }
    if (!(p.requiresGrad && p.grad !== null)) continue;
    const move = (value: Float32Array, grad: Float32Array) => p.moveTo(value, grad);
    refs.push(options.identify === true ? { name, value: p.data, grad: p.grad, move, key: p } : { name, value: p.data, grad: p.grad, move });
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

/** Options of an optimizer factory: hyperparameter overrides plus parameter groups. */
export type OptimizerOptions<H extends Hyperparams> = KnownPartial<H> & { groups?: ReadonlyArray<GroupSpec<H>> } & OpenKeys<H, number | boolean | ReadonlyArray<GroupSpec<H>> | undefined>;

/** Plain, serializable optimizer state (checkpoints store it; JSON-safe except the slot arrays). */
export interface OptimizerState {
  name: string;
  /** Number of `step()` calls. */
  step: number;
  /** Hyperparameters of each group, the default group last. */
  groups: Array<Record<string, number | boolean>>;
  /** Per-parameter step counts (a parameter that was frozen does not advance). */
  paramSteps: Record<string, number>;
  /**
   * Per-parameter slots (e.g. Adam's `m` and `v`), keyed by parameter name then slot name:
   * exactly the slots the parameter's group configuration uses (Adam keeps `vmax` only with
   * `amsgrad`).
   */
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
  /**
   * Binds each name to its parameter object (`key`): a name bound to another object before loses
   * its state (slots and step count), so a replaced layer starts fresh. `step` does this for refs
   * with a key; a device backend calls it before reading `stateDict()`. A state load unbinds all.
   */
  adopt?(params: ReadonlyArray<{ readonly name: string; readonly key: object }>): void;
  /**
   * After steps on a device (parameters moved with `await model.to('webgpu')`), the state lives
   * there and `stateDict()` refuses; `await optimizer.sync()` copies it back. Nothing to do otherwise.
   */
  sync?(): Promise<void>;
}

/** What {@link OptimizerSpec.update} receives for one parameter. */
export interface UpdateArgs<H extends Hyperparams> {
  readonly name: string;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /** This parameter's slots: those `slots` names for its group (zero-filled Float32Arrays the size of the parameter on first use). */
  readonly slots: Readonly<Record<string, Float32Array>>;
  readonly hyper: Readonly<H>;
  /** 1 on this parameter's first update (for bias corrections). */
  readonly step: number;
}

/**
 * The slots an optimizer keeps per parameter: a fixed list of names, or a function of the
 * parameter group's hyperparameters that names only those the configuration uses (Adam:
 * `(h) => (h.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'])`), so no memory or checkpoint space
 * goes to a slot that stays zero. Return the same array for the same configuration: it is
 * asked on every step.
 */
export type SlotNames<H> = readonly string[] | ((hyper: Readonly<H>) => readonly string[]);

/** What `defineOptimizer` needs: a name, default hyperparameters, slot names, validation and the update. */
export interface OptimizerSpec<H extends Hyperparams> {
  /** Registry name, e.g. `"optim-adam/adam"`. */
  name: string;
  defaults: H;
  /** Slot names allocated per parameter (e.g. `['m', 'v']`), or a function of the hyperparameters that returns them. */
  slots?: SlotNames<H>;
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
