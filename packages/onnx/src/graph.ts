import { AttributeType, type AttributeMessage, DataType, type NodeMessage, type TensorMessage } from './proto';

/** An export that cannot be done: an op without a mapping, an opset too old for it, a bad option. */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

/** The oldest opset the exporter writes. */
export const MIN_OPSET = 7;
/** The newest opset the exporter writes (the newest ONNX Runtime 1.20+ reads). */
export const MAX_OPSET = 21;

/**
 * The oldest opset in which each operator exists in the form the exporter writes it: for
 * example Softmax over one axis of any rank is opset 13 (before, it flattened the input to 2-D),
 * and Reshape reads its shape from an input since opset 5.
 */
const MIN_OPSET_OF: Record<string, number> = {
  Add: 7, Sub: 7, Mul: 7, Div: 7, // multidirectional broadcasting
  Neg: 6, Exp: 6, Log: 6, Sqrt: 6, Abs: 6, Relu: 6, Sigmoid: 6, Tanh: 6, LeakyRelu: 6, Elu: 6, Erf: 9, Clip: 6,
  Gemm: 7, MatMul: 1, Conv: 1, MaxPool: 1, AveragePool: 7, GlobalAveragePool: 1,
  BatchNormalization: 9, InstanceNormalization: 6, LayerNormalization: 17, Gelu: 20,
  Cast: 6, Gather: 1, Flatten: 1, Reshape: 5, Transpose: 1, Identity: 1, Concat: 4, Slice: 10,
  Softmax: 13, LogSoftmax: 13, ReduceSum: 1, ReduceMean: 1, ReduceMax: 1, // axes: an attribute before 13 (Sum) or 18
};

/** An attribute value, tagged with its ONNX type. */
export type Attr = { i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string };

function attribute(name: string, a: Attr): AttributeMessage {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: [...a.floats] };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
}

/** The bytes of `values` as little-endian float32 or int64 (ONNX's raw_data layout). */
function littleEndian(values: Float32Array | readonly number[], dataType: number): Uint8Array {
  const width = dataType === DataType.FLOAT ? 4 : 8;
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dataType === DataType.FLOAT) view.setFloat32(i * 4, values[i], true);
    else view.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return out;
}

/**
 * The ONNX graph being written: nodes in execution order, initializers, and unique value
 * names. Each node's operator is checked against the target opset as it is added.
 */
export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly taken = new Set<string>();

  constructor(readonly opset: number) {}

  /** `base`, or `base_1`, `base_2`, … when taken; reserves the name. */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** Reserves a name that must stay exactly as given (the graph's input). */
  reserve(name: string): void {
    this.taken.add(name);
  }

  /**
   * Adds a node and returns the name of its output.
   *
   * @param where the layer or op it comes from, for the error when the opset is too old
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr>, output: string, where: string): string {
    const min = MIN_OPSET_OF[opType];
    if (min === undefined) throw new OnnxExportError(`exportOnnx: internal error, no opset table entry for ${opType}`);
    if (this.opset < min) {
      throw new OnnxExportError(`exportOnnx: ${where} exports as the ONNX operator ${opType}, which needs opset ≥ ${min}; got opset ${this.opset}`);
    }
    const name = this.uniqueName(output);
    this.nodes.push({
      name: `${name}/${opType}`,
      opType,
      input: [...inputs],
      output: [name],
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
    });
    return name;
  }

  /** Adds a float32 initializer and returns its (unique) name. */
  floats(name: string, data: Float32Array, dims: readonly number[]): string {
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType: DataType.FLOAT, rawData: littleEndian(data, DataType.FLOAT) });
    return unique;
  }

  /** Adds a 1-D int64 initializer (shapes, axes) and returns its name. */
  int64s(name: string, values: readonly number[]): string {
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dims: [values.length], dataType: DataType.INT64, rawData: littleEndian(values, DataType.INT64) });
    return unique;
  }

  /** Renames a value everywhere (the graph's output gets the name the caller chose). */
  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.input = n.input.map((v) => (v === from ? to : v));
      n.output = n.output.map((v) => (v === from ? to : v));
    }
  }
}
