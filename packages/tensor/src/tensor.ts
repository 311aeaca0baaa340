import { type Lease, leaseOf, registerResult, staleError } from './arena';
import { deviceError } from './device';
import { isGradEnabled } from './gradMode';
import { zeroFloats } from './kernels/wasm/resident';
import { type Shape, ShapeError, ValueError, assertValidShape, formatShape, shapeSize } from './shape';

export { isGradEnabled, noGrad } from './gradMode';

/** Options of the {@link Tensor} constructor and the creation functions. */
export interface TensorOptions {
  /** Track gradients for this tensor (a leaf such as a parameter). Default false. */
  requiresGrad?: boolean;
}

/**
 * A dense, contiguous, row-major float32 tensor with reverse-mode autograd.
 *
 * `data` is the flat storage; `shape` its dimensions. Ops never mutate their inputs, so several
 * tensors may share one `data` buffer (reshape does). After {@link Tensor.backward}, `grad` holds
 * d(output)/d(this) for every tensor that requires gradients.
 */
export class Tensor {
  private _data: Float32Array;
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

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}, op = 'leaf') {
    assertValidShape('Tensor', shape);
    const size = shapeSize(shape);
    if (data.length !== size) {
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

  /** Where the current values are: `'cpu'`, or a device such as `'webgpu'` while a Trainer trains there. */
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

  /** A tensor sharing the same data but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }
  /** A tensor with a copy of the data, cut from the graph. */
  clone(): Tensor {
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
 * Gradient buffers of released intermediate results, by length, for the next backward pass
 * to reuse: fresh memory costs about ten times more than zeroing a used buffer (page faults
 * on first touch), and a training step would otherwise allocate every gradient anew.
 */
const spareGrads = new Map<number, Float32Array[]>();
let spareFloats = 0;
/** Keep at most this many floats (256 MiB) of spare gradient buffers. */
const MAX_SPARE_FLOATS = 2 ** 26;

function recycleGrad(g: Float32Array): void {
  if (spareFloats + g.length > MAX_SPARE_FLOATS) return;
  let list = spareGrads.get(g.length);
  if (list === undefined) spareGrads.set(g.length, (list = []));
  list.push(g);
  spareFloats += g.length;
}

/** The gradient buffer of `t`, allocated (zeroed) on first use. */
export function gradOf(t: Tensor): Float32Array {
  if (t.grad === null) {
    const spare = spareGrads.get(t.size)?.pop();
    if (spare !== undefined) {
      spareFloats -= spare.length;
      t.grad = spare.fill(0);
    } else {
      t.grad = new Float32Array(t.size);
    }
  }
  return t.grad;
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

/**
 * A released op result has lost its parents: backpropagating through it would silently drop
 * the gradients of everything before it, so it is an error (as in PyTorch).
 */
function assertLive(t: Tensor): void {
  if (t._released) {
    throw new ValueError(
      `backward: the graph through "${t.op}" (shape ${formatShape(t.shape)}) was already released by an earlier backward(); ` +
        'recompute the forward pass, or detach() a value you mean to reuse as a constant',
    );
  }
}

/**
 * Reverse-mode autodiff from `root` (see {@link Tensor.backward}). `observe`, for profilers,
 * runs each node's backward closure in its place (it must call `run` exactly once), so a tool
 * can time ops on the very path training takes, gradient recycling included.
 */
export function backward(root: Tensor, seed?: Float32Array, observe?: (node: Tensor, run: () => void) => void): void {
  if (!root.requiresGrad) {
    throw new ValueError(`backward: tensor (op "${root.op}") does not require gradients; nothing to differentiate`);
  }
  if (seed === undefined && root.size !== 1) {
    throw new ShapeError(`backward: called on a tensor of shape ${formatShape(root.shape)}; pass a seed gradient or reduce to a scalar`);
  }
  if (seed !== undefined && seed.length !== root.size) {
    throw new ShapeError(`backward: seed has ${seed.length} elements, tensor has ${root.size}`);
  }

  // 1. topological order of every tensor that leads to root (iterative DFS, no recursion limit)
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  assertLive(root);
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node._parents.length) {
      top[1] = i + 1;
      const p = node._parents[i];
      if (p.requiresGrad && !visited.has(p)) {
        assertLive(p);
        visited.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }

  // 2. chain rule, one node at a time from the root back to the leaves
  const g = gradOf(root);
  if (seed === undefined) g[0] += 1;
  else for (let i = 0; i < g.length; i++) g[i] += seed[i];
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (node._backward === null) continue;
    if (observe === undefined) node._backward();
    else observe(node, node._backward);
  }

  // 3. release the graph: intermediate results can be collected, and their gradients
  //    (never visible after backward, as in PyTorch) serve the next backward pass
  for (const node of order) {
    if (node._backward !== null) {
      node._backward = null;
      node._parents = [];
      node._released = true;
      if (node.grad !== null) {
        recycleGrad(node.grad);
        node.grad = null;
      }
    }
  }
}
