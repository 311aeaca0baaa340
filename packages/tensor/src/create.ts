import { type Shape, ShapeError, assertValidShape, formatShape, shapeSize } from './shape';
import { Tensor, type TensorOptions } from './tensor';

type Nested = number | readonly Nested[];

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly Nested[])[0];
  }
  return shape;
}

function flattenInto(values: Nested, shape: Shape, depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof values !== 'number') throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${depth})`);
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[depth]) {
    throw new ShapeError(`tensor: ragged nested array; expected length ${shape[depth]} at depth ${depth} for shape ${formatShape(shape)}`);
  }
  for (const v of values as readonly Nested[]) flattenInto(v, shape, depth + 1, out);
}

/**
 * Creates a tensor from a (nested) number array or a Float32Array.
 *
 * @example
 * tensor([[1, 2], [3, 4]])          // shape [2, 2]
 * tensor(new Float32Array(6), [2, 3])
 */
export function tensor(values: Nested | Float32Array | readonly number[], shape?: Shape, options?: TensorOptions): Tensor {
  if (values instanceof Float32Array) return new Tensor(values, shape ?? [values.length], options);
  const inferred = inferShape(values as Nested);
  const flat: number[] = [];
  flattenInto(values as Nested, inferred, 0, flat);
  const data = Float32Array.from(flat);
  if (shape !== undefined && shapeSize(shape) !== data.length) {
    throw new ShapeError(`tensor: ${data.length} values do not fill shape ${formatShape(shape)}`);
  }
  return new Tensor(data, shape ?? inferred, options);
}

/** A one-element tensor of rank 0. */
export function scalar(value: number, options?: TensorOptions): Tensor {
  return new Tensor(Float32Array.of(value), [], options);
}

/** A tensor of `shape` filled with `value`; the shape is checked before anything is allocated. */
function filled(op: string, shape: Shape, value: number, options: TensorOptions | undefined): Tensor {
  assertValidShape(op, shape);
  const data = new Float32Array(shapeSize(shape));
  if (!Object.is(value, 0)) data.fill(value);
  return new Tensor(data, shape, options);
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: Shape, value: number, options?: TensorOptions): Tensor {
  return filled('full', shape, value, options);
}

/** A tensor of zeros. */
export function zeros(shape: Shape, options?: TensorOptions): Tensor {
  return filled('zeros', shape, 0, options);
}

/** A tensor of ones. */
export function ones(shape: Shape, options?: TensorOptions): Tensor {
  return filled('ones', shape, 1, options);
}
