import type { Optimizer } from '@trainkit/core';
import type { Module, Parameter } from '@trainkit/nn';
import { Tensor, formatShape } from '@trainkit/tensor';
import type { GpuContext } from './context';
import { submit } from './kernel';
import { checkedLabels } from './ops';
import { GpuOptimizer } from './optimizer';
import { type LayerPlan, flatLayers, planDropouts, planModel, planParameters, planRunningStats } from './plan';
import { type ParamBuffers, Program, type StatBuffers } from './program';

/** Options of {@link GpuTrainingSession}. */
export interface GpuTrainingOptions {
  /** The shape of one sample, without the batch dimension: [1, 28, 28] for MNIST images, [784] for flat ones. */
  inputShape: readonly number[];
}

/** Loss and accuracy accumulated on the GPU since the last read. */
export interface GpuMetrics {
  /** Mean cross-entropy over the samples seen. */
  loss: number;
  /** Fraction of samples whose argmax logit is the label. */
  accuracy: number;
  samples: number;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The means of the summed loss and hits, from the totals buffer [loss, hits, samples]. */
function metricsOf([loss, hits, samples]: Float32Array): GpuMetrics {
  return { loss: samples > 0 ? loss / samples : NaN, accuracy: samples > 0 ? hits / samples : NaN, samples };
}

/**
 * Trains a Sequential model on the GPU with a trainkit optimizer, unchanged: the parameters and the
 * optimizer's slots stay in GPU buffers, and each {@link GpuTrainingSession.step} submits forward,
 * softmax cross-entropy, backward and the fused optimizer update as one command buffer, without
 * waiting for it. Loss and accuracy add up on the GPU until {@link GpuTrainingSession.metrics}
 * reads them. {@link GpuTrainingSession.syncToCpu} copies the weights into the module and the
 * optimizer's state into the optimizer, so state dicts and checkpoints are the CPU's, unchanged.
 *
 * @example
 * const session = new GpuTrainingSession(await requestGpu(), mnistCnn(), adam(), { inputShape: [1, 28, 28] });
 * for (const { x, y } of batches) session.step(x, y);
 * console.log(await session.metrics()); // one read-back
 * await session.syncToCpu();            // model.stateDict() now holds the trained weights
 */
export class GpuTrainingSession {
  readonly plan: readonly LayerPlan[];
  private readonly params: Array<[string, Parameter]>;
  private readonly buffers: ParamBuffers = new Map();
  private readonly runningStats: ReturnType<typeof planRunningStats>;
  private readonly statBuffers: StatBuffers = new Map();
  /** Training steps since the last sync or upload: what each training-mode BatchNorm's `num_batches_tracked` gains. */
  private stepsSinceSync = 0;
  private disposed = false;
  private readonly programs = new Map<number, Program>();
  /** The sums of the training steps' and the evaluation's metrics: [loss, hits, samples] each. */
  private readonly totals: GPUBuffer[] = [];
  private gpuOptimizer!: GpuOptimizer;
  private readonly sampleSize: number;
  /** Logits per sample: the out-features of the last Linear. */
  readonly classes: number;

  constructor(readonly ctx: GpuContext, readonly model: Module, readonly optimizer: Optimizer, readonly options: GpuTrainingOptions) {
    this.plan = planModel(model, options.inputShape);
    this.sampleSize = prod(options.inputShape);
    const last = this.plan[this.plan.length - 1];
    this.classes = last.kind === 'linear' ? last.OUT : 0;
    this.params = planParameters(model, this.plan);
    this.runningStats = planRunningStats(this.plan);
    try {
      for (const [name, p] of this.params) {
        const value = ctx.acquire(p.size * 4, `parameter ${name}`);
        this.buffers.set(p, { value, grad: null });
        if (p.requiresGrad) this.buffers.set(p, { value, grad: ctx.acquire(p.size * 4, `gradient of ${name}`) });
      }
      for (const r of this.runningStats) {
        const C = r.mean.size;
        // a module used twice keeps one pair of running statistics, updated by both uses, as on the CPU
        if (!this.statBuffers.has(r.module)) this.statBuffers.set(r.module, { mean: ctx.acquire(C * 4, `${r.path}.running_mean`), variance: ctx.acquire(C * 4, `${r.path}.running_var`) });
      }
      this.totals.push(ctx.acquire(16, 'training metrics'), ctx.acquire(16, 'evaluation metrics'));
      for (const t of this.totals) ctx.write(t, new Float32Array(4));
      this.gpuOptimizer = this.uploadFromCpu();
    } catch (e) {
      // an optimizer without a GPU kernel, or a model too large: nothing stays allocated on the device
      this.releaseBuffers();
      throw e;
    }
  }

  /** Copies the module's parameters, BatchNorm statistics and the optimizer's state to the GPU; returns the GPU optimizer. */
  private uploadFromCpu(): GpuOptimizer {
    for (const [, p] of this.params) this.ctx.write(this.buffers.get(p)!.value, p.data);
    for (const r of this.runningStats) {
      const b = this.statBuffers.get(r.module)!;
      this.ctx.write(b.mean, r.mean.data);
      this.ctx.write(b.variance, r.variance.data);
    }
    this.stepsSinceSync = 0;
    const trainable = this.params.filter(([, p]) => p.requiresGrad).map(([name, p]) => ({ name, size: p.size, value: this.buffers.get(p)!.value, grad: this.buffers.get(p)!.grad!, key: p }));
    this.optimizer.adopt?.(trainable); // a replaced layer's state starts fresh, as on the CPU
    return new GpuOptimizer(this.ctx, this.optimizer, trainable);
  }

  /**
   * Takes the module's parameters and the optimizer's state again (after loading a checkpoint on
   * the CPU, or changing weights there); GPU steps since the last {@link GpuTrainingSession.syncToCpu} are dropped.
   */
  reloadFromCpu(): void {
    this.assertOpen('GpuTrainingSession.reloadFromCpu');
    this.gpuOptimizer.dispose();
    this.gpuOptimizer = this.uploadFromCpu();
  }

  private program(N: number): Program {
    let p = this.programs.get(N);
    if (p === undefined) {
      p = new Program(this.ctx, N, this.plan, this.options.inputShape, this.buffers, this.statBuffers, { train: this.totals[0], eval: this.totals[1] });
      this.programs.set(N, p);
    }
    return p;
  }

  /** Uploads a batch, checking its size against the input shape and the labels against the classes. */
  private upload(op: string, x: Tensor | Float32Array, labels: ArrayLike<number> | null): Program {
    this.assertOpen(op);
    this.ctx.check(op);
    const data = x instanceof Tensor ? x.data : x;
    const N = data.length / this.sampleSize;
    if (!Number.isInteger(N) || N === 0) {
      const got = x instanceof Tensor ? `a tensor of shape ${formatShape(x.shape)}` : `${data.length} values`;
      throw new RangeError(`${op}: the batch has ${got}, not a whole number of samples of shape ${formatShape(this.options.inputShape)}`);
    }
    if (labels !== null && labels.length !== N) throw new RangeError(`${op}: ${labels.length} labels for a batch of ${N} samples`);
    const p = this.program(N);
    this.ctx.write(p.input, data);
    if (labels !== null) this.ctx.write(p.labels, checkedLabels(op, labels, this.classes));
    return p;
  }

  /** Enqueues one training step on a batch (samples of `inputShape`, flat or as a tensor) and its integer labels. Does not wait for the GPU. */
  step(x: Tensor | Float32Array, labels: ArrayLike<number>): void {
    const n = (x instanceof Tensor ? x.size : x.length) / this.sampleSize;
    for (const l of flatLayers(this.plan)) {
      // as the CPU layer: a batch statistic of one value per channel has no variance
      if (l.kind === 'bn' && l.training && !l.module.training) {
        throw new RangeError(`GpuTrainingSession.step: layer "${l.path}" (${l.module.constructor.name}) is in eval mode (model.eval()), but a training step normalizes with batch statistics and updates the running ones; call model.train() first, or predict/evaluate to run in eval mode`);
      }
      if (l.kind === 'bn' && l.training && n * prod(l.shape.slice(1)) <= 1) {
        throw new RangeError(`GpuTrainingSession.step: layer "${l.path}" (${l.module.constructor.name}) needs more than 1 value per channel when training, got a batch of ${n} sample${n === 1 ? '' : 's'} of ${formatShape(this.options.inputShape)}`);
      }
    }
    const p = this.upload('GpuTrainingSession.step', x, labels);
    for (const l of planDropouts(this.plan)) {
      // drawn from the layer's own generator as its CPU forward would: the same masks, the same RNG state to checkpoint
      const shape = [n, ...l.shape];
      this.ctx.write(p.masks.get(l)!, l.module.training ? l.module.drawMask(shape) : new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1));
    }
    this.gpuOptimizer.prepare();
    submit(this.ctx, [...p.forward, ...p.loss, ...p.backward, ...this.gpuOptimizer.dispatches], 'GpuTrainingSession.step');
    this.stepsSinceSync++;
  }

  /**
   * Loss and accuracy of the steps since the last call (one read-back); resets the sums. Throws
   * a `NonFiniteGradientError` when a step met a NaN or infinite gradient: the parameters stay as
   * they were before that step; {@link GpuTrainingSession.reloadFromCpu} starts again from the CPU state.
   */
  async metrics(): Promise<GpuMetrics> {
    this.assertOpen('GpuTrainingSession.metrics');
    // one submission, made now: the flags and the sums, zeroed right after the copy (a step enqueued while this read is pending counts in the next one)
    const reads = [this.gpuOptimizer.flagsRead, { buffer: this.totals[0], floats: 3, zero: true }];
    const [flags, totals] = await this.ctx.readAll(reads, 'reading metrics');
    this.gpuOptimizer.throwIfNonFinite(flags);
    return metricsOf(totals);
  }

  /** Loss and accuracy of the model on labelled samples, in batches of `batchSize`, without training. */
  async evaluate(x: Float32Array, labels: ArrayLike<number>, batchSize = 256): Promise<GpuMetrics> {
    const n = labels.length;
    for (let i = 0; i < n; i += batchSize) {
      const m = Math.min(batchSize, n - i);
      const p = this.upload('GpuTrainingSession.evaluate', x.subarray(i * this.sampleSize, (i + m) * this.sampleSize), Array.from({ length: m }, (_, j) => labels[i + j]));
      submit(this.ctx, [...p.evalForward, ...p.evalLoss], 'GpuTrainingSession.evaluate');
    }
    return metricsOf((await this.ctx.readAll([{ buffer: this.totals[1], floats: 3, zero: true }], 'reading metrics'))[0]);
  }

  /** The logits [N, classes] of a batch (a forward pass and one read-back). */
  async predict(x: Tensor | Float32Array): Promise<Tensor> {
    const p = this.upload('GpuTrainingSession.predict', x, null);
    submit(this.ctx, p.evalForward, 'GpuTrainingSession.predict');
    return new Tensor(await this.ctx.read(p.logits, p.N * this.classes, 'GpuTrainingSession.predict'), [p.N, this.classes]);
  }


  /**
   * Copies the trained parameters into the module and the optimizer's slots and step counts into
   * the optimizer: afterwards `model.stateDict()`, `optimizer.stateDict()` and any checkpoint are
   * what as many CPU steps would have left (up to float rounding).
   */
  async syncToCpu(): Promise<void> {
    this.assertOpen('GpuTrainingSession.syncToCpu'); // its buffers may hold another session's values now
    await this.gpuOptimizer.check(); // a NaN gradient since the last sync: nothing is copied, the CPU keeps its consistent older state
    const values: Float32Array[] = []; // all read before any is written: a device lost halfway leaves the module as it was
    for (const [name, p] of this.params) values.push(await this.ctx.read(this.buffers.get(p)!.value, p.size, `reading parameter ${name}`));
    const stats: Float32Array[] = [];
    for (const r of this.runningStats) {
      const b = this.statBuffers.get(r.module)!;
      stats.push(await this.ctx.read(b.mean, r.mean.size, `reading ${r.path}.running_mean`), await this.ctx.read(b.variance, r.variance.size, `reading ${r.path}.running_var`));
    }
    this.params.forEach(([, p], i) => p.data.set(values[i]));
    this.runningStats.forEach((r, i) => {
      r.mean.data.set(stats[2 * i]);
      r.variance.data.set(stats[2 * i + 1]);
      if (r.training) r.module.numBatchesTracked.data[0] += this.stepsSinceSync; // as the layer ran on the GPU, whatever its flag is now
    });
    this.stepsSinceSync = 0;
    await this.gpuOptimizer.syncTo();
  }

  /** Frees every GPU buffer of the session (the module and optimizer keep their last synced state). */
  dispose(): void {
    if (this.disposed) return; // a second release would put each buffer in the pool twice, for two owners
    this.disposed = true;
    for (const p of this.programs.values()) p.dispose();
    this.programs.clear();
    this.gpuOptimizer.dispose();
    this.releaseBuffers();
  }

  private assertOpen(op: string): void {
    if (this.disposed) throw new Error(`${op}: the session was disposed (its GPU buffers went back to the pool); open a new GpuTrainingSession`);
  }

  /** Returns the parameter, statistics and metrics buffers to the pool. */
  private releaseBuffers(): void {
    for (const { value, grad } of this.buffers.values()) for (const b of [value, grad]) if (b !== null) this.ctx.release(b);
    for (const { mean, variance } of this.statBuffers.values()) for (const b of [mean, variance]) this.ctx.release(b);
    for (const b of this.totals) this.ctx.release(b);
    this.buffers.clear();
    this.statBuffers.clear();
    this.totals.length = 0;
  }
}
