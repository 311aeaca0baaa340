import type { Module } from '@trainkit/nn';
import { type Tensor } from '@trainkit/tensor';
import type { Batch, EpochRecord, ExceptionContext, LossContext, Stage, StepContext } from './hooks';
import type { Optimizer } from './optimizer';
import type { Trainer } from './trainer';
import type { MetricAccumulator } from './metrics';
import { ConfigError } from './errors';

/**
 * The one mutable context object of a run. Each hook sees it through the typed view of
 * its stage (BatchContext, LossContext, …); fields are filled in as the stages progress.
 */
export class RunContext implements StepContext, LossContext, ExceptionContext {
  epoch = 0;
  epochs = 0;
  batchesPerEpoch: number | undefined = undefined;
  step = 0;
  batchIndex = 0;
  batch!: Batch;
  output!: Tensor;
  dataLoss!: Tensor;
  loss!: Tensor;
  error: unknown = undefined;
  /** terms added in onLoss */
  terms: Array<[string, Tensor]> = [];
  skip = false;
  current: Record<string, number> = {};

  constructor(
    readonly trainer: Trainer,
    readonly model: Module,
    readonly optimizer: Optimizer | null,
    readonly stage: Stage,
    private readonly acc: MetricAccumulator,
  ) {}

  get rng() {
    return this.trainer.rng;
  }

  get history(): readonly EpochRecord[] {
    return this.trainer.history;
  }

  get metrics(): Readonly<Record<string, number>> {
    return this.current;
  }

  stop(reason?: string): void {
    this.trainer.stop(reason);
  }

  log(name: string, value: number): void {
    if (typeof name !== 'string' || name.length === 0) throw new ConfigError('log: metric name must be a non-empty string');
    if (typeof value !== 'number') throw new ConfigError(`log: metric "${name}" must be a number, got ${typeof value}`);
    this.acc.add(name, value, (this.batch as Batch | undefined)?.x.shape[0] ?? 1);
  }

  addLoss(name: string, term: Tensor): void {
    if (term.size !== 1) throw new ConfigError(`addLoss: term "${name}" must be a scalar tensor, got ${term.size} elements`);
    if (name === 'loss') throw new ConfigError('addLoss: the name "loss" is reserved for the total loss');
    this.terms.push([name, term]);
  }

  skipStep(): void {
    this.skip = true;
  }
}
