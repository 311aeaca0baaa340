import type { Module } from '@trainkit/nn';
import { Tensor, type Target, markResident } from '@trainkit/tensor';
import { ConfigError } from './errors';
import { type DeviceBackend, type DeviceRun, type DeviceSpec, backendNamed, registeredDevices } from './deviceRun';
import type { MetricAccumulator } from './metrics';
import type { Optimizer } from './optimizer';
import type { RunContext } from './context';
import type { Trainer } from './trainer';
import { EagerDevice, hasTensorDevice, stepHookUsers } from './eagerDevice';

export { registerDevice, registeredDevices, unregisterDevice } from './deviceRun';
export type { DeviceBackend, DeviceMetrics, DeviceRun, DeviceSpec } from './deviceRun';

/** Class indices of a batch as a device takes them; soft labels cannot train there. */
function labelsOf(y: Target, where: string): ArrayLike<number> {
  if (y instanceof Tensor) throw new ConfigError(`${where}: the targets are a tensor (soft labels); training on a device takes class indices (Int32Array, Uint8Array or number[])`);
  return y;
}

/** Why device `name` could not train, from its error: the message, prefixed with the name unless it starts with it. */
function reasonOf(name: string, e: unknown): string {
  const message = (e as Error).message;
  return message.startsWith(`${name}: `) ? message : `${name}: ${message}`;
}

/**
 * The Trainer's side of a device: opens the run at the first batch (or explains why it cannot),
 * enqueues steps, reads metrics, and keeps the CPU copies of the parameters marked stale while the
 * device holds newer values, so nothing reads garbage. Internal to the Trainer.
 */
export class DeviceDriver {
  run: DeviceRun | null = null;
  /** A fit that runs the Trainer's own step on device tensors (hooks inside the step), instead of a fused {@link DeviceRun}. */
  eager: EagerDevice | null = null;
  /** Emits `onDeviceSync` to the plugins: set by the Trainer for each fit. */
  syncHook: (() => Promise<void>) | null = null;
  /** The device's name once a run is open. */
  name = 'cpu';
  /** Whether the device holds steps the CPU copies lack. */
  dirty = false;
  /** How many steps the device has taken since the CPU copies were last brought up to date. */
  private unsynced = 0;
  /** After a copy-back the CPU copy is the one hooks may change: the next step and the next validation take it again. */
  private reload = { step: false, predict: false };
  private decided = false;
  private params: Tensor[] = [];
  /** The parameters and buffers (BatchNorm's running statistics) whose newer values the device holds while dirty. */
  private resident: Tensor[] = [];
  /** The model's modules: freezing marks a BatchNorm `evalOnly`, which changes what the device runs. */
  private modules: Module[] = [];
  /** The backend and request of the open run, and its {@link DeviceDriver.trainState} when it opened. */
  private opened: { backend: DeviceBackend; request: Parameters<DeviceBackend['open']>[0]; trainable: boolean[] } | null = null;
  private placeholders = new Map<number, { output: Tensor; loss: Tensor }>();

  constructor(
    readonly spec: DeviceSpec,
    private readonly metricsEvery: number,
    private readonly notice: (line: string) => void,
  ) {
    const ok = spec === 'cpu' || spec === 'auto' || (typeof spec === 'string' && spec !== '') || (spec !== null && typeof spec === 'object' && typeof spec.open === 'function' && typeof spec.name === 'string');
    if (!ok) throw new ConfigError(`Trainer: device must be 'cpu', 'auto', a registered device name or a DeviceBackend, got ${JSON.stringify(spec)}`);
    if (!Number.isInteger(metricsEvery) || metricsEvery < 1) throw new ConfigError(`Trainer: metricsEvery must be a positive integer, got ${metricsEvery}`);
  }

  /** Forgets the previous fit's decision (each fit decides again at its first batch). */
  reset(): void {
    this.decided = false;
    this.name = 'cpu';
  }

  /** Which parameters train and which modules stay in eval mode: a change (a plugin froze or unfroze layers) reopens the run. */
  private trainState(): boolean[] {
    return [...this.params.map((p) => p.requiresGrad), ...this.modules.map((m) => m.evalOnly)];
  }

  /** Whether {@link DeviceDriver.trainState} differs from the open run's (checked every step, so without building it). */
  private trainStateChanged(): boolean {
    const [was, P] = [this.opened?.trainable ?? [], this.params.length];
    return this.params.some((p, i) => p.requiresGrad !== was[i]) || this.modules.some((m, i) => m.evalOnly !== was[P + i]);
  }

  /** Whether this batch trains on the device; opens the run at the first batch of a fit. */
  async ready(trainer: Trainer, ctx: RunContext, customLoss: boolean): Promise<boolean> {
    if (this.decided) return this.run !== null || this.eager !== null;
    this.decided = true;
    if (this.spec === 'cpu') return false;
    const label = typeof this.spec === 'string' ? this.spec : this.spec.name;
    const candidates = typeof this.spec === 'object' ? [this.spec] : this.spec === 'auto' ? registeredDevices() : [backendNamed(this.spec)].filter((b) => b !== undefined);
    if (candidates.length === 0) {
      const hint = this.spec === 'auto' ? 'no device backend is registered' : `no device "${this.spec}" is registered`;
      return this.refuse(label, `${hint} (import '@trainkit/webgpu' to register 'webgpu')`);
    }
    const readers = trainer.plugins.filter((p) => p.readsBatchValues === true).map((p) => `plugin "${p.name}" reads each batch's loss or outputs`);
    if (readers.length > 0) return this.refuse(label, `${readers.join(', ')}, which stay on the device between metric reads`);
    const users = stepHookUsers(trainer); // what only the Trainer's own step can run
    if (customLoss) users.push('a custom `loss`');
    if (ctx.batch.y instanceof Tensor) users.push('soft labels (the targets are a tensor, e.g. from mixup)');
    const reasons: string[] = [];
    if (users.length === 0) {
      for (const backend of candidates) {
        try {
          const request = { model: ctx.model, optimizer: ctx.optimizer as Optimizer, sampleShape: ctx.batch.x.shape.slice(1) };
          this.run = await backend.open(request);
          this.name = backend.name;
          this.params = ctx.model.parameters();
          this.modules = ctx.model.namedModules().map(([, m]) => m);
          this.resident = [...this.params, ...ctx.model.namedBuffers().map(([, t]) => t)];
          this.opened = { backend, request, trainable: this.trainState() };
          return true;
        } catch (e) {
          reasons.push(reasonOf(backend.name, e));
        }
      }
    }
    // step by step: the Trainer's own step on device tensors, so the hooks inside it run (or a model the fused run cannot take)
    for (const { name } of candidates) {
      if (!hasTensorDevice(name)) continue;
      try {
        const eager = new EagerDevice(name, ctx.model, ctx.optimizer as Optimizer);
        await eager.open(ctx.batch.x);
        this.eager = eager;
        this.name = name;
        if (reasons.length > 0) this.notice(`Trainer({ device: '${label}' }): ${reasons.join('; ')}; training step by step on ${name} instead`);
        return true;
      } catch (e) {
        const said = (e as Error).message.replace(/^\w+: /, ''); // no adapter: said once, whoever's prefix it carries
        if (!reasons.some((r) => r.includes(said))) reasons.push(reasonOf(name, e));
      }
    }
    if (users.length > 0 && reasons.length === 0) reasons.push(`${users.join(', ')} need the Trainer's own step, which a fused device run replaces, and no device with tensors of its own is registered to run that step there`);
    return this.refuse(label, reasons.join('; '));
  }

  private refuse(label: string, reason: string): boolean {
    if (this.spec !== 'auto') throw new ConfigError(`Trainer({ device: '${label}' }): cannot train there: ${reason}. Use device 'cpu', or 'auto' to fall back to it`);
    this.notice(`Trainer({ device: 'auto' }): ${reason}; training on the CPU`);
    return false;
  }

  /** Enqueues the batch's step; reads the metrics into `acc` every `metricsEvery` steps. */
  async step(ctx: RunContext, acc: MetricAccumulator): Promise<void> {
    if (this.trainStateChanged()) await this.reopen(acc);
    const run = this.run as DeviceRun;
    const labels = labelsOf(ctx.batch.y, `fit: batch ${ctx.batchIndex} of epoch ${ctx.epoch}`);
    if (this.reload.step) {
      run.reloadFromCpu?.();
      this.reload = { step: false, predict: false };
    }
    run.step(ctx.batch.x, labels);
    if (!this.dirty) markResident(this.resident, this.name);
    this.dirty = true;
    this.unsynced++;
    ctx.step++;
    const n = ctx.batch.x.shape[0];
    let p = this.placeholders.get(n);
    if (p === undefined) {
      p = { output: new Tensor(new Float32Array(n * run.outputSize), [n, run.outputSize], {}, 'device step output'), loss: new Tensor(new Float32Array(1), [], {}, 'device step loss') };
      markResident([p.output, p.loss], this.name); // per-step values stay on the device; ctx.metrics has the running means
      this.placeholders.set(n, p);
    }
    Object.assign(ctx, { output: p.output, dataLoss: p.loss, loss: p.loss, terms: [] });
    if (ctx.step % this.metricsEvery === 0) await this.readMetrics(acc);
  }

  /** A plugin froze or unfroze layers (staged fine-tuning): the state comes back, and the run opens again with the new trainable set and eval-only modules. */
  private async reopen(acc: MetricAccumulator): Promise<void> {
    const { backend, request } = this.opened as NonNullable<DeviceDriver['opened']>;
    await this.settle(acc);
    const old = this.run as DeviceRun;
    this.run = null; // a failed open below leaves nothing to dispose twice
    old.dispose();
    this.run = await backend.open(request);
    this.opened = { backend, request, trainable: this.trainState() };
    this.reload = { step: false, predict: false }; // a new run starts from the CPU copy
  }

  /** Adds the device's metrics since the last read to `acc`. */
  async readMetrics(acc: MetricAccumulator): Promise<void> {
    if (this.eager !== null) return this.eager.read(acc);
    if (this.run === null) return;
    const m = await this.run.metrics();
    if (m.samples > 0) {
      acc.add('loss', m.loss, m.samples);
      acc.add('accuracy', m.accuracy, m.samples);
    }
  }

  /** Reads the metrics and copies the parameters and optimizer state back, so hooks can read them. */
  async settle(acc: MetricAccumulator): Promise<void> {
    await this.readMetrics(acc);
    await this.sync();
  }

  /** Copies the device's parameters and optimizer state into the CPU model and optimizer (no-op when they are current). */
  async sync(): Promise<void> {
    if (this.eager !== null && this.dirty) return this.syncEager(this.eager);
    if (this.run === null || !this.dirty) return;
    markResident(this.resident, null); // the copy writes into the parameters' and buffers' arrays
    try {
      await this.run.syncToCpu();
    } catch (e) {
      markResident(this.resident, this.name);
      throw e;
    }
    this.dirty = false;
    this.unsynced = 0;
    this.reload = { step: true, predict: true };
  }

  /** Plugins bring back what they keep on the device, then the optimizer's state and the model come back to the cpu. */
  private async syncEager(eager: EagerDevice): Promise<void> {
    let failure: unknown = null;
    try {
      await this.syncHook?.();
    } catch (e) {
      failure = e;
    }
    try {
      await eager.leave();
    } catch (e) {
      failure ??= e;
    }
    this.dirty = false; // the model is on the cpu again, whatever failed
    this.unsynced = 0;
    if (failure !== null) throw failure;
  }

  /** An eager fit's step is about to run: the model goes (back) to the device. */
  async enter(): Promise<void> {
    await (this.eager as EagerDevice).enter();
    this.dirty = true;
  }

  /** An eager fit's step ran: its deferred values are read every `metricsEvery` steps. */
  async afterEagerStep(acc: MetricAccumulator): Promise<void> {
    if (++this.unsynced % this.metricsEvery === 0) await this.readMetrics(acc);
  }

  /** After a failed fit: the device's state back for `onException` and the caller, or (a NaN gradient, a lost device) a notice of how many steps older the CPU copy is. */
  async recover(): Promise<void> {
    if (this.eager?.dirty === true && !this.dirty) {
      // a failure in validation, with the model on the device for its forward passes: back before onException
      await this.eager.leave().catch((e: Error) => this.notice(`Trainer: the model could not come back from ${this.name} after validation failed: ${e.message}`));
      return;
    }
    if ((this.run === null && this.eager === null) || !this.dirty) return;
    const steps = this.unsynced;
    try {
      await this.sync();
    } catch (e) {
      if (this.eager !== null) return this.notice(`Trainer: the fit failed on ${this.name}, and bringing its state back failed too (${(e as Error).message}); the model is on the cpu again (with its values from the last sync if the device is gone). After a non-finite gradient the optimizer holds the state of its last good step; after a lost device, load a checkpoint to restore it`);
      this.notice(`Trainer: the fit failed on ${this.name} and its newer state could not be copied back (${(e as Error).message}); the model and the optimizer hold the state of the last copy-back, ${steps} step${steps === 1 ? '' : 's'} before the failure`);
    }
  }

  /** The model's outputs for a validation batch: on the device when a run is open for this model, else null. */
  async predict(x: Tensor, model: Module): Promise<Tensor | null> {
    if (this.eager !== null) return model === this.eager.model ? this.eager.predict(x) : null;
    if (this.run === null || model !== this.opened?.request.model) return null;
    if (this.reload.predict) this.run.reloadFromCpu?.(); // the step after validation takes the CPU copy again too (hooks may swap weights back)
    this.reload.predict = false;
    return this.run.predict(x);
  }

  /** Validation ended: a step-by-step fit's model comes back to the cpu for the hooks after it. */
  async endPredict(): Promise<void> {
    if (this.eager !== null && !this.dirty) await this.eager.leave();
  }

  /** Ends the run: frees the device's memory; the CPU copies are those of the last sync. */
  async close(): Promise<void> {
    if (this.eager !== null && this.dirty) await this.recover(); // a failure in a hook after the fit's end: the model comes back all the same
    if (this.eager?.dirty === true) await this.recover();
    this.eager = null;
    this.syncHook = null;
    markResident(this.resident, null);
    try {
      this.run?.dispose();
    } catch {
      // a lost device has freed its memory already; the error that ended the run says so
    }
    this.run = null;
    this.dirty = false;
    this.unsynced = 0;
    this.reload = { step: false, predict: false };
    this.params = [];
    this.resident = [];
    this.opened = null;
    this.placeholders.clear();
  }
}
