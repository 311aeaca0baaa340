import { Tensor, formatShape, shapeSize, type Shape } from '@trainkit/tensor';
import type { GpuContext } from './context';

/**
 * A float32 array that lives in a GPU buffer (from the context's pool), with its shape. Its
 * values reach the CPU only when asked: `await t.data()` or `await t.toCpu()`; the synchronous
 * readers throw an error that says so.
 */
export class GpuTensor {
  readonly size: number;
  readonly shape: Shape;
  private disposed = false;

  constructor(readonly ctx: GpuContext, readonly buffer: GPUBuffer, shape: Shape) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
  }

  /** Uploads a CPU tensor or array (of `shape`, default flat) into a pooled buffer. */
  static from(ctx: GpuContext, values: Tensor | Float32Array, shape?: Shape): GpuTensor {
    const data = values instanceof Tensor ? values.data : values;
    const s = shape ?? (values instanceof Tensor ? values.shape : [data.length]);
    if (shapeSize(s) !== data.length) throw new Error(`GpuTensor.from: ${data.length} values do not fill shape ${formatShape(s)}`);
    const t = new GpuTensor(ctx, ctx.acquire(data.length * 4, `tensor ${formatShape(s)}`), s);
    ctx.write(t.buffer, data);
    return t;
  }

  /** An uninitialized tensor of `shape` from the pool. */
  static empty(ctx: GpuContext, shape: Shape): GpuTensor {
    return new GpuTensor(ctx, ctx.acquire(shapeSize(shape) * 4, `tensor ${formatShape(shape)}`), shape);
  }

  get device(): 'webgpu' {
    return 'webgpu';
  }

  /** The values, copied back to the CPU after all submitted work (one GPU round trip). */
  async data(): Promise<Float32Array> {
    this.assertLive('data');
    return this.ctx.read(this.buffer, this.size, `GpuTensor ${formatShape(this.shape)}.data()`);
  }

  /** A CPU {@link Tensor} with a copy of the values. */
  async toCpu(): Promise<Tensor> {
    return new Tensor(await this.data(), this.shape);
  }

  /** Synchronous reads cannot wait for the GPU: this throws and names the call to make instead. */
  toArray(): never {
    throw new Error(`GpuTensor ${formatShape(this.shape)} lives on the GPU (webgpu): its values cannot be read synchronously; use \`await t.data()\` or \`await t.toCpu()\``);
  }

  /** See {@link GpuTensor.toArray}. */
  item(): never {
    return this.toArray();
  }

  /** Returns the buffer to the pool; the tensor is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ctx.release(this.buffer);
  }

  private assertLive(op: string): void {
    if (this.disposed) throw new Error(`GpuTensor ${formatShape(this.shape)}.${op}: the tensor was disposed`);
  }

  toString(): string {
    return `GpuTensor(${formatShape(this.shape)}, webgpu)`;
  }
}
