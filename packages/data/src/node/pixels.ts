/** Writes `count` byte pixels from `src[srcStart…]` into `dst[dstStart…]` as value / 255 (in [0, 1]). */
export function bytesToUnit(src: Uint8Array, srcStart: number, dst: Float32Array, dstStart: number, count: number): void {
  for (let i = 0; i < count; i++) dst[dstStart + i] = src[srcStart + i] / 255;
}
