import { type DeviceBackend, type Shape, type Tensor, accumulateDeviceGrad, fromDeviceOp, registerDevice, shapeSize } from '@trainkit/tensor';
import { type GpuContext, requestGpu } from './context';
import { WebGpuUnavailableError } from './errors';
import { type Dispatch, grid1d, submit } from './kernel';
import { Dispatch as D } from './kernel';
import { accumulateKernel } from './kernels/eager';
import { fillKernel } from './kernels/loss';
import { copyKernel } from './kernels/norm';
import { GpuTensor } from './tensor';

// The 'webgpu' device of @trainkit/tensor: a device tensor's storage is a GpuTensor (a pooled
// buffer). Op results go back to the pool when their tensors are garbage-collected (or at once,
// for gradients a backward pass has used); the ops are in eagerOps.ts and eagerLayers.ts.

let current: GpuContext | null = null;
let opening: Promise<GpuContext> | null = null;

/**
 * Makes `ctx` the device of `'webgpu'` tensors (`await t.to('webgpu')`, `await model.to('webgpu')`).
 * Without a call, the first move opens one with `requestGpu()` and keeps it.
 */
export function useWebGpu(ctx: GpuContext): void {
  current = ctx;
  ctx.beforeQueue = () => flush(ctx);
}

/** Dispatches of eager ops not yet submitted, per device: submitted together, in order (fewer queue submissions). */
const pending = new WeakMap<GpuContext, Dispatch[]>();
/** Collected dispatches are submitted at the latest when this many wait. */
const FLUSH_AT = 64;

/** Submits the collected dispatches of `ctx` as one command buffer and frees their uniforms. */
function flush(ctx: GpuContext): void {
  const list = pending.get(ctx);
  if (list === undefined || list.length === 0) return;
  pending.set(ctx, []); // before submit, which calls back here first
  try {
    submit(ctx, list, 'eager webgpu ops');
  } finally {
    for (const d of list) d.dispose();
  }
}

/** The device `'webgpu'` tensors live on; an error naming what to do when none is open. */
export function webgpuContext(): GpuContext {
  if (current === null) throw new WebGpuUnavailableError("webgpu: no device is open; move a tensor there with `await t.to('webgpu')` (which opens one), or call useWebGpu(ctx)");
  return current;
}

const pooled = new FinalizationRegistry<{ ctx: GpuContext; buffer: GPUBuffer }>(({ ctx, buffer }) => ctx.release(buffer));

/** A new tensor's storage: goes back to the pool when it is garbage-collected, unless released first. */
export function track(t: GpuTensor): GpuTensor {
  pooled.register(t, { ctx: t.ctx, buffer: t.buffer }, t);
  return t;
}

/** Gives a storage's buffer back to the pool now. */
export function releaseStorage(t: GpuTensor): void {
  if (pooled.unregister(t)) t.dispose();
}

/** An uninitialized, tracked tensor of `shape` on the current device. */
export function emptyStorage(shape: Shape): GpuTensor {
  return track(GpuTensor.empty(webgpuContext(), shape));
}

/**
 * Queues an op's dispatches behind those collected before (see {@link flush}): they reach the GPU
 * with the next read, write, optimizer step or every {@link FLUSH_AT} dispatches.
 */
export function runDispatches(dispatches: readonly Dispatch[], op: string): void {
  if (dispatches.length === 0) return;
  const ctx = dispatches[0].ctx;
  ctx.check(op);
  if (ctx.beforeQueue === null) ctx.beforeQueue = () => flush(ctx);
  const list = pending.get(ctx) ?? [];
  list.push(...dispatches);
  pending.set(ctx, list);
  if (list.length >= FLUSH_AT) flush(ctx);
}

/** The storage of a device tensor. */
export const gpu = (t: Tensor): GpuTensor => t._storage as GpuTensor;

/**
 * A device op's result over `y`: on backward, `grads(dy)` gives each parent's gradient (null:
 * none), each handed over (owned) or, when it is `dy` itself, added as a copy.
 */
export function deviceResult(op: string, y: GpuTensor, parents: readonly Tensor[], grads: (dy: GpuTensor) => ReadonlyArray<GpuTensor | null>): Tensor {
  return fromDeviceOp(op, 'webgpu', y, y.shape, parents, (out) => () => {
    const dy = out._gradStorage as GpuTensor;
    grads(dy).forEach((g, i) => {
      if (g !== null) accumulateDeviceGrad(parents[i], g, g !== dy);
    });
  });
}

function fill(ctx: GpuContext, t: GpuTensor, value: number): void {
  runDispatches([new D(ctx, fillKernel, [t.buffer], { n: t.size, value }, grid1d(t.size))], 'fill');
}

/** A copy of `g` (shaped `shape`) into a new storage. */
export function copyOf(g: GpuTensor, shape: Shape): GpuTensor {
  const ctx = webgpuContext();
  const out = emptyStorage(shape);
  runDispatches([new D(ctx, copyKernel, [g.buffer, out.buffer], { n: g.size }, grid1d(g.size))], 'copy');
  return out;
}

/** The ops by name; filled by eagerOps.ts and eagerLayers.ts. */
export const OPS: Record<string, (...args: never[]) => Tensor> = {};

const webgpu: DeviceBackend = {
  name: 'webgpu',
  async ready() {
    if (current !== null) return;
    opening ??= requestGpu();
    try {
      current = await opening;
      useWebGpu(current);
    } finally {
      opening = null;
    }
  },
  upload: (values, shape) => track(GpuTensor.from(webgpuContext(), values, shape)),
  download: (s, size) => (s as GpuTensor).ctx.read((s as GpuTensor).buffer, size, 'reading a webgpu tensor'),
  fill(shape, value) {
    const t = emptyStorage(shape);
    fill(t.ctx, t, value);
    return t;
  },
  zero: (s) => fill((s as GpuTensor).ctx, s as GpuTensor, 0),
  accumulate(into, g, shape, owned) {
    const gt = g as GpuTensor;
    if (into === null) return owned ? gt : copyOf(gt, shape);
    const a = into as GpuTensor;
    if (a.size !== shapeSize(shape) || gt.size !== a.size) throw new Error(`webgpu: a gradient of ${gt.size} values cannot be added to one of ${a.size}`);
    runDispatches([new D(a.ctx, accumulateKernel, [gt.buffer, a.buffer], { n: a.size }, grid1d(a.size))], 'accumulating a gradient');
    if (owned) releaseStorage(gt);
    return a;
  },
  release: (s) => releaseStorage(s as GpuTensor),
  ops: OPS,
};

registerDevice(webgpu);

export { webgpu as webgpuBackend };
