import { type Pair, type Tensor, ValueError } from '@trainkit/tensor';
import { Module } from '../module';
import { Conv2d } from './conv2d';
import { MaxPool2d, ReLU } from './simple';

/**
 * Runs modules in order. Children are named "0", "1", … (as in PyTorch), or by the keys of
 * a record: `new Sequential({ conv1: …, relu1: … })`.
 */
export class Sequential extends Module {
  private _children: Array<[string, Module]>;

  constructor(...layers: Module[] | [Record<string, Module>]) {
    super();
    const only = layers[0];
    if (layers.length === 1 && !(only instanceof Module)) this._children = Object.entries(only);
    else this._children = (layers as Module[]).map((m, i) => [String(i), m]);
    for (const [name, m] of this._children) {
      if (!(m instanceof Module)) throw new ValueError(`Sequential: child "${name}" is not a Module`);
      // a dot would make its state-dict keys ambiguous ("a.b.weight"), an empty name would drop its prefix (PyTorch refuses both)
      if (name === '' || name.includes('.')) throw new ValueError(`Sequential: child name ${JSON.stringify(name)} must be non-empty and contain no "."`);
    }
  }

  override namedChildren(): Array<[string, Module]> {
    return [...this._children];
  }

  get length(): number {
    return this._children.length;
  }

  /** The child at a position or with a name. */
  at(key: number | string): Module {
    const found = typeof key === 'number' ? this._children[key] : this._children.find(([n]) => n === key);
    if (found === undefined) throw new ValueError(`Sequential.at: no child ${JSON.stringify(key)} (children: ${this._children.map(([n]) => n).join(', ')})`);
    return found[1];
  }

  /** Replaces a child (e.g. a new classification head for transfer learning). */
  set(key: number | string, module: Module): void {
    const i = typeof key === 'number' ? key : this._children.findIndex(([n]) => n === key);
    if (i < 0 || i >= this._children.length) throw new ValueError(`Sequential.set: no child ${JSON.stringify(key)}`);
    if (!(module instanceof Module)) throw new ValueError(`Sequential.set: child ${JSON.stringify(key)} must be a Module`);
    this._children[i] = [this._children[i][0], module];
  }

  /**
   * Runs the children in order. A `Conv2d` directly followed by a `ReLU` runs as one fused
   * op (`conv2d` with `activation: 'relu'`), and with a `MaxPool2d(2)` after them as one op
   * (`conv2dReluPool`): the same numbers, fewer passes over memory in each direction. A
   * BatchNorm directly followed by a `ReLU` runs fused too (`BatchNorm.callRelu`). Not
   * when any of them has a forward hook (a hook must see its module's own output), nor for
   * subclasses, whose `forward` may differ.
   */
  forward(x: Tensor): Tensor {
    let y = x;
    const children = this._children;
    for (let i = 0; i < children.length; i++) {
      const m = children[i][1];
      const next = children[i + 1]?.[1];
      if (next !== undefined && fusesWithRelu(m, next)) {
        const after = children[i + 2]?.[1];
        if (after !== undefined && isPlainPool2x2(after)) {
          y = m.forwardReluPool(y);
          i += 2;
        } else {
          y = m.forwardRelu(y);
          i++;
        }
      } else if (next !== undefined && hasCallRelu(m) && isPlainRelu(next)) {
        y = m.callRelu(y);
        i++;
      } else {
        y = m.call(y);
      }
    }
    return y;
  }
}

/** A plain MaxPool2d with 2×2 windows, stride 2 and no padding, without forward hooks. */
function isPlainPool2x2(m: Module): m is MaxPool2d {
  if (Object.getPrototypeOf(m) !== MaxPool2d.prototype || m.hasForwardHooks) return false;
  const p = m as MaxPool2d;
  // one size for both dimensions (−1 when they differ), or the default
  const size = (v: Pair | undefined, dflt: number) => (v === undefined ? dflt : typeof v === 'number' ? v : v[0] === v[1] ? v[0] : -1);
  return size(p.kernelSize, -1) === 2 && size(p.options.stride, 2) === 2 && size(p.options.padding, 0) === 0;
}

/**
 * A module that runs itself and a ReLU after it as one op (`BatchNorm.callRelu`): duck-typed, so
 * a Sequential without BatchNorm does not bring BatchNorm into a bundle.
 */
function hasCallRelu(m: Module): m is Module & { callRelu(x: Tensor): Tensor } {
  return typeof (m as { callRelu?: unknown }).callRelu === 'function';
}

/** A ReLU module (not a subclass) without forward hooks. */
function isPlainRelu(m: Module): boolean {
  return Object.getPrototypeOf(m) === ReLU.prototype && !m.hasForwardHooks;
}

/** A plain Conv2d (no activation of its own) then a plain ReLU, neither with forward hooks. */
function fusesWithRelu(m: Module, next: Module): m is Conv2d {
  if (Object.getPrototypeOf(m) !== Conv2d.prototype || !isPlainRelu(next)) return false;
  return (m as Conv2d).options.activation === undefined && !m.hasForwardHooks;
}
