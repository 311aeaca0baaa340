import type { Module } from '@trainkit/nn';
import { type Target, Tensor, add, concat, deviceBackend, noGrad, reshape, restoreOnCpu } from '@trainkit/tensor';
import { NonFiniteLossError } from './errors';
import { type MetricAccumulator, accuracy, logsAccuracy } from './metrics';
import type { Optimizer } from './optimizer';
import type { HookName } from './hooks';
import type { Trainer } from './trainer';

// A Trainer's fit on a device, step by step: when plugins hook inside the training step (a
// penalty, clipping, EMA, distillation, a custom loss), the step cannot be one fused submission,
// so the Trainer runs its ordinary step on device tensors instead (`model.to(device)`), and the
// hooks see device tensors. What the step logs stays on the device and is read back every
// `metricsEvery` steps, in two round trips, so the hooks never force a sync of their own.

/** Where a deferred value was logged, for the error a non-finite loss raises. */
interface Where {
  epoch: number;
  step: number;
  batchIndex: number;
}

/** A scalar logged on the device: read back with the others. */
interface Scalar {
  name: string;
  value: Tensor;
  weight: number;
  /** A loss (or a loss term): a non-finite value stops the run, as on the CPU. */
  loss: boolean;
  where: Where;
}

/** A batch's outputs on the device and its targets, for the accuracy. */
interface Outputs {
  output: Tensor;
  target: Target;
}

/** The hooks that run inside a training step: a fused device run cannot call them, so their users train step by step there. */
const STEP_HOOKS: readonly HookName[] = ['onAfterForward', 'onLoss', 'onBeforeBackward', 'onAfterBackward', 'onBeforeOptimizerStep', 'onAfterOptimizerStep'];

/** Which plugins or listeners implement a hook inside the step, e.g. `plugin "l2" (onLoss)`. */
export function stepHookUsers(trainer: Trainer): string[] {
  const found: string[] = [];
  for (const hook of STEP_HOOKS) {
    for (const p of trainer.plugins) if (typeof p[hook] === 'function') found.push(`plugin "${p.name}" (${hook})`);
    const ev = hook[2].toLowerCase() + hook.slice(3);
    if (trainer.listenerCount(ev as never) > 0) found.push(`a listener of "${ev}"`);
  }
  return found;
}

/** Whether `name` is a device whose tensors exist (registered with `@trainkit/tensor`), so a fit can run step by step there. */
export function hasTensorDevice(name: string): boolean {
  try {
    deviceBackend(name);
    return true;
  } catch {
    return false;
  }
}

/** The model, its optimizer and the deferred metrics of a step-by-step fit on a device. Internal to the Trainer. */
export class EagerDevice {
  /** Whether the model is on the device now (a sync brings it back to the cpu until the next step). */
  private placed = false;
  private scalars: Scalar[] = [];
  private outputs: Outputs[] = [];
  /** The cpu arrays of the model's tensors when they last moved to the device: they come back into them, and a lost device leaves them with their old values. */
  private copies = new Map<Tensor, Float32Array>();
  /** The names of the parameters the last step updated. */
  private stepped: string | null = null;

  constructor(
    readonly name: string,
    readonly model: Module,
    private readonly optimizer: Optimizer,
  ) {}

  /**
   * Opens the device (rejects when it has no adapter) and moves the model there, then runs it once
   * on the first sample of `batch` in eval mode (no dropout draws, no running statistics): a
   * model with an op the device lacks is refused here, naming the op, with the model back on the
   * cpu, instead of failing a step halfway through its hooks.
   */
  async open(batch: Tensor): Promise<void> {
    const backend = deviceBackend(this.name);
    const cannot = backend.step === undefined ? `${this.name} runs no optimizer steps` : (backend.canStep?.(this.optimizer) ?? null);
    if (cannot !== null) throw new Error(cannot);
    await backend.ready?.();
    await this.enter();
    const modes = this.model.namedModules().map(([, m]) => [m, m.training] as const);
    try {
      this.model.eval();
      const row = batch.size / Math.max(1, batch.shape[0]);
      const sample = await new Tensor(batch.data.slice(0, row), [1, ...batch.shape.slice(1)]).to(this.name);
      noGrad(() => this.model.call(sample));
    } catch (e) {
      await this.leave().catch(() => undefined);
      throw e;
    } finally {
      for (const [m, training] of modes) m.training = training;
    }
  }

  /** Moves the model to the device if it is not there (the first step, and the first after a sync); keeps the cpu values it left. */
  async enter(): Promise<void> {
    if (this.placed) return;
    const tensors = [...this.model.parameters(), ...this.model.namedBuffers().map(([, t]) => t)];
    this.copies = new Map(tensors.map((t) => [t, t.data]));
    await this.model.to(this.name);
    this.placed = true;
  }

  /** A batch tensor (inputs, soft targets) on the device; class indices stay as they are. */
  async place<T extends Target>(x: T): Promise<T> {
    return (x instanceof Tensor ? await x.to(this.name) : x) as T;
  }

  /**
   * The model's outputs for a validation batch, computed on the device and read back (the
   * validation hooks read them on the cpu). The model goes to the device with the weights the
   * hooks left (averaged ones swapped in, say); {@link EagerDevice.leave} brings it back after.
   */
  async predict(x: Tensor): Promise<Tensor> {
    await this.enter();
    const input = await x.to(this.name);
    return noGrad(() => this.model.call(input)).to('cpu');
  }

  /** Keeps a scalar logged during a step until the next read. */
  defer(name: string, value: Tensor, weight: number, where: Where, loss = false): void {
    this.scalars.push({ name, value: value.detach(), weight, loss, where });
  }

  /** Keeps a batch's loss, loss terms and outputs until the next read (what `recordBatch` reads at once on the CPU). */
  record(loss: Tensor, terms: ReadonlyArray<[string, Tensor]>, output: Tensor, target: Target, weight: number, where: Where): void {
    // terms of one name add up, as on the cpu; they go first, so a non-finite term is named as on the cpu
    const byName = new Map<string, Tensor>();
    noGrad(() => {
      for (const [name, t] of terms) byName.set(name, byName.has(name) ? add(byName.get(name)!, t) : t);
    });
    for (const [name, t] of byName) this.defer(name, t, weight, where, true);
    this.defer('loss', loss, weight, where, true);
    if (logsAccuracy(output)) this.outputs.push({ output: output.detach(), target });
  }

  /**
   * Before an optimizer step: when the parameters it steps changed since the last one (a plugin
   * froze layers, a branch got its first gradient), the optimizer's state comes back to the cpu
   * first, and the device takes the new set from there.
   */
  async prepareStep(names: readonly string[]): Promise<void> {
    const key = names.join('\n');
    if (this.stepped !== null && key !== this.stepped) await this.optimizer.sync?.();
    this.stepped = key;
  }

  /** Reads every deferred value back and adds it to `acc`; a non-finite loss throws the CPU's {@link NonFiniteLossError}. */
  async read(acc: MetricAccumulator): Promise<void> {
    const [scalars, outputs] = [this.scalars, this.outputs];
    this.scalars = [];
    this.outputs = [];
    const values = await readAll(scalars.map((s) => s.value));
    scalars.forEach((s, i) => {
      if (s.loss && !Number.isFinite(values[i])) throw new NonFiniteLossError(values[i], s.where.epoch, s.where.step, s.where.batchIndex, s.name, this.name);
    });
    scalars.forEach((s, i) => acc.add(s.name, values[i], s.weight));
    const rows = await readAll(outputs.map((o) => o.output));
    let at = 0;
    for (const { output, target } of outputs) {
      const host = new Tensor(rows.subarray(at, at + output.size), output.shape);
      at += output.size;
      acc.add('accuracy', accuracy(host, target), output.shape[0]);
    }
  }

  /** Brings the model (into the arrays it left) and the optimizer's state back to the cpu (epoch ends, validation, `ctx.sync()`). */
  async leave(): Promise<void> {
    if (!this.placed) return;
    this.scalars = [];
    this.outputs = [];
    let failure: unknown = null;
    try {
      await this.optimizer.sync?.(); // it checks that the gradients were finite; the model comes back either way
    } catch (e) {
      failure = e;
    }
    const moved = [...this.copies].filter(([t]) => t._storage !== null);
    try {
      const read = await Promise.all(moved.map(async ([t]) => ({ values: await t.read(), grad: await t.readGrad() })));
      moved.forEach(([t, array], i) => {
        array.set(read[i].values); // into the array it left: code that holds a parameter's array (a backup of the weights) sees the new values
        restoreOnCpu(t, array);
        t.grad = read[i].grad; // a gradient mid-accumulation comes back too
      });
    } catch (e) {
      // the device is gone: the model gets the values it had when it last moved there
      for (const [t, values] of moved) if (t._storage !== null) restoreOnCpu(t, values);
      const err = new Error(`the model could not be read back from ${this.name} (${(e as Error).message}); it holds its values from before the last move there`, { cause: e });
      failure ??= err;
    }
    this.placed = false;
    this.copies.clear();
    this.stepped = null; // the optimizer synced: the next step starts from the cpu state
    if (failure !== null) throw failure;
  }

  /** Whether the model is on the device (it holds newer values than any cpu copy). */
  get dirty(): boolean {
    return this.placed;
  }
}

/** The values of device tensors (all on one device), in one round trip: flattened into one tensor there first. */
async function readAll(tensors: readonly Tensor[]): Promise<Float32Array> {
  if (tensors.length === 0) return new Float32Array(0);
  const flat = noGrad(() => {
    const rows = tensors.map((t) => reshape(t, [t.size]));
    return rows.length === 1 ? rows[0] : concat(rows, 0);
  });
  return flat.read();
}
