import { DeviceLostError, GpuOutOfMemoryError, WebGpuUnavailableError, formatBytes } from './errors';

/** Options of {@link requestGpu}. */
export interface RequestGpuOptions {
  /** A `GPU` object to use instead of `navigator.gpu` or Node's `webgpu` package (e.g. one made with its `create([...flags])`). */
  gpu?: GPU;
  /** Passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
}

const USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/**
 * One WebGPU device with what trainkit keeps next to it: a pool of storage buffers (reused by
 * size, so a training step allocates nothing), a cache of compiled pipelines, and the state of
 * the device (lost or not; a failed allocation waiting to be reported).
 */
export class GpuContext {
  /**
   * Which GEMM kernel the ops use: `'tiled'` (workgroup memory; real GPUs) or `'direct'` (no
   * barriers; software adapters such as SwiftShader, where it is faster: tools/bench/results/webgpu.md).
   */
  gemm: 'tiled' | 'direct';
  /** Why the device was lost, once it was. */
  lostReason: string | null = null;
  /** Bytes held in buffers handed out by {@link GpuContext.acquire} and not yet released. */
  bytesInUse = 0;
  /**
   * Workgroups a dispatch may have per dimension (the device's `maxComputeWorkgroupsPerDimension`,
   * 65,535 by default): GEMMs fold their columns past it, and a kernel that cannot is refused by name.
   */
  maxWorkgroups: number;
  /**
   * Run before this context queues anything itself (a write, a read, a submission): the eager
   * ops of device tensors collect their dispatches and flush them here, so queue order stays
   * program order.
   */
  beforeQueue: (() => void) | null = null;
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private pendingError: Error | null = null;
  private dummyBuffer: GPUBuffer | null = null;

  /**
   * @param gpu the GPU object the device came from, kept referenced: Dawn's Node binding crashes
   *   when the instance is garbage-collected while its devices live
   */
  constructor(readonly device: GPUDevice, readonly adapterName: string, readonly gpu: GPU | null = null) {
    this.gemm = /swiftshader|llvmpipe|lavapipe/i.test(adapterName) ? 'direct' : 'tiled';
    this.maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    // a validation error (an invalid dispatch is skipped, silently) surfaces at the next check
    device.addEventListener('uncapturederror', (e) => {
      this.pendingError ??= new Error(`webgpu: the device reported an error: ${(e as GPUUncapturedErrorEvent).error.message}`);
    });
    void device.lost.then((info) => {
      this.lostReason = info.reason === 'destroyed' ? 'the device was destroyed' : `the device was lost${info.message ? ` (${info.message})` : ''}`;
    });
  }

  /** Throws the error that stopped this device: lost, or an allocation that failed since the last check. */
  check(where: string): void {
    if (this.lostReason !== null) {
      throw new DeviceLostError(`${where}: the WebGPU device (${this.adapterName}) is unusable: ${this.lostReason}. Save from the latest checkpoint and resume on the CPU or on a new device`);
    }
    const e = this.pendingError;
    if (e !== null) {
      this.pendingError = null;
      throw e;
    }
  }

  /**
   * A storage buffer of at least `bytes` bytes (rounded up to 256), from the pool when one is free.
   * A size the device cannot hold is a {@link GpuOutOfMemoryError} naming it; a driver that runs
   * out of memory later reports it at the next {@link GpuContext.check}.
   */
  acquire(bytes: number, what = 'a buffer'): GPUBuffer {
    this.check(`allocating ${what}`);
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    const limit = Math.min(this.device.limits.maxBufferSize, this.device.limits.maxStorageBufferBindingSize);
    if (size > limit) {
      throw new GpuOutOfMemoryError(`webgpu: cannot allocate ${formatBytes(size)} for ${what}: the device (${this.adapterName}) allows at most ${formatBytes(limit)} per buffer`);
    }
    const reused = this.free.get(size)?.pop();
    this.bytesInUse += size;
    if (reused !== undefined) return reused;
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size, usage: USAGE });
    void this.device.popErrorScope().then((err) => {
      if (err !== null && this.pendingError === null) {
        this.pendingError = new GpuOutOfMemoryError(`webgpu: out of memory allocating ${formatBytes(size)} for ${what} (${formatBytes(this.bytesInUse)} in use): ${err.message}`);
      }
    });
    return buffer;
  }

  /** A small buffer to bind where a kernel's optional input is absent (a layer without bias). */
  get dummy(): GPUBuffer {
    this.dummyBuffer ??= this.device.createBuffer({ size: 256, usage: USAGE });
    return this.dummyBuffer;
  }

  /** Returns a buffer from {@link GpuContext.acquire} to the pool. */
  release(buffer: GPUBuffer): void {
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
    this.bytesInUse -= buffer.size;
  }

  /** Bytes held in pooled buffers that are free for reuse (given back by {@link GpuContext.trim}). */
  get bytesPooled(): number {
    let bytes = 0;
    for (const [size, list] of this.free) bytes += size * list.length;
    return bytes;
  }

  /** Destroys every pooled buffer that is not in use. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }

  /** The compute pipeline for a WGSL source, compiled once. */
  pipeline(code: string): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (p === undefined) {
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(code, p);
    }
    return p;
  }

  /** Copies `floats` values from the start of `buffer` back to the CPU (waits for all submitted work). */
  async read(buffer: GPUBuffer, floats: number, where = 'read'): Promise<Float32Array> {
    return (await this.readAll([{ buffer, floats }], where))[0];
  }

  /**
   * Copies several buffers back in one submission, made when this is called (one round trip).
   * A part with `zero` is zeroed in the same submission, right after its copy: work submitted
   * while the read is pending adds to the fresh zeros, and none of it is lost.
   */
  async readAll(parts: ReadonlyArray<{ buffer: GPUBuffer; floats: number; zero?: boolean }>, where = 'read'): Promise<Float32Array[]> {
    this.beforeQueue?.();
    this.check(where);
    const offsets = parts.map((_, i) => parts.slice(0, i).reduce((a, q) => a + q.floats * 4, 0));
    const bytes = parts.reduce((a, q) => a + q.floats * 4, 0);
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
    try {
      const enc = this.device.createCommandEncoder();
      parts.forEach((q, i) => {
        if (q.floats > 0) enc.copyBufferToBuffer(q.buffer, 0, staging, offsets[i], q.floats * 4);
        if (q.zero === true) enc.clearBuffer(q.buffer);
      });
      this.device.queue.submit([enc.finish()]);
      try {
        await staging.mapAsync(1 /* GPUMapMode.READ */);
      } catch (e) {
        this.check(where);
        throw e;
      }
      const all = staging.getMappedRange(0, bytes).slice(0);
      return parts.map((q, i) => new Float32Array(all, offsets[i], q.floats));
    } finally {
      staging.destroy();
    }
  }

  /** Copies `data` into `buffer` (queued; ordered before later submissions). */
  write(buffer: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    this.beforeQueue?.();
    this.check('upload');
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Writes a dispatch's own uniform buffer (no flush: nothing else reads it; see {@link GpuContext.beforeQueue}). */
  writeUniforms(buffer: GPUBuffer, data: Uint8Array): void {
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Destroys the device; later calls fail with a {@link DeviceLostError}. */
  destroy(): void {
    this.trim();
    this.device.destroy();
  }
}

/** `navigator.gpu` in a browser; in Node the `webgpu` package's `create([])` (an optional peer dependency). */
async function findGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  const name = 'webgpu'; // not bundled: browsers use navigator.gpu
  try {
    const mod = (await import(/* @vite-ignore */ name)) as { create: (flags: string[]) => GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    return mod.create([]);
  } catch {
    return null;
  }
}

/**
 * Opens a WebGPU device: `navigator.gpu` in browsers, the `webgpu` package (Dawn) in Node.
 * Without an adapter it throws a {@link WebGpuUnavailableError} that says what is missing.
 *
 * @example
 * const gpu = await requestGpu();
 * console.log(gpu.adapterName); // e.g. "SwiftShader driver 5.0.0"
 */
export async function requestGpu(options: RequestGpuOptions = {}): Promise<GpuContext> {
  const gpu = options.gpu ?? (await findGpu());
  if (gpu === null) {
    throw new WebGpuUnavailableError(
      'requestGpu: WebGPU is not available: no navigator.gpu here, and the optional "webgpu" package (Dawn for Node) is not installed. Use the CPU, or install "webgpu" in Node',
    );
  }
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (adapter === null) {
    throw new WebGpuUnavailableError(
      'requestGpu: WebGPU found no adapter (no GPU driver). In Node, Dawn needs a Vulkan driver (VK_ICD_FILENAMES); in Chromium without a GPU, start it with --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader',
    );
  }
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
  const info = adapter.info;
  const name = [info?.description, info?.architecture, info?.vendor].find((s) => s !== undefined && s !== '') ?? 'unknown adapter';
  return new GpuContext(device, name, gpu);
}

/**
 * `'auto'` device selection: a WebGPU device when an adapter exists, else `null` after one line
 * through `notice` saying why the CPU is used (e.g. "webgpu: no adapter …; training on the CPU").
 *
 * @example
 * const gpu = await requestGpuOrCpu(); // GpuContext, or null → train on the CPU
 */
export async function requestGpuOrCpu(options: RequestGpuOptions = {}, notice: (line: string) => void = console.warn): Promise<GpuContext | null> {
  try {
    return await requestGpu(options);
  } catch (e) {
    if (!(e instanceof WebGpuUnavailableError)) throw e;
    notice(`${e.message.replace(/^requestGpu: /, 'webgpu: ')}; training on the CPU`);
    return null;
  }
}
