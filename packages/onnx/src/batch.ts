import type { Module } from '@trainkit/nn';
import { type Tensor, concat, formatShape, noGrad, slice } from '@trainkit/tensor';
import { OnnxExportError } from './graph';
import { trace } from './trace';

/**
 * The shape each traced value takes when the batch has one more example: the model is traced
 * again on the example with its first row appended, and the two autograd graphs are walked side
 * by side from their outputs. An axis whose size differs between the two grows with the batch,
 * which a Reshape must not write as a fixed size. Returns undefined when the second graph has
 * another structure (control flow that depends on the batch size), which leaves the shapes
 * unknown rather than guessed.
 */
export function shapesAtNextBatch(model: Module, example: Tensor, output: Tensor): ReadonlyMap<Tensor, readonly number[]> | undefined {
  const bigger = noGrad(() => concat([example, slice(example, 0, 0, 1)], 0));
  let other: Tensor;
  try {
    other = trace(model, bigger).output;
  } catch (e) {
    throw new OnnxExportError(
      `exportOnnx: with dynamicBatch the file must run on any batch size, but the model's forward fails on a batch of ${bigger.shape[0]} ` +
        `(${formatShape(bigger.shape)}), one more than exampleInput's: export with { dynamicBatch: false } to fix every size to the example's`,
      { cause: e },
    );
  }
  const shapes = new Map<Tensor, readonly number[]>();
  const stack: Array<[Tensor, Tensor]> = [[output, other]];
  while (stack.length > 0) {
    const [a, b] = stack.pop() as [Tensor, Tensor];
    if (shapes.has(a)) continue;
    if (a.op !== b.op || a.rank !== b.rank || a._parents.length !== b._parents.length) return undefined;
    shapes.set(a, b.shape);
    a._parents.forEach((p, i) => stack.push([p, b._parents[i]]));
  }
  return shapes;
}
