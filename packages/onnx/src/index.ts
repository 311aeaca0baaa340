/**
 * @trainkit/onnx — export trainkit models to ONNX, the format ONNX Runtime, mobile and C++
 * runtimes and browsers share: a traced forward pass written as standard operators.
 * @packageDocumentation
 */
export { exportOnnx } from './export';
export { OnnxExportError, MIN_OPSET, MAX_OPSET } from './graph';
export { decodeModel } from './proto';

export type { ExportOnnxOptions } from './export';
export type { ModelMessage, GraphMessage, NodeMessage, TensorMessage, AttributeMessage, ValueInfoMessage, Dim } from './proto';
