/**
 * The playground's data file: a few thousand MNIST digits in one compact binary (gzipped by
 * the generator, `tools/docs/src/playgroundData.ts`). Layout, little-endian:
 *
 * ```text
 * 0   "TKDS"            magic
 * 4   u32 version (1)
 * 8   u32 nTrain        12  u32 nTest
 * 16  u32 rows (28)     20  u32 cols (28)
 * 24  u8  labels[nTrain], u8 labels[nTest], u8 pixels[nTrain·rows·cols], u8 pixels[nTest·rows·cols]
 * ```
 * No Node built-ins here: the browser decodes it, the Node generator encodes it.
 */
export interface DigitSlice {
  rows: number;
  cols: number;
  trainLabels: Uint8Array;
  testLabels: Uint8Array;
  trainPixels: Uint8Array;
  testPixels: Uint8Array;
}

const MAGIC = 0x53444b54; // "TKDS" read as a little-endian u32
const HEADER = 24;

/** Packs a slice into the (uncompressed) binary layout above. */
export function encodeSlice(s: DigitSlice): Uint8Array {
  const nTrain = s.trainLabels.length;
  const nTest = s.testLabels.length;
  const px = s.rows * s.cols;
  if (s.trainPixels.length !== nTrain * px || s.testPixels.length !== nTest * px) throw new Error('encodeSlice: pixel counts do not match the labels');
  const out = new Uint8Array(HEADER + nTrain + nTest + (nTrain + nTest) * px);
  const v = new DataView(out.buffer);
  [MAGIC, 1, nTrain, nTest, s.rows, s.cols].forEach((x, i) => v.setUint32(4 * i, x, true));
  let o = HEADER;
  for (const part of [s.trainLabels, s.testLabels, s.trainPixels, s.testPixels]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** Reads the binary layout above; checks the header and the size before trusting anything. */
export function decodeSlice(bytes: Uint8Array): DigitSlice {
  if (bytes.length < HEADER) throw new Error(`decodeSlice: ${bytes.length} bytes is too short for the header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, nTrain, nTest, rows, cols] = [0, 1, 2, 3, 4, 5].map((i) => v.getUint32(4 * i, true));
  if (magic !== MAGIC || version !== 1) throw new Error('decodeSlice: not a trainkit digit slice (bad magic or version)');
  const px = rows * cols;
  const need = HEADER + nTrain + nTest + (nTrain + nTest) * px;
  if (bytes.length !== need) throw new Error(`decodeSlice: expected ${need} bytes, got ${bytes.length}`);
  let o = HEADER;
  const take = (n: number) => bytes.subarray(o, (o += n));
  return { rows, cols, trainLabels: take(nTrain), testLabels: take(nTest), trainPixels: take(nTrain * px), testPixels: take(nTest * px) };
}
