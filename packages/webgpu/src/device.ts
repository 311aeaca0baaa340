import { type DeviceBackend, type DeviceMetrics, type DeviceRun, type Optimizer, registerDevice } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import type { Tensor } from '@trainkit/tensor';
import { type GpuContext, type RequestGpuOptions, requestGpu } from './context';
import { GpuTrainingSession } from './session';

/** Options of {@link webgpuDevice}. */
export interface WebGpuDeviceOptions extends RequestGpuOptions {
  /** A device to train on (default: one opened with `requestGpu` at the first fit, and kept). */
  context?: GpuContext;
}

/** A Trainer's run on a {@link GpuTrainingSession}. */
class SessionRun implements DeviceRun {
  constructor(private readonly session: GpuTrainingSession) {}

  get outputSize(): number {
    return this.session.classes;
  }

  step(x: Tensor, labels: ArrayLike<number>): void {
    this.session.step(x, labels);
  }

  metrics(): Promise<DeviceMetrics> {
    return this.session.metrics();
  }

  predict(x: Tensor): Promise<Tensor> {
    return this.session.predict(x);
  }

  syncToCpu(): Promise<void> {
    return this.session.syncToCpu();
  }

  reloadFromCpu(): void {
    this.session.reloadFromCpu();
  }

  /** Frees the run's buffers and gives the device's pooled memory back: a kept device holds nothing between fits. */
  dispose(): void {
    this.session.dispose();
    this.session.ctx.trim();
  }
}

/**
 * The `'webgpu'` device of `new Trainer({ device })`: each fit trains the model in a
 * {@link GpuTrainingSession} on a WebGPU device (opened at the first fit and reused while it
 * lives). Importing `@trainkit/webgpu` registers one under the name `'webgpu'`; pass your own
 * (`device: webgpuDevice({ context })`) to choose the device.
 *
 * @example
 * import '@trainkit/webgpu';
 * const trainer = new Trainer({ optimizer: adam(), device: 'auto' }); // WebGPU when an adapter exists, else the CPU
 */
export function webgpuDevice(options: WebGpuDeviceOptions = {}): DeviceBackend {
  let context: Promise<GpuContext> | null = options.context === undefined ? null : Promise.resolve(options.context);
  return {
    name: 'webgpu',
    async open({ model, optimizer, sampleShape }: { model: Module; optimizer: Optimizer; sampleShape: readonly number[] }): Promise<DeviceRun> {
      let gpu = await (context ??= requestGpu(options)).catch((e: unknown) => {
        context = null; // the next fit asks again (a driver may have appeared)
        throw new Error((e as Error).message.replace(/^requestGpu: /, 'webgpu: '), { cause: e });
      });
      if (gpu.lostReason !== null && options.context === undefined) gpu = await (context = requestGpu(options)); // the last device was lost: a new one
      gpu.check('webgpu device');
      return new SessionRun(new GpuTrainingSession(gpu, model, optimizer, { inputShape: sampleShape }));
    },
  };
}

registerDevice(webgpuDevice());
