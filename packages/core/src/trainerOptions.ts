import type { Target, Tensor } from '@trainkit/tensor';
import type { DeviceSpec } from './device';
import type { Optimizer } from './optimizer';
import type { Plugin } from './hooks';

/** Computes the data loss from the model output and the batch targets. */
export type LossFn = (output: Tensor, target: Target) => Tensor;

/** Options of the {@link Trainer} constructor. */
export interface TrainerOptions {
  /** Required by `fit`. */
  optimizer?: Optimizer;
  /** Loss from the model output and the batch targets (default: cross-entropy from logits). */
  loss?: LossFn;
  /** Plugins, called in this order at every hook. */
  plugins?: Plugin[];
  /** Root seed of every random stream (shuffling, dropout, augmentation). Default 0. */
  seed?: number;
  /**
   * Run each training step's forward, loss and backward passes on the buffers of the step before
   * (an {@link Arena}: no new arrays in steady state). Default true. A step's results (`ctx.output`,
   * `ctx.loss`, activations) stay readable until the next step begins; `keep(t)` or `t.clone()`
   * holds one longer, and reading one not kept throws. Hooks run outside the arena.
   */
  arena?: boolean;
  /**
   * Where `fit` trains: `'cpu'` (default); a registered device such as `'webgpu'` (after
   * `import '@trainkit/webgpu'`), which must open or fit throws a ConfigError saying why;
   * `'auto'`: the first registered device that opens, else the CPU after a one-line `notice`.
   * On a device each step is one fused submission; with plugins that hook inside the step
   * (onLoss, onAfterBackward, …), a custom `loss` or soft labels, the Trainer runs its own step
   * on the device's tensors instead. See docs/guide/webgpu.md.
   */
  device?: DeviceSpec;
  /** On a device: read loss and accuracy back every this many steps (and at each epoch end). Default 50. */
  metricsEvery?: number;
  /** Where one-line notices go (the `'auto'` device's fallback). Default `console.warn`. */
  notice?: (line: string) => void;
}
