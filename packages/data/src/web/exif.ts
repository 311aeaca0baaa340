/** The EXIF orientation tag (TIFF tag 0x0112) of a JPEG's APP1 segment. */
const ORIENTATION = 0x0112;

/**
 * Where the EXIF orientation value of a JPEG lies in `bytes` (its first bytes suffice: the
 * APP1 segment comes before the image data), or -1 when there is none. Walks the segments up
 * to the start of scan, then the first IFD of the Exif block (little- or big-endian).
 */
export function exifOrientationAt(bytes: Uint8Array): { at: number; littleEndian: boolean } | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 2;
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const type = bytes[i + 1];
    if (type === 0xda || type === 0xd9) return null; // start of scan / end of image: no Exif before
    const length = view.getUint16(i + 2);
    const exif = type === 0xe1 && i + 10 <= bytes.length && String.fromCharCode(...bytes.subarray(i + 4, i + 8)) === 'Exif';
    if (exif) return orientationInTiff(view, i + 10, Math.min(bytes.length, i + 2 + length));
    i += 2 + length;
  }
  return null;
}

function orientationInTiff(view: DataView, tiff: number, end: number): { at: number; littleEndian: boolean } | null {
  if (tiff + 8 > end) return null;
  const littleEndian = view.getUint16(tiff) === 0x4949; // 'II'
  const ifd = tiff + view.getUint32(tiff + 4, littleEndian);
  if (ifd + 2 > end) return null;
  const count = view.getUint16(ifd, littleEndian);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + 12 * k;
    if (entry + 12 > end) return null;
    if (view.getUint16(entry, littleEndian) === ORIENTATION) return { at: entry + 8, littleEndian };
  }
  return null;
}

/**
 * A copy of a JPEG's first bytes with its EXIF orientation set to 1 (as stored), or null when
 * it has none or it is 1 already: browsers always rotate by it, sharp (and so
 * `@trainkit/data/node` with `orientation: 'ignore'`) does not unless asked.
 */
export function withUprightExif(head: Uint8Array): Uint8Array | null {
  const found = exifOrientationAt(head);
  if (found === null) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint16(found.at, found.littleEndian) === 1) return null;
  const copy = head.slice();
  new DataView(copy.buffer).setUint16(found.at, 1, found.littleEndian);
  return copy;
}
