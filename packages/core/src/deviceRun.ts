import type { Module } from '@trainkit/nn';
import type { Tensor } from '@trainkit/tensor';
import { ConfigError } from './errors';
import type { Optimizer } from './optimizer';

// What a device package implements to train a Trainer's fit as fused submissions
// (`new Trainer({ device: 'webgpu' })`), and the registry the Trainer looks backends up in.

/** Loss and accuracy a device accumulated over the steps since the last read. */
export interface DeviceMetrics {
  /** Mean loss over `samples`. */
  loss: number;
  /** Fraction of `samples` whose argmax output is the label. */
  accuracy: number;
  samples: number;
}

/**
 * A model and its optimizer being trained on a device, opened by a {@link DeviceBackend} at the
 * first batch of a `fit`. The Trainer enqueues steps, reads the metrics every `metricsEvery`
 * steps and at epoch ends, and copies the state back before the hooks that read it.
 */
export interface DeviceRun {
  /** Values per sample of the model's output (the classes of a classifier). */
  readonly outputSize: number;
  /** Enqueues one training step (forward, cross-entropy, backward, optimizer update); need not wait for the device. */
  step(x: Tensor, labels: ArrayLike<number>): void;
  /** Loss and accuracy of the steps since the last call (one read-back); rejects with the device's error (NaN gradient, lost device). */
  metrics(): Promise<DeviceMetrics>;
  /** The model's outputs for a batch, read back into a CPU tensor. */
  predict(x: Tensor): Promise<Tensor>;
  /** Copies the parameters into the module and the optimizer's slots and step counts into the optimizer. */
  syncToCpu(): Promise<void>;
  /**
   * Takes the module's parameters and buffers and the optimizer's state from the CPU again. The
   * Trainer calls it before the first step and the first prediction after a copy-back, since hooks
   * may have changed the weights in between (a weight constraint, averaged weights swapped in for
   * validation, a loaded checkpoint). A backend without it trains on from its own copy.
   */
  reloadFromCpu?(): void;
  /** Frees the run's device memory. */
  dispose(): void;
}

/** What a device package provides (e.g. `@trainkit/webgpu`), registered with {@link registerDevice}. */
export interface DeviceBackend {
  /** The name users pass as `new Trainer({ device })`, e.g. `'webgpu'`. */
  readonly name: string;
  /**
   * Opens a training run for `model` and `optimizer` on samples of `sampleShape`. Rejects with an
   * error whose message says why when the device is missing or cannot train this model or optimizer.
   */
  open(request: { model: Module; optimizer: Optimizer; sampleShape: readonly number[] }): Promise<DeviceRun>;
}

/** Where a Trainer trains: `'cpu'` (default), a registered device by name, a backend, or `'auto'` (the first registered device that opens, else the CPU with a notice). */
export type DeviceSpec = 'cpu' | 'auto' | string | DeviceBackend;

const backends = new Map<string, DeviceBackend>();

/** Registers a device backend under its name (a device package does this when imported); a second registration under one name replaces the first. */
export function registerDevice(backend: DeviceBackend): void {
  if (backend === null || typeof backend !== 'object' || typeof backend.name !== 'string' || backend.name === '' || backend.name === 'cpu' || backend.name === 'auto' || typeof backend.open !== 'function') {
    throw new ConfigError("registerDevice: a backend needs a `name` other than 'cpu' and 'auto', and an `open` method");
  }
  backends.set(backend.name, backend);
}

/** Removes the backend registered under `name`; returns whether there was one. */
export function unregisterDevice(name: string): boolean {
  return backends.delete(name);
}

/** The registered backends, in registration order (the order `'auto'` tries them). */
export function registeredDevices(): DeviceBackend[] {
  return [...backends.values()];
}

/** The backend registered under `name`, if any. @internal */
export function backendNamed(name: string): DeviceBackend | undefined {
  return backends.get(name);
}
