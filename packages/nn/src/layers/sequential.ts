import { type Tensor, ValueError } from '@trainkit/tensor';
import { Module } from '../module';

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
    this._children[i] = [this._children[i][0], module];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this._children) y = m.call(y);
    return y;
  }
}
