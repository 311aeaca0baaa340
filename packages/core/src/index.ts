/**
 * @trainkit/core — the hook-based Trainer, the plugin and optimizer contracts, plain SGD,
 * metrics and freezing. Runs in Node and in browsers.
 * @packageDocumentation
 */
export { Trainer } from './trainer';
export { defineOptimizer, parameterRefs, isParamSelector, matches as selectsParam } from './optimizer';
export { sgd } from './sgd';
export { chain, scaleByLearningRate, addDecayedWeights, clipByValue, clipByGlobalNorm, globalNorm } from './transform';
export { accuracy, MetricAccumulator } from './metrics';
export { freeze, unfreeze } from './freeze';
export { scheduler, stepDecay, multiStepDecay, exponentialDecay, cosineAnnealing, cosineWarmRestarts, cycleOf, linearWarmup, oneCycle, reduceOnPlateau } from './schedules';
export { gradientClipping, gradientAccumulation } from './gradients';
export { earlyStopping } from './earlyStopping';
export { metricMode } from './metricMode';
export { shuffledOrder, toDatasetOrder } from './dataSource';
export { eventName } from './hooks';
export { registerDevice, registeredDevices, unregisterDevice } from './device';
export { PluginError, NonFiniteLossError, NonFiniteGradientError, ConfigError, ResumeError, CleanupError } from './errors';

export type { GradientTransform, TransformArgs, TransformHyper, TransformSlots, HyperShape, HyperValues } from './transform';
export type { Schedule, SchedulerOptions, ReduceOnPlateauOptions } from './schedules';
export type { EarlyStoppingOptions, EarlyStoppingHandle } from './earlyStopping';
export type { TrainerOptions, LossFn } from './trainerOptions';
export type { DeviceBackend, DeviceRun, DeviceMetrics, DeviceSpec } from './device';
export type { FitOptions, FitResult } from './fitOptions';
export type { TrainerState, ResumeState } from './trainerState';
export type { Data, DataSource } from './dataSource';
export type {
  Batch,
  EpochRecord,
  Stage,
  Plugin,
  TrainerHooks,
  TrainerEvents,
  HookName,
  EventName,
  ContextOf,
  BaseContext,
  BatchContext,
  ForwardContext,
  LossContext,
  BackwardContext,
  StepContext,
  ExceptionContext,
} from './hooks';
export type {
  Optimizer,
  OptimizerSpec,
  OptimizerOptions,
  OptimizerState,
  ParamRef,
  ParamGroup,
  ParamSelector,
  GroupSpec,
  Hyperparams,
  SlotNames,
  UpdateArgs,
} from './optimizer';
