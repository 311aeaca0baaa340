import { EventEmitter } from 'eventemitter3';
import { type Module, bindRngs } from '@trainkit/nn';
import { Arena, Rng, Tensor, concat, crossEntropy, noGrad } from '@trainkit/tensor';
import { RunContext } from './context';
import { type Data, batchSizeOf, batchStream, batchesOf, checkBatch, inDatasetOrder, lengthOf, splitTensor } from './dataSource';
import { ConfigError, NonFiniteGradientError } from './errors';
import type { Batch, ContextOf, EpochRecord, HookName, Plugin, TrainerEvents } from './hooks';
import { checkPlugin, emitHook, runStage } from './lifecycle';
import { keepModes, validate } from './validation';
import { MetricAccumulator } from './metrics';
import { type Optimizer, parameterRefs } from './optimizer';
import { type FitOptions, type FitResult, assertModelOnCpu, checkFitOptions, resolveResume } from './fitOptions';
import { type Position, type ResumeState, type TrainerState, applyState, guard } from './trainerState';
import { DeviceDriver } from './device';
import type { LossFn, TrainerOptions } from './trainerOptions';

export type { LossFn, TrainerOptions } from './trainerOptions';

/**
 * Runs fit / evaluate / predict and emits the hooks of {@link TrainerHooks} to its plugins
 * (awaited, in registration order) and then to listeners added with `trainer.on(...)`.
 * Read top to bottom, `fit` → `trainEpoch` → `trainBatch` is the hook diagram.
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
  private epochAcc = new MetricAccumulator();
  private next = { epoch: 0, batchIndex: 0 };
  /** The optimizer's step count when this fit's step 0 was (a fresh fit counts its own steps; a resume continues the saved count). */
  private stepBase = 0;
  /** The training steps' activation arena (null: `arena: false`). */
  readonly arena: Arena | null;
  /** @internal where fit trains (see TrainerOptions.device) */
  readonly device: DeviceDriver;
  private readonly customLoss: boolean;
  /** Whether a fit is running (a second one at the same time would share its position and history). */
  private fitting = false;

  constructor(options: TrainerOptions = {}) {
    super();
    if (![undefined, true, false].includes(options.arena)) throw new ConfigError(`Trainer: arena must be true or false, got ${JSON.stringify(options.arena)}`);
    this.arena = options.arena === false ? null : new Arena();
    this.seed = options.seed ?? 0;
    this.rng = new Rng(this.seed);
    this.optimizer = options.optimizer ?? null;
    this.lossFn = options.loss ?? ((out, y) => crossEntropy(out, y));
    this.customLoss = options.loss !== undefined;
    this.device = new DeviceDriver(options.device ?? 'cpu', options.metricsEvery ?? 50, options.notice ?? console.warn);
    this.plugins = [];
    for (const p of options.plugins ?? []) this.use(p);
  }

  /** Where the last fit trained: `'cpu'`, or the device's name (`'webgpu'`); see TrainerOptions.device. */
  get deviceName(): string {
    return this.device.name;
  }

  /** Adds a plugin (after the existing ones). Plugin names must be unique. */
  use(plugin: Plugin): this {
    this.plugins.push(checkPlugin(plugin, this.plugins));
    return this;
  }

  /** Stops fit (early stopping); `fit` resolves normally. What it skips: see {@link BaseContext.stop}. */
  stop(reason = 'stop() called'): void {
    this.stopReason ??= reason;
  }

  /**
   * Trains `model` for `epochs` epochs (or until `maxSteps` optimizer steps) on `train`,
   * validating on `val` after each epoch. Resolves when training ends (all epochs, the step
   * budget, or `stop()`); rejects with a {@link PluginError}, {@link NonFiniteLossError},
   * {@link ConfigError} or {@link ResumeError} naming what went wrong and where.
   */
  async fit(model: Module, options: FitOptions): Promise<FitResult> {
    const optimizer = this.optimizer;
    if (optimizer === null) throw new ConfigError('fit: the Trainer has no optimizer; pass one: new Trainer({ optimizer: sgd({ lr: 0.01 }) })');
    const { epochs, maxSteps } = checkFitOptions(options);
    assertModelOnCpu(model, 'fit');
    if (this.fitting) throw new ConfigError('fit: this Trainer is already running a fit (one started without await, or fit called from a hook); await it before starting another');
    const before = this.position();
    this.stopReason = null;
    this.setPosition({ history: [], epochMetrics: {}, next: { epoch: 0, batchIndex: 0 } });
    const ctx = new RunContext(this, model, optimizer, 'fit', this.epochAcc);
    Object.assign(ctx, { epochs, maxSteps, batchesPerEpoch: lengthOf(options.train) });
    this.device.reset();
    this.device.syncHook = () => this.emitHook('onDeviceSync', ctx);
    const base = optimizer.stepCount; // a fresh fit counts its own steps
    this.fitting = true;
    return this.run(ctx, async () => {
      model.zeroGrad(); // a run that failed between backward and step left its gradients behind
      bindRngs(model, this.rng); // before a resume, so the restored RNG state reaches these streams
      const savedStep = await this.resume(ctx, options.resume, before);
      this.stepBase = savedStep === null ? base : optimizer.stepCount - savedStep; // a resume continues the saved count
      Object.assign(ctx, { step: optimizer.stepCount - this.stepBase, epoch: this.next.epoch, batchIndex: this.next.batchIndex }); // where the run continues
      await this.emitHook('onFitStart', ctx);
      for (let epoch = this.next.epoch; epoch < epochs && !this.stopping(ctx); epoch++) {
        ctx.epoch = epoch;
        const from = { step: ctx.step, batch: this.next.batchIndex };
        if (!(await this.trainEpoch(ctx, options.train, from.batch))) break; // stopped mid-epoch
        if (epochs === Infinity && ctx.step === from.step && this.next.batchIndex > from.batch) throw new ConfigError(`fit({ maxSteps: ${maxSteps} }): epoch ${epoch} took no optimizer step (every step was skipped), so maxSteps would never be reached; give epochs as well`);
        if (options.val !== undefined) await validate(this, ctx, options.val, 'val');
        const record = { epoch, metrics: { ...ctx.current } };
        this.history.push(record);
        this.next = { epoch: epoch + 1, batchIndex: 0 };
        ctx.logSink = (name, value) => void (record.metrics[name] = ctx.current[name] = value); // logged at the epoch's end: into its record
        await this.emitHook('onTrainEpochEnd', ctx).finally(() => (ctx.logSink = null));
      }
      await this.device.settle(this.epochAcc); // stopped mid-epoch: the state comes back before onFitEnd
      ctx.current = { ...ctx.current, ...this.epochAcc.means() }; // with a device's metrics since its last read
      await this.emitHook('onFitEnd', ctx);
      return { history: this.history, stopReason: this.stopReason };
    }).finally(() => {
      this.fitting = false;
      return this.device.close();
    });
  }

  /** Whether fit should end before the next batch or epoch: `stop()` was called, or the step budget is spent. */
  private stopping(ctx: RunContext): boolean {
    if (this.stopReason === null && ctx.step >= ctx.maxSteps) this.stopReason = `maxSteps reached (${ctx.maxSteps} optimizer steps)`;
    return this.stopReason !== null;
  }

  /** Trains one epoch from `startBatch`; false when it stopped before its end (stop() or maxSteps). */
  private async trainEpoch(ctx: RunContext, train: Data, startBatch: number): Promise<boolean> {
    ctx.model.train();
    if (startBatch === 0) this.epochAcc.reset();
    ctx.current = this.epochAcc.means();
    ctx.batchIndex = startBatch; // not the previous epoch's last batch (or validation's)
    await this.emitHook('onTrainEpochStart', ctx);
    const start = performance.now();
    let samples = 0;
    let b = startBatch;
    for await (const batch of batchStream(train, ctx.epoch, this.seed, startBatch)) {
      if (this.stopping(ctx)) return false; // a further batch exists, so this is mid-epoch
      ctx.batchIndex = b;
      checkBatch(batch, `fit: batch ${b} of epoch ${ctx.epoch}`);
      ctx.batch = batch;
      await this.trainBatch(ctx);
      samples += batchSizeOf(ctx.batch);
      this.next = { epoch: ctx.epoch, batchIndex: ++b };
      ctx.current = this.epochAcc.means();
      await this.emitHook('onTrainBatchEnd', ctx);
      if (this.stopReason !== null) return false;
    }
    if (b === 0) throw new ConfigError(`fit: the training data yielded no batches in epoch ${ctx.epoch}`);
    await this.device.settle(this.epochAcc); // on a device: the epoch's metrics, parameters and optimizer state come back
    const seconds = (performance.now() - start) / 1000;
    ctx.current = { ...this.epochAcc.means(), time: seconds, samplesPerSec: samples / seconds };
    return true;
  }

  private async trainBatch(ctx: RunContext): Promise<void> {
    const { model } = ctx;
    const arena = this.arena;
    arena?.reset(); // the previous step's results go back to the arena (see TrainerOptions.arena)
    const inStep = <T>(fn: () => T): T => (arena === null ? fn() : arena.run(fn));
    await this.emitHook('onTrainBatchStart', ctx);
    const device = this.device;
    if (await device.ready(this, ctx, this.customLoss)) {
      if (device.eager === null) return device.step(ctx, this.epochAcc); // one fused submission
      await device.enter(); // step by step on device tensors, the hooks in between
    }
    const x = device.eager === null ? ctx.batch.x : await device.eager.place(ctx.batch.x);
    ctx.output = inStep(() => model.call(x));
    await this.emitHook('onAfterForward', ctx);
    const y = device.eager === null ? ctx.batch.y : await device.eager.place(ctx.batch.y);
    ctx.dataLoss = inStep(() => this.lossFn(ctx.output, y));
    ctx.terms = [];
    await this.emitHook('onLoss', ctx);
    ctx.loss = inStep(() => ctx.totalLoss());
    await this.emitHook('onBeforeBackward', ctx);
    if (!ctx.loss.requiresGrad) throw new ConfigError(`fit: in epoch ${ctx.epoch} the loss depends on no trainable parameter (every parameter is frozen, by freeze() or a plugin such as stagedUnfreeze); unfreeze some before this epoch`);
    inStep(() => ctx.loss.backward());
    ctx.skip = false;
    await this.emitHook('onAfterBackward', ctx);
    await this.emitHook('onBeforeOptimizerStep', ctx);
    if (!ctx.skip) {
      const refs = parameterRefs(model, { identify: true });
      if (device.eager !== null) await device.eager.prepareStep(refs.map((r) => r.name));
      try {
        (ctx.optimizer as Optimizer).step(refs);
      } catch (e) {
        throw e instanceof NonFiniteGradientError ? e.during(ctx.epoch, ctx.batchIndex) : e;
      }
      ctx.step++;
      await this.emitHook('onAfterOptimizerStep', ctx);
      model.zeroGrad();
    }
    ctx.recordBatch();
    if (device.eager !== null) await device.afterEagerStep(this.epochAcc);
  }

  /** Loss and accuracy of `model` on `data`, in eval mode without gradients; each module's mode is then put back. */
  async evaluate(model: Module, data: Data): Promise<Record<string, number>> {
    assertModelOnCpu(model, 'evaluate');
    const ctx = new RunContext(this, model, this.optimizer, 'validate', new MetricAccumulator());
    const restoreModes = keepModes(model); // called from a fit's hook, the rest of the epoch trains in train mode
    return this.run(ctx, () => validate(this, ctx, data, '')).finally(restoreModes);
  }

  /**
   * The model's outputs for `data` (eval mode, no gradients), in dataset order (a shuffling
   * DataLoader's rows are put back). A tensor is split into batches of `batchSize` (default 256). Each module's mode is then put back.
   */
  async predict(model: Module, data: Data | Tensor, batchSize = 256): Promise<Tensor> {
    assertModelOnCpu(model, 'predict');
    const ctx = new RunContext(this, model, this.optimizer, 'predict', new MetricAccumulator());
    const source: Iterable<Batch> = data instanceof Tensor ? splitTensor(data, batchSize) : batchesOf(data, 0, this.seed, 0);
    const restoreModes = keepModes(model);
    return this.run(ctx, async () => {
      model.eval();
      await this.emitHook('onPredictStart', ctx);
      const outs: Tensor[] = [];
      let samples = 0;
      for (const batch of source) {
        if (batch === null || typeof batch !== 'object' || !(batch.x instanceof Tensor)) throw new ConfigError(`predict: batch ${outs.length} must be { x: Tensor }, got ${batch === null ? 'null' : typeof batch === 'object' ? `x = ${String(batch.x)}` : typeof batch}`);
        ctx.batchIndex = outs.length;
        ctx.batch = batch;
        ctx.output = noGrad(() => model.call(batch.x));
        outs.push(ctx.output);
        samples += batch.x.shape[0] ?? 0;
        await this.emitHook('onPredictBatchEnd', ctx);
      }
      if (outs.length === 0) throw new ConfigError('predict: the data yielded no batches');
      await this.emitHook('onPredictEnd', ctx);
      return inDatasetOrder(outs.length === 1 ? outs[0] : noGrad(() => concat(outs, 0)), data, this.seed, samples);
    }).finally(restoreModes);
  }

  /** Everything needed to continue this run exactly: position, history, RNG, optimizer and plugin states. */
  stateDict(): TrainerState {
    if (this.device.dirty) throw new ConfigError(`Trainer.stateDict: the parameters and the optimizer state are on ${this.device.name}, newer than the cpu's copy; \`await ctx.sync()\` first`);
    const plugins: Record<string, unknown> = {};
    for (const p of this.plugins) if (typeof p.stateDict === 'function') plugins[p.stateKey ?? p.name] = p.stateDict();
    const { history, epochMetrics, next } = this.position();
    return { version: 1, ...next, step: (this.optimizer?.stepCount ?? 0) - this.stepBase, history, epochMetrics, rng: this.rng.getState(), optimizer: this.optimizer?.stateDict() ?? null, plugins };
  }

  /** Restores a {@link TrainerState} (not weights): all of it, or, when any part is refused, none of it. */
  loadStateDict(state: TrainerState): void {
    const before = this.position();
    const undo = guard({ model: null, optimizer: this.optimizer, rng: this.rng, plugins: this.plugins }, () => this.setPosition(before));
    try {
      this.setPosition(applyState(state, this.stateTarget(null, undefined), 'Trainer.loadStateDict'));
      this.stepBase = (this.optimizer?.stepCount ?? 0) - state.step;
    } catch (e) {
      throw undo(e);
    }
  }

  /** Resolves and applies `fit({ resume })`, returning the saved step count (null: a fresh start); a refused resume puts everything back. */
  private async resume(ctx: RunContext, spec: ResumeState | string | undefined, before: Position): Promise<number | null> {
    if (spec === undefined) return null;
    const undo = guard({ model: ctx.model, optimizer: this.optimizer, rng: this.rng, plugins: this.plugins }, () => this.setPosition(before));
    try {
      const state = typeof spec === 'string' ? await resolveResume(this.plugins, spec, ctx) : spec;
      const where = typeof spec === 'string' ? `fit({ resume: '${spec}' })` : 'fit({ resume })';
      if (state !== null) this.setPosition(applyState(state, this.stateTarget(ctx.model, ctx.batchesPerEpoch), where));
      return state?.step ?? null;
    } catch (e) {
      throw undo(e);
    }
  }

  private stateTarget(model: Module | null, batchesPerEpoch: number | undefined) {
    return { seed: this.seed, model, optimizer: this.optimizer, rng: this.rng, plugins: this.plugins, batchesPerEpoch };
  }

  private position(): Position {
    return { history: structuredClone(this.history), epochMetrics: this.epochAcc.stateDict(), next: { ...this.next } };
  }

  private setPosition(p: Position): void {
    this.history = structuredClone(p.history);
    this.epochAcc.loadStateDict(p.epochMetrics);
    this.next = { ...p.next };
  }

  /** Runs `body` between setup and teardown (see {@link runStage}). */
  private run<T>(ctx: RunContext, body: () => Promise<T>): Promise<T> {
    return runStage(this, ctx, body);
  }

  private emitHook<K extends HookName>(hook: K, ctx: ContextOf<K>): Promise<void> {
    return emitHook(this, hook, ctx);
  }
}
