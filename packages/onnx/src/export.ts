import { Module } from '@trainkit/nn';
import { Tensor } from '@trainkit/tensor';
import { shapesAtNextBatch } from './batch';
import { Emitter } from './emit';
import { GraphBuilder, MAX_OPSET, MIN_OPSET, OnnxExportError } from './graph';
import { layerMapper } from './layers';
import { OPS, unsupportedOp } from './ops';
import { DataType, type Dim, type ValueInfoMessage, encodeModel } from './proto';
import { type Trace, trace } from './trace';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** The ONNX operator set to target, 7 to 21; an op newer than it is an error that names the op and the opset it needs. */
  opset: number;
  /** Name of the graph's input (default `"input"`). */
  inputName?: string;
  /** Name of the graph's output (default `"output"`). */
  outputName?: string;
  /**
   * Make axis 0 of the input, and of the output when it carries the batch, a named size
   * (`"batch"`) so the file runs on any batch size (default true); an output whose axis 0 has
   * another size (batch × tokens) declares that axis without a size. With false every size is
   * the example input's.
   */
  dynamicBatch?: boolean;
}

/** The IR version each opset first appears with (ONNX's versioning table); a runtime reads that IR or newer. */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 11) return opset - 5;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function checkOptions(model: unknown, example: unknown, o: ExportOnnxOptions): Required<ExportOnnxOptions> {
  if (!(model instanceof Module)) throw new OnnxExportError('exportOnnx: model must be a Module from @trainkit/nn');
  if (!(example instanceof Tensor)) throw new OnnxExportError('exportOnnx: exampleInput must be a Tensor, e.g. a batch of test images');
  if (example.rank === 0) throw new OnnxExportError('exportOnnx: exampleInput must have a batch axis, got a scalar');
  const { opset, inputName = 'input', outputName = 'output', dynamicBatch = true } = o ?? {};
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${JSON.stringify(opset)}`);
  }
  for (const [k, v] of [['inputName', inputName], ['outputName', outputName]] as const) {
    if (typeof v !== 'string' || v === '') throw new OnnxExportError(`exportOnnx: ${k} must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  if (inputName === outputName) throw new OnnxExportError(`exportOnnx: inputName and outputName must differ, both are "${inputName}"`);
  if (typeof dynamicBatch !== 'boolean') throw new OnnxExportError(`exportOnnx: dynamicBatch must be true or false, got ${JSON.stringify(dynamicBatch)}`);
  return { opset, inputName, outputName, dynamicBatch };
}

/** How axis 0 of a graph input or output is declared: the named batch size, the traced size, or unknown (no size). */
type FirstAxis = 'batch' | 'fixed' | 'unknown';

function valueInfo(name: string, shape: readonly number[], first: FirstAxis, elemType: number = DataType.FLOAT): ValueInfoMessage {
  const dim = shape.map((d, i): Dim => (i > 0 || first === 'fixed' ? { dimValue: d } : first === 'batch' ? { dimParam: 'batch' } : {}));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/**
 * With a dynamic batch, the output's axis 0 is the batch when it has the example's batch size;
 * any other size may still change with the batch (per-token rows, batch × tokens), so it is
 * declared without a size rather than with the example's.
 */
function outputFirstAxis(tr: Trace, dynamicBatch: boolean): FirstAxis {
  if (!dynamicBatch || tr.output.rank === 0) return 'fixed';
  return tr.output.shape[0] === tr.input.shape[0] ? 'batch' : 'unknown';
}

/**
 * Exports a model to ONNX: runs it once on `exampleInput` in evaluation mode, reads the ops
 * the autograd graph recorded (and the layers they ran in), and writes them as standard ONNX
 * operators with the parameters and buffers as float32 initializers named like the state dict.
 * BatchNorm is written in evaluation form (running statistics) and dropout, being the identity
 * in evaluation mode, leaves nothing. The model's training flags are restored afterwards.
 *
 * Write custom modules as compositions of supported ops and layers, invoked with `.call()`;
 * an op the exporter cannot write is an error that names the op and the layer it ran in.
 *
 * @param model the model to export
 * @param exampleInput a representative input batch (use a batch size above 1 with `dynamicBatch`)
 * @returns the bytes of an `.onnx` file
 * @example
 * const bytes = exportOnnx(model, images, { opset: 17 });
 * writeFileSync('model.onnx', bytes);
 */
export function exportOnnx(model: Module, exampleInput: Tensor, options: ExportOnnxOptions): Uint8Array {
  const { opset, inputName, outputName, dynamicBatch } = checkOptions(model, exampleInput, options);
  const traced = trace(model, exampleInput);
  const tr = dynamicBatch ? { ...traced, nextBatch: shapesAtNextBatch(model, exampleInput, traced.output) } : traced;
  const graph = new GraphBuilder(opset);
  graph.reserve(inputName);
  graph.reserve(outputName);
  const emitter = new Emitter(graph, tr, dynamicBatch, inputName, layerMapper, OPS, unsupportedOp);
  const lookup = emitter.unmappedLookup();
  if (lookup !== undefined) throw emitter.frozenLookup(lookup);
  if (!emitter.dependsOnInput(tr.output)) {
    throw new OnnxExportError('exportOnnx: the output does not depend on the input (did forward detach() it or run under noGrad()?)');
  }
  const last = emitter.value(tr.output);
  // a model that returns its input: an Identity node, its output then renamed to the reserved name
  graph.rename(last === inputName ? graph.node('Identity', [inputName], {}, 'identity', 'the model (it returns its input)') : last, outputName);
  const irVersion = irVersionFor(opset);
  return encodeModel({
    irVersion,
    producerName: 'trainkit',
    producerVersion: '',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: model.constructor.name,
      node: graph.nodes,
      initializer: graph.initializers,
      // IR 3 (opsets 7 and 8) lists every initializer among the graph's inputs too
      input: [valueInfo(inputName, tr.input.shape, dynamicBatch ? 'batch' : 'fixed'), ...(irVersion < 4 ? graph.initializers.map((t) => valueInfo(t.name, t.dims, 'fixed', t.dataType)) : [])],
      output: [valueInfo(outputName, tr.output.shape, outputFirstAxis(tr, dynamicBatch))],
    },
  });
}
