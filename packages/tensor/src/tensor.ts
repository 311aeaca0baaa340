import { type Lease, leaseOf, registerResult, staleError } from './arena';
import { deviceError } from './device';
import { cloneOnDevice, readGrad, readValues, shareStorage, toDevice, zeroDeviceGrad } from './placement';
import { backward } from './autograd';
import { isGradEnabled } from './gradMode';
import { zeroFloats } from './kernels/wasm/resident';
import { type Shape, ShapeError, assertValidShape, formatShape, shapeSize } from './shape';

export { isGradEnabled, noGrad } from './gradMode';
export { backward, gradOf } from './autograd';

/** Options of the {@link Tensor} constructor and the creation functions. */
export interface TensorOptions {
  /** Track gradients for this tensor (a leaf such as a parameter). Default false. */
  requiresGrad?: boolean;
}

/** @internal the `_data` of a device tensor, whose values live in its `_storage` */
export const DEVICE_PLACEHOLDER = new Float32Array(0);

/**
 * A dense, contiguous, row-major float32 tensor with reverse-mode autograd.
 *
 * `data` is the flat storage; `shape` its dimensions. Ops never mutate their inputs, so several
 * tensors may share one `data` buffer (reshape does). After {@link Tensor.backward}, `grad` holds
 * d(output)/d(this) for every tensor that requires gradients.
 */
export class Tensor {
  /** @internal the values in CPU memory ({@link DEVICE_PLACEHOLDER} for a device tensor) */
  _data: Float32Array;
  /** @internal the arena lease of `_data` (null: ordinary memory) and its generation when this tensor was made */
  _lease: Lease | null;
  private readonly _gen: number;
  readonly shape: Shape;
  readonly size: number;
  /** Gradient buffer, allocated on the first backward pass that reaches this tensor. */
  grad: Float32Array | null = null;
  /** Whether backward computes a gradient for this tensor. Setting it false on a leaf freezes it. */
  requiresGrad: boolean;
  /** Name of the op that produced this tensor (`"leaf"` for inputs and parameters). */
  readonly op: string;
  /** @internal inputs of the op that produced this tensor */
  _parents: readonly Tensor[] = [];
  /** @internal accumulates this.grad into the parents' grads */
  _backward: (() => void) | null = null;
  /** @internal set when a backward pass has released this op's graph */
  _released = false;
  /** @internal the device holding newer values than `_data` (null: they are here); see markResident */
  _device: string | null = null;
  /** @internal a device tensor's values: the backend's storage handle (null: in `_data`) */
  _storage: object | null = null;
  /** @internal a device tensor's gradient (null: none yet) */
  _gradStorage: object | null = null;

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}, op = 'leaf') {
    assertValidShape('Tensor', shape);
    const size = shapeSize(shape);
    if (data.length !== size && data !== DEVICE_PLACEHOLDER) {
      throw new ShapeError(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`);
    }
    this._data = data;
    this._lease = leaseOf(data);
    this._gen = this._lease?.gen ?? 0;
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = op;
  }

  /**
   * The flat storage. Throws a ValueError for an op result of an earlier training step that
   * the step arena has since taken back (see {@link Arena}; `keep` holds on to one).
   */
  get data(): Float32Array {
    if (this._device !== null || (this._lease !== null && this._lease.gen !== this._gen)) throw this._device !== null ? deviceError(this, this._device) : staleError(this);
    return this._data;
  }

  /** Where the current values are: `'cpu'`, or a device such as `'webgpu'` (a device tensor, or a parameter while a Trainer trains there). */
  get device(): string {
    return this._device ?? 'cpu';
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has shape ${formatShape(this.shape)}, expected one element`);
    return this.data[0];
  }

  /** A copy of the values as a plain array (flat). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * A copy on `device` (`'cpu'`, or `'webgpu'` once `@trainkit/webgpu` is imported): a new
   * leaf with the same `requiresGrad`, or this tensor when it is there already.
   * @example
   * const x = await tensor([1, 2, 3]).to('webgpu');
   * const y = await relu(x).to('cpu');
   */
  to(device: string): Promise<Tensor> {
    return toDevice(this, device);
  }

  /** A copy of the values, from the cpu or a device (the only way to read a device tensor's values). */
  read(): Promise<Float32Array> {
    return readValues(this);
  }

  /** A copy of the gradient (null: none yet), from the cpu or a device. */
  readGrad(): Promise<Float32Array | null> {
    return readGrad(this);
  }

  /** A tensor sharing the same data but cut from the graph. */
  detach(): Tensor {
    if (this._storage !== null) {
      shareStorage(this._storage); // moving either tensor away must not release it under the other
      return Object.assign(new Tensor(DEVICE_PLACEHOLDER, this.shape), { _storage: this._storage, _device: this._device });
    }
    return new Tensor(this.data, this.shape);
  }
  /** A tensor with a copy of the data (on the same device), cut from the graph. */
  clone(): Tensor {
    if (this._storage !== null) return cloneOnDevice(this);
    return new Tensor(this.data.slice(), this.shape, { requiresGrad: this.requiresGrad });
  }

  /**
   * Moves this tensor's storage: copies the values into `data` (and the gradient, or zeros, into
   * `grad`), then uses those arrays from now on. Fused WebAssembly optimizers move parameters into
   * resident memory this way (`allocResident`): read `data` and `grad` afresh, not across steps.
   *
   * @param data the new storage, `size` values long
   * @param grad the new gradient buffer, `size` values long (omit to keep the gradient as is)
   * @example
   * p.moveTo(new Float32Array(p.size), new Float32Array(p.size));
   */
  moveTo(data: Float32Array, grad?: Float32Array): void {
    for (const [what, a] of [['data', data], ['grad', grad]] as const) {
      if (a !== undefined && a.length !== this.size) {
        throw new ShapeError(`moveTo: ${what} has ${a.length} elements but the tensor (shape ${formatShape(this.shape)}) has ${this.size}`);
      }
    }
    if (data !== this.data) {
      data.set(this.data);
      this._data = data;
      this._lease = null;
    }
    if (grad !== undefined && grad !== this.grad) {
      if (this.grad !== null) grad.set(this.grad);
      else grad.fill(0);
      this.grad = grad;
    }
  }

  /** Sets the gradient to zero (keeps the buffer, so no allocation per step). */
  zeroGrad(): void {
    if (this._gradStorage !== null) zeroDeviceGrad(this);
    if (this.grad !== null) zeroFloats(this.grad); // resident arrays: the kernels' bulk fill
  }

  /**
   * Backpropagates from this tensor. With no argument the tensor must hold one element
   * (a loss) and its seed gradient is 1. Gradients accumulate into `grad` (call
   * {@link Tensor.zeroGrad} between steps); the graph is released afterwards, so a second
   * backward through any of its op results throws (recompute the forward pass instead).
   */
  backward(seed?: Float32Array): void {
    backward(this, seed);
  }

  toString(): string {
    if (this._device !== null) return `Tensor(${formatShape(this.shape)}, on ${this._device}${this.requiresGrad ? ', requiresGrad' : ''})`;
    const head = Array.from(this.data.subarray(0, 6), (v) => +v.toFixed(4)).join(', ');
    return `Tensor(${formatShape(this.shape)}, [${head}${this.size > 6 ? ', …' : ''}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * Wraps the result of an op. When gradients are enabled and some input requires them,
 * the result records its parents and the backward closure; otherwise it is a plain leaf.
 * Write the backward's per-element loops as a module-level function the closure calls: a loop
 * inside the closure (made anew on every op call) can run unoptimized by V8 for a whole step.
 */
export function fromOp(
  op: string,
  data: Float32Array,
  shape: Shape,
  parents: readonly Tensor[],
  makeBackward: (out: Tensor) => () => void,
): Tensor {
  let tracked = false;
  if (isGradEnabled()) for (const p of parents) if (p.requiresGrad) tracked = true;
  const out = new Tensor(data, shape, { requiresGrad: tracked }, op);
  if (tracked) {
    out._parents = parents;
    out._backward = makeBackward(out);
  }
  registerResult(out);
  return out;
}

