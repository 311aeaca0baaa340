import { type Data, type LossFn, type Optimizer, type Plugin, type ResumeState, type TrainerState, type EpochRecord, Trainer } from '@trainkit/core';
import { type Module, getDefaultRng, manualSeed } from '@trainkit/nn';
import { type Rng, initKernels } from '@trainkit/tensor';
import { EnsembleError } from './errors';
import { memberProgressPlugin, type MemberProgress } from './progress';
import { type StateDict, copyStateDict } from './stateDict';

/** What a member's model factory and setup receive. */
export interface MemberContext<P = unknown> {
  /** Position of the member in the ensemble, from 0. */
  readonly index: number;
  /** The member's seed: its initialization, shuffling, dropout and augmentation all derive from it. */
  readonly seed: number;
  /**
   * The member's initialization stream (`manualSeed(seed)` has just been called and this is
   * `getDefaultRng()`): pass it to layers (`mnistCnn({ rng })`); layers built without one draw
   * from the same stream.
   */
  readonly rng: Rng;
  /** The `params` given to the training call (JSON data, identical for in-process and worker runs). */
  readonly params: P;
}

/** Everything needed to train one member, returned by {@link MemberDefinition.setup}. */
export interface MemberSetup {
  /** A fresh optimizer for this member. */
  optimizer: Optimizer;
  /** Training data (a DataLoader: the trainer shuffles it with the member's seed). */
  train: Data;
  /** Optional validation data, evaluated after every epoch. */
  val?: Data;
  /** Number of epochs. */
  epochs: number;
  /** Plugins for this member's trainer (schedules, augmentation, EMA, …). */
  plugins?: Plugin[];
  /** Loss function (default: cross-entropy from logits). */
  loss?: LossFn;
}

/**
 * How to build and train one member. Keep it deterministic: everything random must come
 * from `ctx.seed` / `ctx.rng` (the trainer is seeded with `ctx.seed`), so that training in a
 * worker and in the calling thread gives bit-identical weights.
 */
export interface MemberDefinition<P = unknown> {
  /** Builds the member's untrained model (also used to rebuild trained members from their weights). */
  model(ctx: MemberContext<P>): Module;
  /** Creates the optimizer, data and plugins of one member's training run. */
  setup(ctx: MemberContext<P> & { readonly model: Module }): MemberSetup | Promise<MemberSetup>;
}

/** One trained member: its weights, its training history and the trainer state to resume from. */
export interface MemberResult {
  index: number;
  seed: number;
  /** Final parameters and buffers. */
  state: StateDict;
  /** Metrics of every epoch. */
  history: EpochRecord[];
  /** The trainer's final state (optimizer slots, RNG, plugin states such as snapshots or EMA). */
  trainer: TrainerState;
  /** Wall-clock seconds the member took, setup included. */
  seconds: number;
}

/**
 * Types a member definition (an identity function). Export the result from a module so that
 * worker threads can load it (`trainEnsemble({ member: new URL('./member.ts', import.meta.url) })`).
 *
 * @example
 * export default defineMember<{ limit: number }>({
 *   model: ({ rng }) => mnistCnn({ rng }),
 *   setup: async ({ params }) => ({
 *     optimizer: adam({ lr: 1e-3 }),
 *     train: new DataLoader(await loadMnist({ split: 'train', limit: params.limit }), { batchSize: 64, shuffle: true }),
 *     epochs: 1,
 *   }),
 * });
 */
export function defineMember<P = unknown>(definition: MemberDefinition<P>): MemberDefinition<P> {
  checkDefinition(definition, 'defineMember');
  return definition;
}

/** Throws unless `definition` has `model` and `setup` functions. */
export function checkDefinition(definition: unknown, where: string): asserts definition is MemberDefinition {
  const d = definition as Partial<MemberDefinition> | null;
  if (d === null || typeof d !== 'object' || typeof d.model !== 'function' || typeof d.setup !== 'function') {
    throw new EnsembleError(`${where}: a member definition is an object with model(ctx) and setup(ctx) functions (see defineMember)`);
  }
}

/** The member context for (index, seed): reseeds the default init generator with `seed`. */
export function memberContext<P>(index: number, seed: number, params: P): MemberContext<P> {
  manualSeed(seed);
  return { index, seed, rng: getDefaultRng(), params };
}

/** Builds a member's model for loading trained weights into (reseeds the default generator). */
export function buildMemberModel<P>(definition: MemberDefinition<P>, index: number, seed: number, params: P): Module {
  return definition.model(memberContext(index, seed, params));
}

/** How {@link trainMember} runs a member beyond its definition: extra plugins, and where it resumes from. */
export interface MemberRunOptions {
  /** Plugins after the definition's own (a checkpointer, a sweep's reporting plugin). */
  plugins?: readonly Plugin[];
  /**
   * A full training state to continue from (what `loadMemberState` of `@trainkit/ensemble/node`
   * reads from a member checkpoint), or a name a plugin resolves (`'latest'` with a checkpointer).
   */
  resume?: ResumeState | string;
}

/**
 * Trains one member in the calling thread: builds its model from its seed, runs
 * `Trainer.fit` seeded with the same seed, and returns a copy of the final weights and the
 * trainer's full state. Workers call exactly this function, which is why parallel and
 * sequential runs agree bit for bit; with `run.resume` it continues a member from its saved
 * training state (optimizer, RNG, data position) to the same weights as an uninterrupted run.
 */
export async function trainMember<P>(
  definition: MemberDefinition<P>,
  job: { index: number; seed: number; params: P },
  onProgress?: (event: MemberProgress) => void,
  run: MemberRunOptions = {},
): Promise<MemberResult> {
  const started = performance.now();
  await initKernels();
  const ctx = memberContext(job.index, job.seed, job.params);
  const model = definition.model(ctx);
  const setup = await definition.setup({ ...ctx, model });
  const plugins = [...(setup.plugins ?? [])];
  if (onProgress) plugins.push(memberProgressPlugin(job.index, job.seed, onProgress));
  plugins.push(...(run.plugins ?? []));
  const trainer = new Trainer({ optimizer: setup.optimizer, loss: setup.loss, plugins, seed: job.seed });
  const fit = await trainer.fit(model, { train: setup.train, val: setup.val, epochs: setup.epochs, resume: run.resume });
  return {
    index: job.index,
    seed: job.seed,
    state: copyStateDict(model),
    history: fit.history,
    trainer: trainer.stateDict(),
    seconds: (performance.now() - started) / 1000,
  };
}
