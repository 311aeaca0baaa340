import { type Hyperparams, NonFiniteGradientError, type Optimizer } from '@trainkit/core';
import type { GpuContext } from './context';
import { WebGpuUnsupportedError } from './errors';
import { Dispatch, type KernelDef, grid1d } from './kernel';
import { adagradKernel, adamKernel, checkFiniteKernel, finishCheckKernel, momentumKernel, rmspropKernel, sgdKernel } from './kernels/optim';

const f = Math.fround;

/** A parameter as the GPU optimizer sees it: its name (the CPU optimizer's key), size, and buffers. */
export interface GpuParam {
  readonly name: string;
  readonly size: number;
  readonly value: GPUBuffer;
  readonly grad: GPUBuffer;
  /** The CPU parameter this buffer mirrors (see `Optimizer.adopt`). */
  readonly key?: object;
}

/** How one CPU optimizer runs on the GPU: its kernel, the slots it keeps, and the uniforms of a step. */
interface GpuRule {
  kernel: (h: Hyperparams) => KernelDef;
  slots: (h: Hyperparams) => readonly string[];
  /** The kernel's uniforms for this parameter's `step`-th update (1-based). */
  uniforms: (h: Hyperparams, step: number) => Record<string, number>;
}

const sgdUniforms = (h: Hyperparams) => ({ alpha: f(-h.lr), weightDecay: f(h.weightDecay as number) });

function adamRule(coupled: boolean): GpuRule {
  return {
    kernel: () => adamKernel,
    slots: (h) => (h.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v']),
    uniforms: (h, step) => {
      const [b1, b2, wd] = [h.beta1 as number, h.beta2 as number, h.weightDecay as number];
      return {
        beta1: f(b1), beta2: f(b2), oneMinusBeta1: f(1 - b1), oneMinusBeta2: f(1 - b2), eps: f(h.eps as number),
        weightDecay: coupled ? f(wd) : 0, stepSize: f(-(h.lr / (1 - b1 ** step))), biasCorrection2: f(Math.sqrt(1 - b2 ** step)),
        shrink: !coupled && wd !== 0 ? f(1 - h.lr * wd) : 1, amsgrad: +!!h.amsgrad,
      };
    },
  };
}

/** The optimizers with fused WGSL updates, by registry name; each matches its CPU update's float32 arithmetic. */
const RULES: Record<string, GpuRule> = {
  'core/sgd': { kernel: () => sgdKernel, slots: () => [], uniforms: sgdUniforms },
  'optim-momentum/momentum': {
    kernel: (h) => (h.momentum === 0 ? sgdKernel : momentumKernel),
    slots: (h) => (h.momentum === 0 ? [] : ['momentumBuffer']),
    uniforms: (h, step) => ({
      ...sgdUniforms(h), momentum: f(h.momentum as number), keep: f(1 - (h.dampening as number)), first: +(step === 1), nesterov: +!!h.nesterov,
    }),
  },
  'optim-adam/adam': adamRule(true),
  'optim-adam/adamw': adamRule(false),
  'optim-adaptive/adagrad': {
    kernel: () => adagradKernel,
    slots: () => ['sum'],
    uniforms: (h, step) => ({
      clr: f(-(h.lr / (1 + (step - 1) * (h.lrDecay as number)))), weightDecay: f(h.weightDecay as number), eps: f(h.eps as number),
      first: +(step === 1), init: f(h.initialAccumulatorValue as number),
    }),
  },
  'optim-adaptive/rmsprop': {
    kernel: () => rmspropKernel,
    slots: (h) => ['squareAvg', ...(h.centered ? ['gradAvg'] : []), ...((h.momentum as number) > 0 ? ['momentumBuffer'] : [])],
    uniforms: (h) => ({
      alpha: f(h.alpha as number), oneMinusAlpha: f(1 - (h.alpha as number)), eps: f(h.eps as number), weightDecay: f(h.weightDecay as number),
      momentum: f(h.momentum as number), negLr: f(-h.lr), centered: +!!h.centered,
    }),
  },
};

/** What one parameter's update dispatch was built for: its kernel and slot names, its slot buffers, and spare bindings. */
interface UpdateBinding {
  kernel: KernelDef;
  slotNames: string;
  slots: Record<string, GPUBuffer>;
  spares: GPUBuffer[];
}

/** Registry names of the optimizers {@link GpuOptimizer} can run. */
export const GPU_OPTIMIZERS = Object.keys(RULES);

/** Why the fused updates cannot step the optimizer named `name` (null: they can). */
export function unsupportedOptimizer(name: string): string | null {
  return name in RULES ? null : `webgpu: optimizer "${name}" has no GPU kernel yet; supported: ${GPU_OPTIMIZERS.join(', ')}`;
}

/**
 * Runs a CPU optimizer's updates on the GPU: its slots (Adam's m and v, a momentum buffer) live in
 * GPU buffers next to the parameters, one fused dispatch per parameter per step. Hyperparameters
 * are read from the CPU optimizer before each step, so schedules and parameter groups apply;
 * {@link GpuOptimizer.syncTo} writes the slots and step counts back into it, so its state dict
 * (and a checkpoint) is the same as after as many CPU steps.
 */
export class GpuOptimizer {
  /** A step's dispatches: the finite checks of every gradient, then the updates. */
  readonly dispatches: Dispatch[] = [];
  private readonly finishes: Dispatch[] = [];
  /** Per parameter the first non-finite gradient index (0xFFFFFFFF: none), then [any, step, slot, value bits]. */
  private readonly flags: GPUBuffer;
  private readonly rule: GpuRule;
  /** Per parameter: the kernel and slots its update dispatch was built for, the slot buffers, and spare bindings. */
  private readonly updates: UpdateBinding[] = [];
  private readonly startSteps: number[];
  private readonly startStepCount: number;
  /** Steps taken on the GPU since this object was made. */
  steps = 0;

  constructor(private readonly ctx: GpuContext, readonly optimizer: Optimizer, readonly params: readonly GpuParam[]) {
    const rule = RULES[optimizer.name];
    if (rule === undefined) {
      throw new WebGpuUnsupportedError(`${unsupportedOptimizer(optimizer.name)}. Train this one on the CPU`);
    }
    this.rule = rule;
    const state = optimizer.stateDict();
    this.startStepCount = state.step;
    this.startSteps = params.map((p) => state.paramSteps[p.name] ?? 0);
    const P = params.length;
    this.flags = ctx.acquire((P + 4) * 4, 'non-finite gradient flags');
    ctx.write(this.flags, Uint32Array.from({ length: P + 4 }, (_, i) => (i < P ? 0xffffffff : 0)));
    params.forEach((p, slot) => this.dispatches.push(new Dispatch(ctx, checkFiniteKernel, [p.grad, this.flags], { n: p.size, slot }, grid1d(p.size))));
    params.forEach((p, slot) => this.finishes.push(new Dispatch(ctx, finishCheckKernel, [p.grad, this.flags], { slot, flag: P, step: 1 }, [1, 1, 1])));
    this.dispatches.push(...this.finishes);
    params.forEach((p, i) => this.bind(i, optimizer.hyperFor(p.name), state.slots[p.name] ?? {}));
  }

  /**
   * Builds parameter i's update dispatch for the kernel and slots its hyperparameters call for:
   * slots it already holds are kept, `saved` ones uploaded, others start at zero (as the CPU
   * optimizer starts a slot that a changed configuration needs, e.g. `amsgrad` switched on).
   */
  private bind(i: number, h: Hyperparams, saved: Readonly<Record<string, Float32Array>>): void {
    const { ctx, rule } = this;
    const p = this.params[i];
    const old = this.updates.at(i);
    const names = rule.slots(h);
    const slots: Record<string, GPUBuffer> = {};
    for (const s of names) {
      slots[s] = old?.slots[s] ?? ctx.acquire(p.size * 4, `${this.optimizer.name} slot ${s} of ${p.name}`);
      if (old?.slots[s] === undefined) ctx.write(slots[s], saved[s] ?? new Float32Array(p.size));
    }
    for (const [s, b] of Object.entries(old?.slots ?? {})) if (!names.includes(s)) ctx.release(b);
    for (const b of old?.spares ?? []) ctx.release(b);
    const kernel = rule.kernel(h);
    // a slot this configuration does not keep still needs a binding: a small buffer of its own
    // (two bindings of one writable buffer in a dispatch would make the dispatch invalid)
    const spares: GPUBuffer[] = [];
    const spare = () => {
      spares.push(ctx.acquire(16, 'an unused optimizer binding'));
      return spares[spares.length - 1];
    };
    const bound: Record<string, GPUBuffer> = { PARAM: p.value, GRAD: p.grad, FLAGS: this.flags };
    const buffers = kernel.buffers.map(([b]) => bound[b] ?? slots[slotOf(b)] ?? spare());
    const at = 2 * this.params.length + i;
    this.dispatches[at]?.dispose();
    this.dispatches[at] = new Dispatch(ctx, kernel, buffers, { n: p.size, flag: this.params.length, ...rule.uniforms(h, 1) }, grid1d(p.size));
    this.updates[i] = { kernel, slotNames: names.join(), slots, spares };
  }

  /**
   * Sets every dispatch's uniforms for the next step (call once per step, before submitting it).
   * Hyperparameters are read from the CPU optimizer now: a schedule, a group's new value, or a
   * changed configuration (momentum from 0, `amsgrad`, `centered`) applies from this step on.
   */
  prepare(): void {
    this.steps++;
    for (const d of this.finishes) d.setUniforms({ step: this.startStepCount + this.steps });
    this.params.forEach((p, i) => {
      const h = this.optimizer.hyperFor(p.name);
      const u = this.updates[i];
      if (this.rule.kernel(h) !== u.kernel || this.rule.slots(h).join() !== u.slotNames) this.bind(i, h, {});
      this.dispatches[2 * this.params.length + i].setUniforms(this.rule.uniforms(h, this.startSteps[i] + this.steps));
    });
  }

  /**
   * Throws the {@link NonFiniteGradientError} the CPU optimizer would have thrown (the first
   * parameter, in order, whose gradient held a NaN or an infinity, its first such element and
   * the step), when a step since this object was made had one: from that step on, nothing was updated.
   */
  async check(): Promise<void> {
    const { buffer, floats } = this.flagsRead;
    this.throwIfNonFinite(await this.ctx.read(buffer, floats, 'reading the non-finite gradient flags'));
  }

  /** The buffer {@link GpuOptimizer.check} reads, for a caller that reads it with others in one round trip. */
  get flagsRead(): { buffer: GPUBuffer; floats: number } {
    return { buffer: this.flags, floats: this.params.length + 4 };
  }

  /** {@link GpuOptimizer.check} on flags already read (from {@link GpuOptimizer.flagsRead}). */
  throwIfNonFinite(read: Float32Array): void {
    const P = this.params.length;
    const flags = new Uint32Array(read.buffer, read.byteOffset, P + 4);
    if (flags[P] === 0) return;
    const slot = flags[P + 2];
    const value = new Float32Array(Uint32Array.of(flags[P + 3]).buffer)[0];
    throw new NonFiniteGradientError(this.optimizer.name, this.params[slot].name, flags[P + 1], flags[slot], value);
  }

  /** Copies the slots and step counts into the CPU optimizer (its state dict then matches the GPU's); first {@link GpuOptimizer.check}. */
  async syncTo(): Promise<void> {
    await this.check();
    await this.copyState(this.steps);
  }

  /**
   * After {@link GpuOptimizer.check} threw `error`: copies the state as it was before the step
   * with the non-finite gradient (from that step on nothing was updated, so the slots are those
   * of the last good step), as a CPU optimizer that refused that step would hold it.
   */
  async keepGoodSteps(error: NonFiniteGradientError): Promise<void> {
    await this.copyState(Math.max(0, error.step - 1 - this.startStepCount));
  }

  /** The slots after `steps` of this object's steps, and the step counts that go with them, into the CPU optimizer. */
  private async copyState(steps: number): Promise<void> {
    const state = this.optimizer.stateDict();
    state.step = this.startStepCount + steps;
    for (const [i, p] of this.params.entries()) {
      state.paramSteps[p.name] = this.startSteps[i] + steps;
      const slots: Record<string, Float32Array> = {};
      for (const [s, buf] of Object.entries(this.updates[i].slots)) slots[s] = await this.ctx.read(buf, p.size, `reading optimizer slot ${s} of ${p.name}`);
      state.slots[p.name] = slots;
    }
    this.optimizer.loadStateDict(state);
    // a state load unbinds names from parameters: bind them again, so a head replaced later still starts fresh
    this.optimizer.adopt?.(this.params.flatMap((p) => (p.key === undefined ? [] : [{ name: p.name, key: p.key }])));
  }

  dispose(): void {
    for (const d of this.dispatches) d.dispose();
    for (const u of this.updates) for (const b of [...Object.values(u.slots), ...u.spares]) this.ctx.release(b);
    this.ctx.release(this.flags);
  }
}

/** The CPU slot name a kernel binding holds. */
function slotOf(binding: string): string {
  return ({ M: 'm', V: 'v', VMAX: 'vmax', BUF: 'momentumBuffer', SUM: 'sum', SQ: 'squareAvg', GAVG: 'gradAvg' } as Record<string, string>)[binding] ?? binding;
}
