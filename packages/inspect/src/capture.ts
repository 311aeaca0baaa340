import type { Module } from '@trainkit/nn';
import { Tensor, formatShape, noGrad } from '@trainkit/tensor';
import { InspectError, findLayer } from './errors';

/** Runs `fn` with `model` in evaluation mode, then restores every module's own mode. */
export function inEval<T>(model: Module, fn: () => T): T {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return fn();
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

/** `x` as a batch `[N, …]`, or an error naming the function and what it got. */
export function checkInputs(what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new InspectError(`${what}: inputs must be a Tensor [N, C, H, W], got ${x === null ? 'null' : typeof x}`);
  if (x.rank < 2 || x.shape[0] === 0) throw new InspectError(`${what}: inputs must be a non-empty batch [N, …], got shape ${formatShape(x.shape)}`);
  return x;
}

/** What one forward pass produced: the model's output and the named layer's output. */
export interface Captured {
  output: Tensor;
  activation: Tensor;
}

/**
 * Runs the model on `input` with a forward hook on the layer at `path` and returns that
 * layer's output beside the model's. With `leaf`, the layer's output is replaced by a copy
 * that is a leaf requiring gradients, so a backward pass leaves d(output)/d(activation) in its
 * `grad` (Grad-CAM); otherwise the pass runs without autograd.
 */
export function capture(what: string, model: Module, path: string, input: Tensor, leaf = false): Captured {
  const layer = findLayer(what, model, path);
  let activation: Tensor | undefined;
  const remove = layer.registerForwardHook((_m, _x, y) => {
    if (!leaf) {
      activation = y;
      return undefined;
    }
    activation = new Tensor(y.data.slice(), y.shape, { requiresGrad: true });
    return activation;
  });
  try {
    const output = leaf ? model.call(input) : noGrad(() => model.call(input));
    if (activation === undefined) throw new InspectError(`${what}: layer "${path}" did not run in the model's forward pass, so it has no output to show`);
    return { output, activation };
  } finally {
    remove();
  }
}
