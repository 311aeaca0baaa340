import { crc32 } from './crc32';

/**
 * The metadata key of trainkit's file checksum. Its value is `crc32:` and 8 lowercase hex
 * digits: the CRC-32 of the whole file with those 8 digits written as `0`s. So it covers the
 * length prefix, the header (every other metadata entry, every dtype, shape and offset) and
 * the data, and any tool can check it:
 *
 * ```python
 * raw = bytearray(open(path, 'rb').read())
 * at = raw.index(b'"trainkit.checksum":"crc32:') + 27
 * stored, raw[at:at + 8] = raw[at:at + 8].decode(), b'00000000'
 * assert f'{zlib.crc32(raw):08x}' == stored
 * ```
 */
export const CHECKSUM_KEY = 'trainkit.checksum';

/** The placeholder written before the checksum is known. */
export const CHECKSUM_PLACEHOLDER = 'crc32:00000000';

const PATTERN = new TextEncoder().encode(`"${CHECKSUM_KEY}":"crc32:`);
const ZEROS = new TextEncoder().encode('00000000');

/**
 * Where the 8 hex digits of the checksum start in the header's bytes, or -1. Inside a JSON
 * string every `"` is escaped, so this byte pattern only occurs as the metadata entry itself.
 */
export function findChecksum(header: Uint8Array): number {
  const first = PATTERN[0];
  outer: for (let i = header.indexOf(first); i >= 0 && i <= header.length - PATTERN.length - 8; i = header.indexOf(first, i + 1)) {
    for (let k = 1; k < PATTERN.length; k++) if (header[i + k] !== PATTERN[k]) continue outer;
    return i + PATTERN.length;
  }
  return -1;
}

/** The checksum digits of `file`, whose digits start at byte `digitsAt` (the digits themselves count as `0`s). */
export function checksumOf(file: Uint8Array, digitsAt: number): string {
  let c = crc32(file.subarray(0, digitsAt));
  c = crc32(ZEROS, c);
  c = crc32(file.subarray(digitsAt + 8), c);
  return c.toString(16).padStart(8, '0');
}
