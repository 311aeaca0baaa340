import EventEmitter from 'eventemitter3';
import { type Module, bindRngs } from '@trainkit/nn';
import { Rng, type RngState, type Target, Tensor, add, concat, crossEntropy, noGrad } from '@trainkit/tensor';
import { RunContext } from './context';
import { ConfigError, NonFiniteLossError, PluginError } from './errors';
import { type Batch, type ContextOf, type EpochRecord, type HookName, type Plugin, type Stage, type TrainerEvents, eventName } from './hooks';
import { MetricAccumulator, accuracy } from './metrics';
import { type Optimizer, type OptimizerState, parameterRefs } from './optimizer';

/** Anything that yields batches: a DataLoader (seeded, resumable) or any iterable of batches. */
export interface DataSource {
  /** The batches of one epoch, in an order that depends only on (seed, epoch); skips the first `startBatch`. */
  epoch(epoch: number, options: { seed: number; startBatch?: number }): Iterable<Batch>;
}
/** What fit, evaluate and predict accept: a seeded, resumable {@link DataSource} or any iterable of batches. */
export type Data = DataSource | Iterable<Batch>;

/** Computes the data loss from the model output and the batch targets. */
export type LossFn = (output: Tensor, target: Target) => Tensor;

/** Options of the {@link Trainer} constructor. */
export interface TrainerOptions {
  /** Required by `fit`. */
  optimizer?: Optimizer;
  /** Loss from the model output and the batch targets (default: cross-entropy from logits). */
  loss?: LossFn;
  /** Plugins, called in this order at every hook. */
  plugins?: Plugin[];
  /** Root seed of every random stream (shuffling, dropout, augmentation). Default 0. */
  seed?: number;
}

/** What {@link Trainer.fit} trains on, for how long, and where it resumes from. */
export interface FitOptions {
  train: Data;
  val?: Data;
  /** Total number of epochs (a resumed run continues up to this number). */
  epochs: number;
  /**
   * Where to continue from: a state from {@link Trainer.stateDict}, or a checkpoint name —
   * `'latest'`, `'best'` or a file — that a checkpoint plugin resolves (see `Plugin.resolveResume`).
   */
  resume?: TrainerState | string;
}

/** What {@link Trainer.fit} resolves with. */
export interface FitResult {
  history: EpochRecord[];
  /** Set when a plugin called `stop()`. */
  stopReason: string | null;
}

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

function isDataSource(d: Data): d is DataSource {
  return typeof (d as DataSource).epoch === 'function';
}

function* batchesOf(data: Data, epoch: number, seed: number, startBatch: number): Iterable<Batch> {
  if (isDataSource(data)) {
    yield* data.epoch(epoch, { seed, startBatch });
    return;
  }
  let i = 0;
  for (const b of data) if (i++ >= startBatch) yield b;
}

/** Number of batches per epoch, when the source exposes it (DataLoader's `length`, an array's length). */
function lengthOf(data: Data): number | undefined {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function batchSizeOf(b: Batch): number {
  return b.x.shape[0] ?? 0;
}

function checkBatch(b: Batch, where: string): void {
  if (b === null || typeof b !== 'object' || !(b.x instanceof Tensor)) throw new ConfigError(`${where}: a batch must be { x: Tensor, y: labels }, got ${typeof b}`);
  const n = batchSizeOf(b);
  if (n === 0) throw new ConfigError(`${where}: empty batch (x has shape [${b.x.shape.join(', ')}])`);
  const yn = b.y instanceof Tensor ? b.y.shape[0] : b.y?.length;
  if (yn !== n) throw new ConfigError(`${where}: x has ${n} samples but y has ${String(yn)} targets`);
}

/**
 * Runs fit / evaluate / predict and emits the hooks of {@link TrainerHooks} to its plugins
 * (awaited, in registration order) and then to listeners added with `trainer.on(...)`.
 *
 * @example
 * const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [myLogger], seed: 0 });
 * await trainer.fit(model, { train: trainLoader, val: testLoader, epochs: 3 });
 * const { accuracy } = await trainer.evaluate(model, testLoader);
 */
export class Trainer extends EventEmitter<TrainerEvents> {
  readonly plugins: Plugin[];
  readonly rng: Rng;
  readonly seed: number;
  optimizer: Optimizer | null;
  readonly lossFn: LossFn;
  history: EpochRecord[] = [];
  private stopReason: string | null = null;
  private ctx: RunContext | null = null;
  private epochAcc = new MetricAccumulator();
  private resumePoint = { epoch: 0, batchIndex: 0 };

  constructor(options: TrainerOptions = {}) {
    super();
    this.seed = options.seed ?? 0;
    this.rng = new Rng(this.seed);
    this.optimizer = options.optimizer ?? null;
    this.lossFn = options.loss ?? ((out, y) => crossEntropy(out, y));
    this.plugins = [];
    for (const p of options.plugins ?? []) this.use(p);
  }

  /** Adds a plugin (after the existing ones). Plugin names must be unique. */
  use(plugin: Plugin): this {
    if (plugin === null || typeof plugin !== 'object' || typeof plugin.name !== 'string' || plugin.name === '') {
      throw new ConfigError('Trainer.use: a plugin must be an object with a non-empty `name`');
    }
    const key = plugin.stateKey ?? plugin.name;
    if (this.plugins.some((p) => (p.stateKey ?? p.name) === key)) {
      throw new ConfigError(`Trainer.use: a plugin with state key "${key}" is already registered; give the second one a distinct stateKey`);
    }
    this.plugins.push(plugin);
    return this;
  }

  /** Stops fit after the current batch (early stopping); `fit` returns normally. */
  stop(reason = 'stop() called'): void {
    this.stopReason ??= reason;
  }

  /** Awaits the hook on every plugin, then on every emitter listener; wraps errors with the plugin and hook name. */
  private async emitHook<K extends HookName>(hook: K, ctx: ContextOf<K>): Promise<void> {
    for (const p of this.plugins) {
      const fn = p[hook] as ((c: ContextOf<K>) => unknown) | undefined;
      if (fn === undefined) continue;
      try {
        const r = fn.call(p, ctx);
        if (r instanceof Promise) await r;
      } catch (e) {
        throw e instanceof PluginError ? e : new PluginError(p.name, hook, e);
      }
    }
    const ev = eventName(hook);
    if (this.listenerCount(ev) === 0) return;
    for (const l of this.listeners(ev) as Array<(c: ContextOf<K>) => unknown>) {
      try {
        await l(ctx);
      } catch (e) {
        throw e instanceof PluginError ? e : new PluginError(`listener of "${ev}"`, hook, e);
      }
    }
  }

  /** Runs `body` between setup and teardown, with onException on failure. */
  private async run<T>(ctx: RunContext, body: () => Promise<T>): Promise<T> {
    this.ctx = ctx;
    try {
      await this.emitHook('setup', ctx);
      return await body();
    } catch (e) {
      ctx.error = e;
      try {
        await this.emitHook('onException', ctx);
      } catch {
        // the original error is the one to report
      }
      throw e;
    } finally {
      try {
        await this.emitHook('teardown', ctx);
      } catch (e) {
        if (ctx.error === undefined) throw e; // eslint-disable-line no-unsafe-finally
      }
      this.ctx = null;
    }
  }

  /**
   * Trains `model` for `epochs` epochs on `train`, validating on `val` after each epoch.
   * Resolves when training ends (all epochs, or `stop()`); rejects with a {@link PluginError},
   * {@link NonFiniteLossError} or {@link ConfigError} naming what went wrong and where.
   */
  async fit(model: Module, options: FitOptions): Promise<FitResult> {
    const optimizer = this.optimizer;
    if (optimizer === null) throw new ConfigError('fit: the Trainer has no optimizer; pass one: new Trainer({ optimizer: sgd({ lr: 0.01 }) })');
    const { epochs, train, val } = options;
    if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`fit: epochs must be a positive integer, got ${epochs}`);
    if (train === null || train === undefined) throw new ConfigError('fit: options.train is required');
    this.stopReason = null;
    this.history = [];
    this.epochAcc.reset();
    this.resumePoint = { epoch: 0, batchIndex: 0 };
    const ctx = new RunContext(this, model, optimizer, 'fit', this.epochAcc);
    ctx.epochs = epochs;
    ctx.batchesPerEpoch = lengthOf(train);
    return this.run(ctx, async () => {
      bindRngs(model, this.rng); // before a resume, so the restored RNG state reaches these streams
      const resume = typeof options.resume === 'string' ? await this.resolveResume(options.resume, ctx) : options.resume;
      if (resume) this.loadStateDict(resume);
      ctx.step = optimizer.stepCount;
      await this.emitHook('onFitStart', ctx);
      for (let epoch = this.resumePoint.epoch; epoch < epochs && this.stopReason === null; epoch++) {
        ctx.epoch = epoch;
        await this.trainEpoch(ctx, train, this.resumePoint.batchIndex);
        if (this.stopReason !== null && this.resumePoint.epoch === epoch) break; // stopped mid-epoch
        if (val !== undefined) await this.validate(ctx, val, 'val');
        this.history.push({ epoch, metrics: { ...ctx.current } });
        this.resumePoint = { epoch: epoch + 1, batchIndex: 0 };
        await this.emitHook('onTrainEpochEnd', ctx);
      }
      await this.emitHook('onFitEnd', ctx);
      return { history: this.history, stopReason: this.stopReason };
    });
  }

  /** Asks the plugins that resolve checkpoint names, in order, for the state `spec` names. */
  private async resolveResume(spec: string, ctx: RunContext): Promise<TrainerState | null> {
    const resolvers = this.plugins.filter((p) => typeof p.resolveResume === 'function');
    if (resolvers.length === 0) {
      throw new ConfigError(`fit({ resume: '${spec}' }): no plugin resolves checkpoint names; add one (checkpoint({ dir }) from @trainkit/checkpoint/node) or pass a TrainerState`);
    }
    for (const p of resolvers) {
      let state: TrainerState | null | undefined;
      try {
        state = await p.resolveResume?.(spec, ctx);
      } catch (e) {
        throw e instanceof PluginError ? e : new PluginError(p.name, 'resolveResume', e);
      }
      if (state !== undefined) return state;
    }
    throw new ConfigError(`fit({ resume: '${spec}' }): no plugin recognised it (asked ${resolvers.map((p) => `"${p.name}"`).join(', ')})`);
  }

  private async trainEpoch(ctx: RunContext, train: Data, startBatch: number): Promise<void> {
    ctx.model.train();
    if (startBatch === 0) this.epochAcc.reset();
    ctx.current = this.epochAcc.means();
    await this.emitHook('onTrainEpochStart', ctx);
    const start = performance.now();
    let samples = 0;
    let b = startBatch;
    for (const batch of batchesOf(train, ctx.epoch, this.seed, startBatch)) {
      ctx.batchIndex = b;
      checkBatch(batch, `fit: batch ${b} of epoch ${ctx.epoch}`);
      ctx.batch = batch;
      await this.trainBatch(ctx);
      samples += batchSizeOf(ctx.batch);
      this.resumePoint = { epoch: ctx.epoch, batchIndex: ++b };
      ctx.current = this.epochAcc.means();
      await this.emitHook('onTrainBatchEnd', ctx);
      if (this.stopReason !== null) return;
    }
    if (b === 0) throw new ConfigError(`fit: the training data yielded no batches in epoch ${ctx.epoch}`);
    const seconds = (performance.now() - start) / 1000;
    ctx.current = { ...this.epochAcc.means(), time: seconds, samplesPerSec: samples / seconds };
  }

  private async trainBatch(ctx: RunContext): Promise<void> {
    const { model } = ctx;
    const optimizer = ctx.optimizer as Optimizer;
    await this.emitHook('onTrainBatchStart', ctx);
    ctx.output = model.call(ctx.batch.x);
    await this.emitHook('onAfterForward', ctx);
    ctx.dataLoss = this.lossFn(ctx.output, ctx.batch.y);
    ctx.terms = [];
    await this.emitHook('onLoss', ctx);
    let total = ctx.dataLoss;
    for (const [, term] of ctx.terms) total = add(total, term);
    this.checkFinite(ctx, total);
    ctx.loss = total;
    await this.emitHook('onBeforeBackward', ctx);
    total.backward();
    await this.emitHook('onAfterBackward', ctx);
    ctx.skip = false;
    await this.emitHook('onBeforeOptimizerStep', ctx);
    if (!ctx.skip) {
      optimizer.step(parameterRefs(model));
      ctx.step++;
      await this.emitHook('onAfterOptimizerStep', ctx);
      for (const p of model.parameters()) p.zeroGrad();
    }
    this.recordBatch(ctx, total);
  }

  private checkFinite(ctx: RunContext, total: Tensor): void {
    const bad = (t: Tensor) => !Number.isFinite(t.data[0]);
    const where = (name: string, t: Tensor) => new NonFiniteLossError(t.data[0], ctx.epoch, ctx.step, ctx.batchIndex, name);
    if (bad(ctx.dataLoss)) throw where('loss', ctx.dataLoss);
    for (const [name, t] of ctx.terms) if (bad(t)) throw where(name, t);
    if (bad(total)) throw where('loss', total);
  }

  private recordBatch(ctx: RunContext, total: Tensor): void {
    const n = batchSizeOf(ctx.batch);
    this.epochAcc.add('loss', total.data[0], n);
    for (const [name, t] of ctx.terms) this.epochAcc.add(name, t.data[0], n);
    if (ctx.output.rank === 2) this.epochAcc.add('accuracy', accuracy(ctx.output, ctx.batch.y), n);
  }

  /** Runs the validation loop; adds `<prefix>Loss`, `<prefix>Accuracy` to ctx.current. */
  private async validate(ctx: RunContext, data: Data, prefix: string): Promise<Record<string, number>> {
    const acc = new MetricAccumulator();
    const saved = { batch: ctx.batch, batchIndex: ctx.batchIndex, batchesPerEpoch: ctx.batchesPerEpoch };
    ctx.batchesPerEpoch = lengthOf(data);
    ctx.model.eval();
    await this.emitHook('onValidationEpochStart', ctx);
    let b = 0;
    for (const batch of batchesOf(data, 0, this.seed, 0)) {
      checkBatch(batch, `validate: batch ${b}`);
      ctx.batchIndex = b++;
      ctx.batch = batch;
      await this.emitHook('onValidationBatchStart', ctx);
      const { output, loss } = noGrad(() => {
        const out = ctx.model.call(ctx.batch.x);
        return { output: out, loss: this.lossFn(out, ctx.batch.y) };
      });
      ctx.output = output;
      ctx.dataLoss = loss;
      ctx.loss = loss;
      const n = batchSizeOf(ctx.batch);
      acc.add('loss', loss.data[0], n);
      if (output.rank === 2) acc.add('accuracy', accuracy(output, ctx.batch.y), n);
      await this.emitHook('onValidationBatchEnd', ctx);
    }
    if (b === 0) throw new ConfigError(`${ctx.stage === 'fit' ? 'fit' : 'evaluate'}: the validation data yielded no batches`);
    const means = acc.means(prefix);
    ctx.current = { ...ctx.current, ...means };
    await this.emitHook('onValidationEpochEnd', ctx);
    if (ctx.stage === 'fit') ctx.model.train();
    ctx.batch = saved.batch;
    ctx.batchIndex = saved.batchIndex;
    ctx.batchesPerEpoch = saved.batchesPerEpoch;
    return means;
  }

  /** Loss and accuracy of `model` on `data`, in eval mode without gradients. */
  async evaluate(model: Module, data: Data): Promise<Record<string, number>> {
    const ctx = new RunContext(this, model, this.optimizer, 'validate', new MetricAccumulator());
    return this.run(ctx, () => this.validate(ctx, data, ''));
  }

  /**
   * The model's outputs for `data` (eval mode, no gradients), concatenated along the batch.
   * A tensor is split into batches of `batchSize` (default 256).
   */
  async predict(model: Module, data: Data | Tensor, batchSize = 256): Promise<Tensor> {
    const stage: Stage = 'predict';
    const ctx = new RunContext(this, model, this.optimizer, stage, new MetricAccumulator());
    const source: Iterable<Batch> = data instanceof Tensor ? splitTensor(data, batchSize) : batchesOf(data, 0, this.seed, 0);
    return this.run(ctx, async () => {
      model.eval();
      await this.emitHook('onPredictStart', ctx);
      const outs: Tensor[] = [];
      let b = 0;
      for (const batch of source) {
        ctx.batchIndex = b++;
        ctx.batch = batch;
        ctx.output = noGrad(() => model.call(batch.x));
        outs.push(ctx.output);
        await this.emitHook('onPredictBatchEnd', ctx);
      }
      if (outs.length === 0) throw new ConfigError('predict: the data yielded no batches');
      await this.emitHook('onPredictEnd', ctx);
      return outs.length === 1 ? outs[0] : noGrad(() => concat(outs, 0));
    });
  }

  /** Everything needed to continue this run exactly: position, history, RNG, optimizer and plugin states. */
  stateDict(): TrainerState {
    const plugins: Record<string, unknown> = {};
    for (const p of this.plugins) if (typeof p.stateDict === 'function') plugins[p.stateKey ?? p.name] = p.stateDict();
    return {
      version: 1,
      epoch: this.resumePoint.epoch,
      batchIndex: this.resumePoint.batchIndex,
      step: this.optimizer?.stepCount ?? 0,
      history: structuredClone(this.history),
      epochMetrics: this.epochAcc.stateDict(),
      rng: this.rng.getState(),
      optimizer: this.optimizer?.stateDict() ?? null,
      plugins,
    };
  }

  /** Restores a {@link TrainerState}; `fit({ resume })` calls it. */
  loadStateDict(state: TrainerState): void {
    if (state === null || typeof state !== 'object' || state.version !== 1) {
      throw new ConfigError(`Trainer.loadStateDict: unsupported trainer state (version ${String((state as TrainerState | null)?.version)}, expected 1)`);
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.batchIndex) || state.batchIndex < 0) {
      throw new ConfigError(`Trainer.loadStateDict: invalid position epoch=${state.epoch} batchIndex=${state.batchIndex}`);
    }
    this.rng.setState(state.rng);
    if (state.optimizer !== null && this.optimizer !== null) this.optimizer.loadStateDict(state.optimizer);
    for (const p of this.plugins) {
      const key = p.stateKey ?? p.name;
      if (typeof p.loadStateDict === 'function' && key in state.plugins) p.loadStateDict(state.plugins[key]);
    }
    this.history = structuredClone(state.history);
    this.epochAcc.loadStateDict(state.epochMetrics);
    this.resumePoint = { epoch: state.epoch, batchIndex: state.batchIndex };
  }
}

function* splitTensor(x: Tensor, batchSize: number): Iterable<Batch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ConfigError(`predict: batchSize must be a positive integer, got ${batchSize}`);
  const n = x.shape[0] ?? 0;
  const per = n === 0 ? 0 : x.size / n;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const data = x.data.slice(i * per, (i + m) * per);
    yield { x: new Tensor(data, [m, ...x.shape.slice(1)]), y: new Int32Array(m) };
  }
}
