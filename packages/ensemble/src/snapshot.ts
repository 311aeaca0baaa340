import { type BaseContext, type Plugin, cosineWarmRestarts, cycleOf } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Tensor } from '@trainkit/tensor';
import { Ensemble, type EnsembleOptions } from './ensemble';
import { EnsembleError } from './errors';
import { type StateDict, copyStateDict } from './stateDict';

/** Options of {@link snapshotEnsemble}: either `cycles`, or `t0` (and `tMult`). */
export interface SnapshotEnsembleOptions {
  /** Split the whole fit into this many equal cycles (needs the data's length with `interval: 'step'`). */
  cycles?: number;
  /** Length of the first cycle, in epochs (or steps with `interval: 'step'`). */
  t0?: number;
  /** Each cycle is tMult times longer than the previous one (integer ≥ 1, default 1). */
  tMult?: number;
  /** Lowest learning rate, reached at the end of each cycle (default 0). */
  etaMin?: number;
  /** `'epoch'` (default) or `'step'`: the unit of `t0` and when the lr changes. */
  interval?: 'epoch' | 'step';
  /** Ensemble only the last `keep` snapshots (older ones are dropped; default: all). */
  keep?: number;
  /** Called with each snapshot as it is taken (e.g. to save it). Awaited. */
  onSnapshot?: (snapshot: Snapshot) => void | Promise<void>;
}

/** The model at the end of one learning-rate cycle. */
export interface Snapshot {
  /** Which cycle ended (from 0). */
  cycle: number;
  /** Optimizer steps taken when it was taken. */
  step: number;
  /** The epoch it was taken in (from 0). */
  epoch: number;
  /** Parameters and buffers. */
  state: StateDict;
}

/** What {@link snapshotEnsemble} exposes besides the plugin hooks. */
export interface SnapshotHandle {
  /** The kept snapshots, oldest first. */
  readonly snapshots: readonly Snapshot[];
  /** The current learning rate set by the schedule. */
  readonly lr: number;
  /** An {@link Ensemble} of the kept snapshots, each loaded into a model built by `factory`. */
  ensemble(factory: () => Module, options?: EnsembleOptions): Ensemble;
}

type PlainSnapshot = Omit<Snapshot, 'state'> & { state: Record<string, { shape: number[]; data: Float32Array }> };

/** Makes a boundary that floating-point lengths put at 937.9999999 or 938.0000001 land on step 938. */
const BOUNDARY_EPS = 1e-6;

function checkOptions(o: SnapshotEnsembleOptions): void {
  const { cycles, t0, keep, interval = 'epoch' } = o;
  if ((cycles === undefined) === (t0 === undefined)) throw new EnsembleError('snapshotEnsemble: pass either { cycles } (equal cycles over the fit) or { t0, tMult } (cycle lengths)');
  if (cycles !== undefined && (!Number.isInteger(cycles) || cycles < 1)) throw new EnsembleError(`snapshotEnsemble({ cycles: ${cycles} }): cycles must be a positive integer`);
  if (t0 !== undefined && !(t0 > 0)) throw new EnsembleError(`snapshotEnsemble({ t0: ${t0} }): t0 must be > 0`);
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new EnsembleError(`snapshotEnsemble({ keep: ${keep} }): keep must be a positive integer`);
  if (interval !== 'epoch' && interval !== 'step') throw new EnsembleError(`snapshotEnsemble({ interval: ${JSON.stringify(interval)} }): interval must be 'epoch' or 'step'`);
  cosineWarmRestarts({ t0: t0 ?? 1, tMult: o.tMult, etaMin: o.etaMin }); // validates tMult and etaMin
}

/**
 * Snapshot ensembles (Huang et al. 2017): one training run whose learning rate follows cosine
 * annealing with warm restarts (`cosineWarmRestarts`); at the end of each cycle, where the
 * lr reaches its minimum and the model sits in a local minimum, the plugin keeps a copy of the
 * model. The last `keep` snapshots form an ensemble — several models for the cost of one run.
 * The plugin sets the lr itself, so do not add another scheduler. The snapshots are part of
 * the plugin state, so a checkpoint resumes with them.
 *
 * @param options - `cycles` or `t0`/`tMult`, `etaMin`, `interval`, `keep`, `onSnapshot`
 * @see https://arxiv.org/abs/1704.00109 (Huang et al. 2017, Snapshot Ensembles: Train 1, get M for free)
 * @example
 * const snapshots = snapshotEnsemble({ cycles: 5, interval: 'step', keep: 3 });
 * await new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: [snapshots] }).fit(model, { train, epochs: 1 });
 * const ensemble = snapshots.ensemble(() => mnistCnn());
 */
export function snapshotEnsemble(options: SnapshotEnsembleOptions): Plugin & SnapshotHandle {
  checkOptions(options);
  const interval = options.interval ?? 'epoch';
  const tMult = options.cycles === undefined ? (options.tMult ?? 1) : 1;
  let t0 = options.t0 ?? NaN;
  let baseLr: number | null = null;
  let lr = NaN;
  let snapshots: Snapshot[] = [];

  const setLr = (ctx: BaseContext, t: number) => {
    if (ctx.optimizer === null) return;
    baseLr ??= ctx.optimizer.lr;
    ctx.optimizer.lr = lr = cosineWarmRestarts({ t0, tMult, etaMin: options.etaMin })(t, baseLr);
  };
  /** Whether the unit t (0-based) just finished is the last of its cycle. */
  const endsCycle = (t: number) => cycleOf(t + 1 + BOUNDARY_EPS, t0, tMult).cycle > cycleOf(t + BOUNDARY_EPS, t0, tMult).cycle;
  const take = async (ctx: BaseContext, t: number) => {
    const snap: Snapshot = { cycle: cycleOf(t + BOUNDARY_EPS, t0, tMult).cycle, step: ctx.step, epoch: ctx.epoch, state: copyStateDict(ctx.model) };
    snapshots.push(snap);
    if (options.keep !== undefined && snapshots.length > options.keep) snapshots.shift();
    await options.onSnapshot?.(snap);
  };

  return {
    name: 'snapshotEnsemble',
    get snapshots() {
      return snapshots;
    },
    get lr() {
      return lr;
    },
    ensemble(factory, ensembleOptions) {
      if (snapshots.length === 0) throw new EnsembleError('snapshotEnsemble: no snapshot yet; a snapshot is taken at the end of each cycle, so train at least one full cycle');
      return new Ensemble(
        snapshots.map((s) => {
          const m = factory();
          m.loadStateDict(s.state);
          return m;
        }),
        ensembleOptions,
      );
    },
    onFitStart(ctx) {
      if (options.cycles === undefined) return;
      const units = interval === 'epoch' ? ctx.epochs : ctx.epochs * (ctx.batchesPerEpoch ?? NaN);
      if (!(units > 0)) throw new EnsembleError("snapshotEnsemble({ cycles, interval: 'step' }): the training data does not tell its length; pass { t0 } in steps instead");
      t0 = units / options.cycles;
    },
    onTrainEpochStart(ctx) {
      if (interval === 'epoch') setLr(ctx, ctx.epoch);
    },
    onTrainBatchStart(ctx) {
      if (interval === 'step') setLr(ctx, ctx.step);
    },
    onTrainBatchEnd(ctx) {
      ctx.log('lr', lr);
    },
    async onAfterOptimizerStep(ctx) {
      if (interval === 'step' && endsCycle(ctx.step - 1)) await take(ctx, ctx.step - 1);
    },
    async onTrainEpochEnd(ctx) {
      if (interval === 'epoch' && endsCycle(ctx.epoch)) await take(ctx, ctx.epoch);
    },
    stateDict: () => ({
      baseLr,
      snapshots: snapshots.map((s): PlainSnapshot => ({ ...s, state: Object.fromEntries(Object.entries(s.state).map(([k, t]) => [k, { shape: [...t.shape], data: t.data.slice() }])) })),
    }),
    loadStateDict(raw) {
      const s = raw as { baseLr: number | null; snapshots: PlainSnapshot[] };
      baseLr = s.baseLr;
      snapshots = s.snapshots.map((p) => ({ ...p, state: Object.fromEntries(Object.entries(p.state).map(([k, t]) => [k, new Tensor(Float32Array.from(t.data), t.shape)])) }));
    },
  };
}

/**
 * The snapshots kept in a trainer state (e.g. `MemberResult.trainer` of a member trained in a
 * worker with the {@link snapshotEnsemble} plugin), oldest first.
 *
 * @param trainer - a trainer state holding the plugin's state
 * @param stateKey - the plugin's state key (default `'snapshotEnsemble'`)
 * @example
 * const snaps = snapshotsOf(trained.members[0].trainer);
 * const ensemble = new Ensemble(snaps.map((s) => modelFromState(() => mnistCnn(), s.state)));
 */
export function snapshotsOf(trainer: { plugins: Record<string, unknown> }, stateKey = 'snapshotEnsemble'): Snapshot[] {
  const raw = trainer.plugins[stateKey] as { snapshots?: PlainSnapshot[] } | undefined;
  if (raw === undefined || !Array.isArray(raw.snapshots)) throw new EnsembleError(`snapshotsOf: the trainer state has no "${stateKey}" plugin state; was the member trained with snapshotEnsemble()?`);
  return raw.snapshots.map((p) => ({ ...p, state: Object.fromEntries(Object.entries(p.state).map(([k, t]) => [k, new Tensor(Float32Array.from(t.data), t.shape)])) }));
}
