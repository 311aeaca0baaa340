/** What was wrong with a file, for programs that branch on it (the message says it for people). */
export type SafetensorsProblem =
  | 'truncated' // shorter than the 8-byte length prefix, or the header runs past the end
  | 'header-length' // the length prefix is absurd (too small, past the end, over maxHeaderBytes)
  | 'header-encoding' // the header is not UTF-8
  | 'header-json' // the header is not (strict) JSON
  | 'header-structure' // valid JSON, but not the safetensors header layout (or an empty tensor name)
  | 'limit' // more tensors or metadata entries than maxTensors / maxMetadataEntries allow
  | 'dtype' // an unknown or unsupported dtype
  | 'shape' // a shape that is not a list of unsigned integer literals, has over 64 dims, or disagrees with the byte count
  | 'offsets' // data_offsets out of range, overlapping, or leaving bytes that belong to no tensor
  | 'value' // a value that cannot be represented (write), or a BOOL byte other than 0/1 (read), or a bad option
  | 'checksum'; // the checksum in the metadata does not match the file

/**
 * The one error the codec throws. `problem` classifies it; the message names the tensor, the
 * numbers involved and, where there is one, the fix.
 */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';

  constructor(
    readonly problem: SafetensorsProblem,
    message: string,
  ) {
    super(`safetensors: ${message}`);
  }
}
