/**
 * @trainkit/safetensors — read and write the safetensors format: strict validation of
 * untrusted files, every common dtype (converted to float32 on request), an optional CRC-32
 * checksum in the metadata. No dependencies; runs in Node and in browsers.
 * @packageDocumentation
 */
export { parseSafetensors, MAX_HEADER_BYTES, MAX_TENSORS, MAX_METADATA_ENTRIES } from './parse';
export { MAX_RANK } from './header';
export { serializeSafetensors } from './serialize';
export { toFloat32, toTypedArray } from './convert';
export { dtypeSize, isDtype } from './dtype';
export { crc32 } from './crc32';
export { CHECKSUM_KEY } from './checksum';
export { SafetensorsError } from './errors';

export type { SafetensorsFile, TensorView, ParseOptions } from './parse';
export type { TensorInput, TensorData, SerializeOptions } from './serialize';
export type { NativeArray } from './convert';
export type { Dtype } from './dtype';
export type { SafetensorsProblem } from './errors';
