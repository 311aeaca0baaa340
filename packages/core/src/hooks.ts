import type { Module } from '@trainkit/nn';
import type { Rng, Target, Tensor } from '@trainkit/tensor';
import type { Optimizer } from './optimizer';
import type { Trainer } from './trainer';
import type { ResumeState } from './trainerState';

/** One batch: inputs and targets (class indices, or a probability tensor for soft labels). */
export interface Batch {
  x: Tensor;
  y: Target;
}

/** Metrics of one epoch: `loss`, `accuracy`, `valLoss`, `valAccuracy`, plus whatever plugins log. */
export interface EpochRecord {
  epoch: number;
  metrics: Record<string, number>;
}

/** Which method is running: fit, evaluate (`validate`) or predict. */
export type Stage = 'fit' | 'validate' | 'predict';

/** Fields every hook receives. */
export interface BaseContext {
  readonly trainer: Trainer;
  readonly model: Module;
  /** The trainer's optimizer; never null in fit (fit requires one), null in evaluate/predict when the trainer has none. */
  readonly optimizer: Optimizer | null;
  readonly stage: Stage;
  /** Current epoch, 0-based. */
  readonly epoch: number;
  /** Total epochs of this fit (0 outside fit; Infinity when fit got only `maxSteps`). */
  readonly epochs: number;
  /** The step budget of this fit: it ends once `step` reaches it (Infinity without `maxSteps`, and outside fit). */
  readonly maxSteps: number;
  /** Batches per epoch of the data being iterated, when the data source knows its length. */
  readonly batchesPerEpoch: number | undefined;
  /** Optimizer steps taken so far in this fit (global step). */
  readonly step: number;
  /** Index of the current batch within the epoch. */
  readonly batchIndex: number;
  /** The trainer's seeded RNG; take a named stream: `ctx.rng.stream('dropout')`. */
  readonly rng: Rng;
  /** Metrics of the epoch so far (running means) and, after validation, `val…` metrics. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Completed epochs. */
  readonly history: readonly EpochRecord[];
  /**
   * Asks the trainer to stop (early stopping). Called in a batch hook, the current batch
   * finishes through `onTrainBatchEnd` and the rest of the epoch, its validation and its
   * `onTrainEpochEnd` are skipped; called in an epoch hook, the next epoch does not start.
   * `onFitEnd` and `teardown` still run, and `fit` resolves normally.
   */
  stop(reason?: string): void;
  /**
   * Records a metric: averaged over the epoch's batches and stored in the history. In a training
   * step on a device, `value` may be a one-value tensor there (a gradient norm): it is read back
   * with the loss every `metricsEvery` steps instead of forcing a round trip per step.
   */
  log(name: string, value: number | Tensor): void;
  /**
   * Training on a device (`Trainer({ device })`): copies the parameters and the optimizer state
   * back to the CPU, so a batch hook can read weights or save a checkpoint; until then reading
   * them throws. The Trainer does it by itself before validation and the epoch and fit hooks. A
   * no-op on the CPU.
   */
  sync(): Promise<void>;
}

/** The context of batch-level hooks: the common fields plus the current batch. */
export interface BatchContext extends BaseContext {
  /** The current batch. In `onTrainBatchStart` a plugin may replace it (augmentation, mixup). */
  batch: Batch;
}

/** The context after the forward pass: adds the model output. */
export interface ForwardContext extends BatchContext {
  /** The model's output for the batch. */
  readonly output: Tensor;
}

/** The context of `onLoss`: adds the data loss and `addLoss` for extra terms. */
export interface LossContext extends ForwardContext {
  /** The data loss (before plugin terms). */
  readonly dataLoss: Tensor;
  /** Adds a term to the loss (e.g. an L2 penalty); it is also logged as its own metric under `name`. */
  addLoss(name: string, term: Tensor): void;
}

/** The context around backpropagation and the optimizer step: adds the total loss. */
export interface BackwardContext extends ForwardContext {
  /** The data loss (before plugin terms). */
  readonly dataLoss: Tensor;
  /** The total loss that is (or was) backpropagated. */
  readonly loss: Tensor;
}

/** The context of `onAfterBackward` and `onBeforeOptimizerStep`: can skip the step. */
export interface StepContext extends BackwardContext {
  /** Skip this optimizer step (e.g. gradient accumulation); gradients are then kept, not zeroed. */
  skipStep(): void;
  /** Whether a plugin has skipped this step so far (a gradient clipper leaves a skipped micro-batch alone). */
  readonly stepSkipped: boolean;
}

/** The context of `onException`: adds the error that stopped the run. */
export interface ExceptionContext extends BaseContext {
  readonly error: unknown;
}

/**
 * The hook catalogue, in call order. A plugin implements any subset; each hook gets one
 * context object and may be async (the trainer awaits it before the next stage).
 *
 * ```
 * setup
 * onFitStart
 *   onTrainEpochStart
 *     onTrainBatchStart → onAfterForward → onLoss → onBeforeBackward → onAfterBackward
 *       → onBeforeOptimizerStep → (optimizer.step) → onAfterOptimizerStep → onTrainBatchEnd
 *   onValidationEpochStart
 *     onValidationBatchStart → onValidationBatchEnd
 *   onValidationEpochEnd
 *   onTrainEpochEnd
 * onFitEnd
 * teardown            (always, also after an error)
 * onException         (only after an error, before teardown)
 * ```
 * `evaluate` runs setup → onValidationEpochStart … onValidationEpochEnd → teardown;
 * `predict` runs setup → onPredictStart → onPredictBatchEnd… → onPredictEnd → teardown.
 */
export interface TrainerHooks {
  /** Called when fit, evaluate or predict begins, before anything else. */
  setup(ctx: BaseContext): unknown;
  /** Called when fit begins, after a resume has been applied: `epoch`, `batchIndex` and `step` say where the run continues. */
  onFitStart(ctx: BaseContext): unknown;
  /** Called when a training epoch begins; the model is in train mode. */
  onTrainEpochStart(ctx: BaseContext): unknown;
  /** Called when a training batch begins; may replace `ctx.batch`. */
  onTrainBatchStart(ctx: BatchContext): unknown;
  /** Called after the forward pass with the model's output. */
  onAfterForward(ctx: ForwardContext): unknown;
  /** Called after the data loss is computed; may add terms with `ctx.addLoss`. */
  onLoss(ctx: LossContext): unknown;
  /** Called with the total loss, before backpropagation. */
  onBeforeBackward(ctx: BackwardContext): unknown;
  /** Called after backpropagation; parameter gradients are available. */
  onAfterBackward(ctx: StepContext): unknown;
  /** Called before the optimizer step (gradient clipping, checks); may skip the step. */
  onBeforeOptimizerStep(ctx: StepContext): unknown;
  /** Called after the optimizer updated the parameters (before gradients are zeroed). */
  onAfterOptimizerStep(ctx: BackwardContext): unknown;
  /** Called when a training batch ends; metrics include the batch. */
  onTrainBatchEnd(ctx: BackwardContext): unknown;
  /** Called when validation begins; the model is in eval mode. */
  onValidationEpochStart(ctx: BaseContext): unknown;
  /** Called when a validation batch begins. */
  onValidationBatchStart(ctx: BatchContext): unknown;
  /** Called when a validation batch ends, with its output and loss. */
  onValidationBatchEnd(ctx: BackwardContext): unknown;
  /** Called when validation ends; `ctx.metrics` holds `valLoss`, `valAccuracy`, …. */
  onValidationEpochEnd(ctx: BaseContext): unknown;
  /**
   * Called when a fit that runs its steps on a device (`Trainer({ device })` with hooks inside the
   * step) brings its state back to the cpu: at each epoch's end, before validation, and on
   * `ctx.sync()`, before the model moves back. A plugin that keeps values on the device (an
   * average of the weights) copies them back here, so its `stateDict` is current.
   */
  onDeviceSync(ctx: BaseContext): unknown;
  /** Called when a training epoch ends, after its validation (checkpoints, schedules, early stopping). */
  onTrainEpochEnd(ctx: BaseContext): unknown;
  /** Called when fit ends normally or by `stop()`. */
  onFitEnd(ctx: BaseContext): unknown;
  /** Called when predict begins. */
  onPredictStart(ctx: BaseContext): unknown;
  /** Called after each predicted batch. */
  onPredictBatchEnd(ctx: ForwardContext): unknown;
  /** Called when predict ends. */
  onPredictEnd(ctx: BaseContext): unknown;
  /** Called after an error in fit, evaluate or predict, before teardown; every plugin's onException runs even if one throws. */
  onException(ctx: ExceptionContext): unknown;
  /** Called when fit, evaluate or predict ends, even after an error; every plugin's teardown runs even if one throws (see `CleanupError`). */
  teardown(ctx: BaseContext): unknown;
}

/** The name of a hook of {@link TrainerHooks}. */
export type HookName = keyof TrainerHooks;

/** Emitter event names are the hook names without `on` (`onTrainBatchEnd` → `trainBatchEnd`). */
export type EventName<K extends HookName = HookName> = K extends `on${infer R}` ? Uncapitalize<R> : K;

/** Maps each event name to its listener signature (for eventemitter3's typed emitter). */
export type TrainerEvents = { [K in HookName as EventName<K>]: (ctx: Parameters<TrainerHooks[K]>[0]) => unknown };

/** The context type a hook receives. */
export type ContextOf<K extends HookName> = Parameters<TrainerHooks[K]>[0];

/**
 * A plugin: a name and any subset of the hooks. Stateful plugins also expose
 * `stateDict`/`loadStateDict` under a stable `stateKey` (default: the name) so checkpoints
 * save and restore them.
 */
export interface Plugin extends Partial<TrainerHooks> {
  readonly name: string;
  readonly stateKey?: string;
  /**
   * True when the plugin reads each training batch's `ctx.loss` or `ctx.output` (a per-batch loss
   * curve, say). A device keeps those on the GPU (a step is one fused submission), so a fit with
   * such a plugin stays on the CPU, with a notice under `device: 'auto'`.
   */
  readonly readsBatchValues?: boolean;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  /**
   * Resolves `fit(model, { resume: spec })` for a string `spec` (`'latest'`, `'best'`, a file):
   * returns the state to continue from — with the weights in `model` and the file in `source`,
   * which the trainer loads only after checking everything fits — `null` to start fresh
   * (nothing saved yet), or `undefined` when this plugin does not know the name. It should not
   * change the model itself (if it does, a refused resume still rolls the weights back). Called
   * after `setup`, before `onFitStart`.
   */
  resolveResume?(spec: string, ctx: BaseContext): ResumeState | null | undefined | Promise<ResumeState | null | undefined>;
}

/** The event name of a hook (`onTrainBatchEnd` → `trainBatchEnd`). */
export function eventName<K extends HookName>(hook: K): EventName<K> {
  return (hook.startsWith('on') ? hook[2].toLowerCase() + hook.slice(3) : hook) as EventName<K>;
}
