import { ShapeError, type Tensor, ValueError, add, formatShape, sameShape } from '@trainkit/tensor';
import { Module } from '../module';

/**
 * A skip connection: `body(x) + shortcut(x)`, the shortcut being the identity when omitted (a
 * ResNet's block with a 1×1 strided `Conv2d` + `BatchNorm2d` shortcut where the shape changes).
 * Parameters are named `body.*` and `shortcut.*`. For other names or a ReLU after the sum, write
 * the block as a `Module` subclass with its own `forward` (see the docs' residual-block example).
 *
 * @example
 * new Residual(new Sequential(new Conv2d(16, 16, 3, { padding: 1 }), new BatchNorm2d(16)))
 */
export class Residual extends Module {
  body: Module;
  shortcut: Module | null;

  constructor(body: Module, shortcut?: Module | null) {
    super();
    if (!(body instanceof Module)) throw new ValueError('Residual: body must be a Module');
    if (shortcut !== undefined && shortcut !== null && !(shortcut instanceof Module)) throw new ValueError('Residual: shortcut must be a Module (or omitted for the identity)');
    this.body = body;
    this.shortcut = shortcut ?? null;
  }

  forward(x: Tensor): Tensor {
    const y = this.body.call(x);
    const s = this.shortcut === null ? x : this.shortcut.call(x);
    if (!sameShape(y.shape, s.shape)) {
      const what = this.shortcut === null ? `the input (identity shortcut) is ${formatShape(s.shape)}` : `the shortcut's output is ${formatShape(s.shape)}`;
      throw new ShapeError(
        `Residual: the body's output is ${formatShape(y.shape)} but ${what}; they must match to be added` +
          (this.shortcut === null ? ' (give Residual a shortcut that maps the input to the body\'s output shape, e.g. a 1×1 Conv2d with the same stride)' : ''),
      );
    }
    return add(y, s);
  }
}
