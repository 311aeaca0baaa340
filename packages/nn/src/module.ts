import { ShapeError, Tensor, ValueError, formatShape, placeTensors, sameShape } from '@trainkit/tensor';
import { Parameter } from './parameter';

/** Called after a module's forward; may return a replacement output. */
export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => Tensor | void;

/** What {@link Module.loadStateDict} did: keys it could not fill, keys it did not know, shape conflicts. */
export interface LoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: Array<{ key: string; expected: readonly number[]; got: readonly number[] }>;
}

/**
 * Base class of every layer and model, in the PyTorch shape: subclasses assign parameters
 * ({@link Parameter}) and submodules to fields and implement {@link Module.forward}; names
 * come from the field names (`conv1.weight`), in declaration order.
 *
 * Call a module with {@link Module.call} (runs forward hooks), implement {@link Module.forward}.
 *
 * @example
 * class Net extends Module {
 *   fc1 = new Linear(784, 256);
 *   fc2 = new Linear(256, 10);
 *   forward(x: Tensor) { return this.fc2.call(relu(this.fc1.call(x))); }
 * }
 */
export abstract class Module {
  /** True in training mode (the default), false in evaluation mode. Set with {@link Module.train}/{@link Module.eval}. */
  training = true;
  /**
   * When true, {@link Module.train} leaves this module in evaluation mode: a frozen BatchNorm
   * keeps normalizing with its running statistics and stops updating them (what Keras does for
   * a BatchNormalization layer with `trainable = false`). `freeze` in @trainkit/core sets it.
   */
  evalOnly = false;
  private _buffers = new Map<string, Tensor>();
  private _forwardHooks: ForwardHook[] = [];

  /** The computation. Implement it; invoke modules through {@link Module.call}. */
  abstract forward(x: Tensor): Tensor;

  /** Runs forward, then the forward hooks in registration order. */
  call(x: Tensor): Tensor {
    let y = this.forward(x);
    for (const hook of this._forwardHooks) {
      const r = hook(this, x, y);
      if (r !== undefined) y = r;
    }
    return y;
  }

  /** Whether any forward hook is registered on this module. */
  get hasForwardHooks(): boolean {
    return this._forwardHooks.length > 0;
  }

  /** Adds a hook run after every forward of this module; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
    this._forwardHooks.push(hook);
    return () => {
      const i = this._forwardHooks.indexOf(hook);
      if (i !== -1) this._forwardHooks.splice(i, 1);
    };
  }

  /**
   * Registers a non-trainable tensor saved in the state dict (e.g. BatchNorm's `running_mean`).
   * `name` is the state-dict key, so it can follow PyTorch's naming.
   */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this._buffers.set(name, t);
    return t;
  }

  /** Direct submodules with their names (the field names, in declaration order). */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const k of Object.keys(this)) {
      const v = (this as unknown as Record<string, unknown>)[k];
      if (v instanceof Module) out.push([k, v]);
    }
    return out;
  }

  /** This module and every descendant, with dotted paths ("" for this one). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    this.collectModules(prefix, out);
    return out;
  }

  /**
   * Depth first, parents before children: what the Trainer walks every step, so no array per
   * level. Descendants are found through {@link Module.namedChildren}, the one method a
   * container overrides (Sequential, Ensemble).
   */
  private collectModules(path: string, out: Array<[string, Module]>): void {
    out.push([path, this]);
    for (const [name, child] of this.namedChildren()) child.collectModules(path === '' ? name : `${path}.${name}`, out);
  }

  /**
   * Every parameter with its dotted name, e.g. `["conv1.weight", p]`. A parameter shared by
   * several modules (weight tying) is listed once, under its first name, so optimizers update
   * it once; {@link Module.stateDict} keeps every name, as PyTorch does.
   */
  namedParameters(): Array<[string, Parameter]> {
    const seen = new Set<Parameter>();
    return this.allNamedParameters().filter(([, p]) => !seen.has(p) && seen.add(p) !== undefined);
  }

  private allNamedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [path, m] of this.namedModules()) {
      for (const k of Object.keys(m)) {
        const v = (m as unknown as Record<string, unknown>)[k];
        if (v instanceof Parameter) out.push([path === '' ? k : `${path}.${k}`, v]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every registered buffer with its dotted name, e.g. `["bn1.running_mean", t]`. */
  namedBuffers(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [path, m] of this.namedModules()) {
      for (const [k, v] of m._buffers) out.push([path === '' ? k : `${path}.${k}`, v]);
    }
    return out;
  }

  /** Total number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Sets training mode on this module and all descendants (those marked {@link Module.evalOnly} stay in eval mode). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode && !m.evalOnly;
    return this;
  }

  /** Sets evaluation mode (BatchNorm uses running statistics, dropout is the identity). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to `device` in place (`'webgpu'` once `@trainkit/webgpu`
   * is imported, or `'cpu'`): the same tensors, so an optimizer built on `parameters()` keeps
   * stepping them; on a device, `optimizer.step` runs the device's fused update. Buffers a
   * module reads on the cpu (BatchNorm's `num_batches_tracked`) stay there.
   * @example
   * await model.to('webgpu');
   * const loss = crossEntropy(model.call(await x.to('webgpu')), labels);
   */
  async to(device: string): Promise<this> {
    const host = new Set<Tensor>();
    for (const [, m] of this.namedModules()) for (const k of m.hostBuffers()) host.add(m._buffers.get(k)!);
    const tensors = [...new Set<Tensor>([...this.parameters(), ...this.namedBuffers().map(([, t]) => t)])].filter((t) => !host.has(t));
    await placeTensors(tensors, device);
    return this;
  }

  /** Names of this module's buffers that stay on the cpu when the module moves (it reads them there each forward). */
  protected hostBuffers(): readonly string[] {
    return [];
  }

  /** Zeros every parameter's gradient buffer. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * Parameters and buffers by name, in PyTorch's order (module by module, each one's parameters
   * then its buffers). The tensors share storage with the module (like PyTorch's state_dict);
   * copy them if you keep them while training continues.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    // module by module, each one's parameters then its buffers: PyTorch's state_dict order
    for (const [path, m] of this.namedModules()) {
      for (const [k, v] of Object.entries(m)) if (v instanceof Parameter) out[path === '' ? k : `${path}.${k}`] = v;
      for (const [k, v] of m._buffers) out[path === '' ? k : `${path}.${k}`] = v;
    }
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers by name. With `strict` (the
   * default) any missing, unexpected or mis-shaped key is an error listing all of them;
   * with `strict: false` matching keys load and the report says what did not.
   */
  loadStateDict(state: Readonly<Record<string, Tensor>>, options: { strict?: boolean } = {}): LoadReport {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
    // own-property lookups: a key such as "constructor" must not resolve through Object.prototype
    const lookup = (key: string): Tensor | undefined => {
      const v = Object.hasOwn(state, key) ? state[key] : undefined;
      if (v !== undefined && !(v instanceof Tensor)) throw new ValueError(`loadStateDict: "${key}" is ${v === null ? 'null' : `a ${(v as object).constructor?.name ?? typeof v}`}, not a Tensor; wrap values as new Tensor(data, shape)`);
      return v;
    };
    const optional = new Set<string>(); // keys a module may do without (BatchNorm's num_batches_tracked, as PyTorch's loader)
    for (const [path, m] of this.namedModules()) for (const k of m.optionalStateKeys()) optional.add(path === '' ? k : `${path}.${k}`);
    for (const key of Object.keys(own)) {
      const src = lookup(key);
      if (src === undefined) {
        if (!optional.has(key)) report.missing.push(key);
      }
      else if (!sameShape(src.shape, own[key].shape)) report.mismatched.push({ key, expected: own[key].shape, got: src.shape });
    }
    for (const key of Object.keys(state)) if (!Object.hasOwn(own, key)) report.unexpected.push(key);
    const away = Object.entries(own).find(([key, t]) => lookup(key) !== undefined && (t.device !== 'cpu' || lookup(key)!.device !== 'cpu'));
    if (away !== undefined) {
      const where = away[1].device !== 'cpu' ? `the module's "${away[0]}" lives on ${away[1].device}` : `the state's "${away[0]}" lives on ${lookup(away[0])!.device}`;
      throw new ValueError(`loadStateDict: ${where}; load between cpu tensors (\`await model.to('cpu')\` or \`await t.to('cpu')\` first, then move the model back); nothing was loaded`);
    }
    if (strict && (report.missing.length > 0 || report.unexpected.length > 0 || report.mismatched.length > 0)) {
      const parts: string[] = [];
      if (report.missing.length) parts.push(`missing keys: ${report.missing.join(', ')}`);
      if (report.unexpected.length) parts.push(`unexpected keys: ${report.unexpected.join(', ')}`);
      for (const m of report.mismatched) parts.push(`${m.key}: expected shape ${formatShape(m.expected)}, got ${formatShape(m.got)}`);
      throw new ShapeError(`loadStateDict: state does not match ${this.constructor.name} (${parts.join('; ')}); pass { strict: false } to load what matches`);
    }
    for (const [key, dst] of Object.entries(own)) {
      const src = lookup(key);
      if (src === undefined || !sameShape(src.shape, dst.shape)) continue;
      if (src.data !== dst.data) dst.data.set(src.data);
      report.loaded.push(key);
    }
    return report;
  }

  /** One line per module, indented like PyTorch's repr. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([n, c]) => `  (${n}): ${c.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /** Local state keys a state dict may lack (the module keeps its own value); e.g. BatchNorm's `num_batches_tracked`. */
  protected optionalStateKeys(): readonly string[] {
    return [];
  }

  /** Hyperparameters shown by {@link Module.toString}. */
  protected extraRepr(): string {
    return '';
  }
}
