/**
 * @trainkit/sweep — hyperparameter sweeps: search spaces, samplers (random, Sobol, grid),
 * ASHA early stopping driven by the trainer's epoch hooks, and the in-process executor.
 * Runs in browsers; worker threads and result directories are in `@trainkit/sweep/node`.
 * @packageDocumentation
 */
export { choice, uniform, logUniform, int, when, compileSpace } from './space';
export { randomSampler, sobolSampler, gridSampler, resolveSampler, MAX_GRID } from './samplers';
export { asha, ashaRungs } from './asha';
export { reportTo, executeTrial, importTrial } from './trial';
export { inProcess, moduleHref } from './executor';
export { memoryStore, latestRecords, SWEEP_FORMAT } from './store';
export { sweepOf, checkObjective } from './sweep';
export { runSweep, trialSeed } from './runSweep';
export { SweepError, TrialTimeoutError } from './errors';
export { renderSweepReport } from './report';

export type { Config, ConfigValue, SpaceSpec, Param, ChoiceParam, UniformParam, LogUniformParam, IntParam, WhenParam, CompiledSpace } from './space';
export type { Sampler } from './samplers';
export type { Scheduler, Decision, AshaOptions } from './asha';
export type { TrialContext, TrialFunction, TrialModule, TrialJob, TrialOutcome, Metrics } from './trial';
export type { Executor, ExecutorFactory, TrialRun, TrialSource } from './executor';
export type { TrialRecord, TrialStatus, TrialStore } from './store';
export type { Sweep, Objective } from './sweep';
export type { SweepOptions } from './runSweep';
export type { SweepReportOptions, ParamScale } from './report';
