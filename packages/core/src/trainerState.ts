import type { Module } from '@trainkit/nn';
import type { Rng, RngState, Tensor } from '@trainkit/tensor';
import { ResumeError } from './errors';
import type { EpochRecord, Plugin } from './hooks';
import type { Optimizer, OptimizerState } from './optimizer';

/** Everything the trainer needs to continue a run exactly (the model's weights are saved separately). */
export interface TrainerState {
  version: 1;
  /** The next epoch to run and the next batch within it. */
  epoch: number;
  batchIndex: number;
  step: number;
  history: EpochRecord[];
  epochMetrics: Record<string, [number, number]>;
  rng: RngState;
  optimizer: OptimizerState | null;
  plugins: Record<string, unknown>;
}

/**
 * What `fit({ resume })` accepts and what `Plugin.resolveResume` returns: a {@link TrainerState},
 * optionally with the weights to load and the place it was read from. The trainer checks all of
 * it against the model, the optimizer and the plugins before it changes any of them.
 */
export interface ResumeState extends TrainerState {
  /** The model's parameters and buffers by name, loaded (strictly) only when the whole state fits. */
  model?: Readonly<Record<string, Tensor>>;
  /** Where the state was read from (a file path); every resume error names it. */
  source?: string;
}

/** What a state is checked against. `model` is null for `Trainer.loadStateDict` (no weights there). */
export interface StateTarget {
  readonly seed: number;
  readonly model: Module | null;
  readonly optimizer: Optimizer | null;
  /** Batches per epoch of the training data, when known. */
  readonly batchesPerEpoch: number | undefined;
}

const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `fit({ resume: 'latest' }) from runs/a/latest.safetensors` — the prefix of every resume error. */
export function resumeError(where: string, source: string | undefined, problem: string, cause?: unknown): ResumeError {
  return new ResumeError(`${where}${source === undefined ? '' : ` from ${source}`}: ${problem}`, source, cause === undefined ? undefined : { cause });
}

/**
 * Checks everything about `state` that can be checked without changing anything: version,
 * position, history, seed, the optimizer state against the optimizer and the model's
 * parameters. Throws a {@link ResumeError} naming `where` and the state's `source`.
 */
export function checkTrainerState(state: ResumeState, target: StateTarget, where: string): void {
  const fail = (problem: string): ResumeError => resumeError(where, isObject(state) && typeof state.source === 'string' ? state.source : undefined, problem);
  if (!isObject(state) || state.version !== 1) throw fail(`unsupported trainer state (version ${String((state as TrainerState | null)?.version)}, expected 1)`);
  if (!isCount(state.epoch) || !isCount(state.batchIndex) || !isCount(state.step)) {
    throw fail(`invalid position epoch=${state.epoch} batchIndex=${state.batchIndex} step=${state.step} (each must be an integer ≥ 0)`);
  }
  if (target.batchesPerEpoch !== undefined && state.batchIndex > target.batchesPerEpoch) {
    throw fail(`the state is at batch ${state.batchIndex} of epoch ${state.epoch}, but the training data has ${target.batchesPerEpoch} batches per epoch`);
  }
  if (!Array.isArray(state.history)) throw fail('history must be an array of epoch records');
  if (!isObject(state.epochMetrics) || !Object.values(state.epochMetrics).every((v) => Array.isArray(v) && v.length === 2)) {
    throw fail('epochMetrics must map each metric name to [sum, weight]');
  }
  if (!isObject(state.rng) || state.rng.seed !== target.seed) {
    const saved = (state.rng as RngState | undefined)?.seed;
    throw fail(`the state was saved by a trainer with seed ${String(saved)}, this trainer has seed ${target.seed}; continue that run with new Trainer({ seed: ${String(saved)}, … })`);
  }
  if (!isObject(state.plugins)) throw fail('plugins must be an object of plugin states by state key');
  if (state.model !== undefined && target.model === null) throw fail('the state carries model weights; Trainer.loadStateDict does not load them (use fit({ resume }) or model.loadStateDict)');
  checkOptimizerState(state.optimizer, target, fail);
}

function checkOptimizerState(saved: OptimizerState | null, { optimizer, model }: StateTarget, fail: (problem: string) => ResumeError): void {
  if (saved === null || optimizer === null) return;
  if (!isObject(saved)) throw fail(`the optimizer state must be an object, got ${typeof saved}`);
  if (saved.name !== optimizer.name) throw fail(`the optimizer state was saved by "${saved.name}", this trainer's optimizer is "${optimizer.name}"`);
  if (!Array.isArray(saved.groups) || saved.groups.length !== optimizer.groups.length) {
    throw fail(`the optimizer state has ${String(saved.groups?.length)} parameter groups, this optimizer has ${optimizer.groups.length}`);
  }
  if (model === null) return;
  const sizes = new Map(model.namedParameters().map(([name, p]) => [name, p.size]));
  for (const [name, slots] of Object.entries(saved.slots ?? {})) {
    const size = sizes.get(name);
    if (size === undefined) throw fail(`the optimizer state has slots for "${name}", which is not a parameter of this model`);
    for (const [slot, values] of Object.entries(slots)) {
      const n = (values as Float32Array | undefined)?.length;
      if (!(values instanceof Float32Array) || n !== size) throw fail(`optimizer slot "${slot}" of "${name}" has ${String(n)} values, the parameter has ${size}`);
    }
  }
}

/** The parts of a run a resume may change (the trainer's own fields are restored by the trainer). */
export interface RunParts {
  readonly model: Module | null;
  readonly optimizer: Optimizer | null;
  readonly rng: Rng;
  readonly plugins: readonly Plugin[];
}

function copyOf<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value; // not cloneable (a class instance with methods): the plugin's own copy is what we have
  }
}

/**
 * Copies the model's weights, the optimizer, RNG and plugin states, and returns a function that
 * puts them all back bit for bit. It returns the errors of the parts that could not be restored.
 */
export function snapshot({ model, optimizer, rng, plugins }: RunParts): () => unknown[] {
  const weights = new Map(Object.entries(model?.stateDict() ?? {}).map(([k, t]) => [k, t.data.slice()]));
  const opt = optimizer?.stateDict() ?? null;
  const rngState = rng.getState();
  const states = plugins.filter((p) => typeof p.stateDict === 'function' && typeof p.loadStateDict === 'function').map((p) => [p, copyOf(p.stateDict?.())] as const);
  return () => {
    const errors: unknown[] = [];
    const attempt = (restore: () => void): void => {
      try {
        restore();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const [k, t] of Object.entries(model?.stateDict() ?? {})) {
      const saved = weights.get(k);
      if (saved !== undefined && saved.length === t.data.length) t.data.set(saved);
    }
    if (opt !== null) attempt(() => optimizer?.loadStateDict(opt));
    attempt(() => rng.setState(rngState));
    for (const [p, s] of states) attempt(() => p.loadStateDict?.(copyOf(s)));
    return errors;
  };
}

/** The trainer's own part of a {@link TrainerState}: what the run recorded and where it continues. */
export interface Position {
  history: EpochRecord[];
  epochMetrics: Record<string, [number, number]>;
  next: { epoch: number; batchIndex: number };
}

/**
 * Checks all of `state`, then loads the weights (when it has them and `parts.model` is given),
 * the optimizer state, the plugin states and the RNG, in that order; returns the position to
 * continue from. A part that refuses its state throws a {@link ResumeError} naming `where` and
 * the source; the parts loaded before it are then changed (see {@link guard}).
 */
export function applyState(state: ResumeState, parts: RunParts & Omit<StateTarget, 'model'>, where: string): Position {
  const { model, optimizer, plugins, rng } = parts;
  checkTrainerState(state, parts, where);
  const load = (what: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      throw resumeError(where, state.source, `${what}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  };
  const weights = state.model;
  if (weights !== undefined && model !== null) load('the weights do not fit this model', () => model.loadStateDict(weights));
  const saved = state.optimizer;
  if (saved !== null && optimizer !== null) load('the optimizer refused its state', () => optimizer.loadStateDict(saved));
  for (const p of plugins) {
    const key = p.stateKey ?? p.name;
    if (typeof p.loadStateDict === 'function' && Object.hasOwn(state.plugins, key)) load(`plugin "${p.name}" refused its state`, () => p.loadStateDict?.(state.plugins[key]));
  }
  load('the RNG refused its state', () => rng.setState(state.rng));
  return { history: state.history, epochMetrics: state.epochMetrics, next: { epoch: state.epoch, batchIndex: state.batchIndex } };
}

/**
 * Snapshots `parts` and returns the function to call with an error when applying a state
 * failed: it puts every part back bit for bit, runs `undoOwn` (the trainer's own fields) and
 * returns the error to throw — `error` itself, or an AggregateError when rolling back failed too.
 */
export function guard(parts: RunParts, undoOwn: () => void): (error: unknown) => unknown {
  const rollback = snapshot(parts);
  return (error) => {
    const failed = rollback();
    undoOwn();
    if (failed.length === 0) return error;
    return new AggregateError([error, ...failed], `${error instanceof Error ? error.message : String(error)}; rolling back also failed, so the run is in an unknown state`);
  };
}
