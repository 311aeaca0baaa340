// The backward pass: gradient buffers, the topological order, the chain rule and the graph's release.
import { arenaGrad, isArenaBuffer } from './arena';
import { accumulateKernel } from './kernels/elementwise';
import { checkSeed, releaseDeviceGrad, seedDeviceGrad } from './placement';
import { ValueError, formatShape } from './shape';
import type { Tensor } from './tensor';

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

/**
 * A new gradient buffer for `t` (zeros when `zero`, else arbitrary contents). An intermediate
 * result's inside an arena comes from the arena (in the kernels' memory, where they use it in
 * place; its gradient is dropped when the backward pass ends, and the buffer goes back at the
 * arena's reset); a leaf's (a parameter's, an input's) never does, since it outlives the step.
 */
function newGrad(t: Tensor, zero: boolean): Float32Array {
  const mine = t._backward !== null ? arenaGrad(t.size, zero) : null;
  if (mine !== null) return mine;
  const spare = spareGrads.get(t.size)?.pop();
  if (spare === undefined) return new Float32Array(t.size);
  spareFloats -= spare.length;
  return zero ? spare.fill(0) : spare;
}

/** The gradient buffer of `t`, allocated (zeroed) on first use. */
export function gradOf(t: Tensor): Float32Array {
  if (t.grad === null) t.grad = newGrad(t, true);
  return t.grad;
}

/**
 * Adds `res`'s gradient into `to`'s, for an op whose gradient passes through unchanged (a sum's
 * operand, a reshape). When `to` has no gradient yet it takes `res`'s buffer itself: a result's
 * gradient is never read again once its own backward has run, and taking it saves a zero-fill
 * and an addition pass over the whole tensor.
 */
export function passGrad(res: Tensor, to: Tensor): void {
  const g = res.grad as Float32Array;
  if (to.grad === null && res !== to && g.length === to.size) {
    if (to._backward === null && isArenaBuffer(g)) {
      addGrad(g, to); // a leaf's gradient outlives the arena's buffers: a copy, bit for bit
      return;
    }
    to.grad = g;
    res.grad = null;
  } else accumulateKernel(g, gradOf(to));
}

/**
 * `t`'s gradient buffer for a kernel that either adds into it or, when `fresh` (t had no
 * gradient yet), writes every entry itself: a fresh buffer's contents are arbitrary, which
 * saves the zero-fill (and a kernel working elsewhere the copy of those zeros).
 */
export function gradForWrite(t: Tensor): { grad: Float32Array; fresh: boolean } {
  if (t.grad !== null) return { grad: t.grad, fresh: false };
  t.grad = newGrad(t, false);
  return { grad: t.grad, fresh: true };
}

/** Adds `g` into `t`'s gradient: a copy of `g` when `t` has none yet (one pass instead of a zero-fill and an addition). */
export function addGrad(g: Float32Array, t: Tensor): void {
  if (t.grad !== null) return accumulateKernel(g, t.grad);
  (t.grad = newGrad(t, false)).set(g);
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
  checkSeed(root, seed);

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
  if (root._storage !== null) seedDeviceGrad(root, seed);
  else {
    const g = gradOf(root);
    if (seed === undefined) g[0] += 1;
    else for (let i = 0; i < g.length; i++) g[i] += seed[i];
  }
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
      releaseDeviceGrad(node);
      if (node.grad !== null) {
        if (!isArenaBuffer(node.grad)) recycleGrad(node.grad); // an arena's goes back at its reset
        node.grad = null;
      }
    }
  }
}
