/** No WebGPU adapter could be found (no `navigator.gpu`, no `webgpu` package, or no driver). */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** The GPU device was lost (driver reset, device destroyed, GPU removed); every later call fails with this. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/** A GPU buffer could not be allocated; the message gives the requested size. */
export class GpuOutOfMemoryError extends Error {
  override name = 'GpuOutOfMemoryError';
}

/** A trainkit model, optimizer or input the WebGPU backend cannot run (yet); the message says which and why. */
export class WebGpuUnsupportedError extends Error {
  override name = 'WebGpuUnsupportedError';
}

/** Formats a byte count for messages: `"12.0 MiB (12582912 bytes)"`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]} (${bytes} bytes)`;
}
