import type { Module } from '@trainkit/nn';
import { Tensor, add, formatShape, isOnDevice } from '@trainkit/tensor';
import type { Batch, EpochRecord, ExceptionContext, LossContext, Stage, StepContext } from './hooks';
import type { Optimizer } from './optimizer';
import type { Trainer } from './trainer';
import { type MetricAccumulator, accuracy, logsAccuracy } from './metrics';
import { ConfigError, NonFiniteLossError } from './errors';

/**
 * The one mutable context object of a run. Each hook sees it through the typed view of
 * its stage (BatchContext, LossContext, …); fields are filled in as the stages progress.
 */
export class RunContext implements StepContext, LossContext, ExceptionContext {
  epoch = 0;
  epochs = 0;
  maxSteps = Infinity;
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
  /** @internal where `log` goes outside a training batch (validation's accumulator, the epoch's record); null: the epoch's running means */
  logSink: ((name: string, value: number, weight: number) => void) | null = null;

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

  async sync(): Promise<void> {
    // the metrics too: a checkpoint taken now holds every step's loss and accuracy of the epoch so
    // far, and ctx.metrics shows them (a step checkpoint ranks on them)
    await this.trainer.device.settle(this.acc);
    if (this.stage === 'fit') this.current = { ...this.current, ...this.acc.means() };
  }

  log(name: string, value: number | Tensor): void {
    if (typeof name !== 'string' || name.length === 0) throw new ConfigError('log: metric name must be a non-empty string');
    const weight = (this.batch as Batch | undefined)?.x.shape[0] ?? 1;
    if (value instanceof Tensor) {
      if (value.size !== 1) throw new ConfigError(`log: metric "${name}" must be a number or a tensor of one value, got a tensor of shape ${formatShape(value.shape)}`);
      const eager = this.trainer.device.eager;
      if (!isOnDevice(value)) value = value.data[0];
      else if (eager !== null && this.logSink === null && value.device === eager.name) return eager.defer(name, value, weight, this.where());
      else throw new ConfigError(`log: metric "${name}" is a tensor on ${value.device}; only a training step there reads such values back later. Read it first: ctx.log('${name}', (await t.read())[0])`);
    }
    if (typeof value !== 'number') throw new ConfigError(`log: metric "${name}" must be a number, got ${typeof value}`);
    if (this.logSink !== null) this.logSink(name, value, weight);
    else this.acc.add(name, value, weight);
  }

  addLoss(name: string, term: Tensor): void {
    if (term.size !== 1) throw new ConfigError(`addLoss: term "${name}" must be a scalar tensor, got ${term.size} elements`);
    if (name === 'loss') throw new ConfigError('addLoss: the name "loss" is reserved for the total loss');
    this.terms.push([name, term]);
  }

  skipStep(): void {
    this.skip = true;
  }

  get stepSkipped(): boolean {
    return this.skip;
  }

  /** Where the run is, for an error about a value read back later. */
  private where(): { epoch: number; step: number; batchIndex: number } {
    return { epoch: this.epoch, step: this.step, batchIndex: this.batchIndex };
  }

  /** The data loss plus the plugins' terms; throws a {@link NonFiniteLossError} naming the first non-finite one. */
  totalLoss(): Tensor {
    let total = this.dataLoss;
    for (const [, term] of this.terms) total = add(total, term);
    const bad = (t: Tensor) => !isOnDevice(t) && !Number.isFinite(t.data[0]); // on a device: checked when the values are read back
    const error = (name: string, t: Tensor) => new NonFiniteLossError(t.data[0], this.epoch, this.step, this.batchIndex, name);
    if (bad(this.dataLoss)) throw error('loss', this.dataLoss);
    for (const [name, t] of this.terms) if (bad(t)) throw error(name, t);
    if (bad(total)) throw error('loss', total);
    return total;
  }

  /** Adds the training batch's loss, loss terms and accuracy to the epoch's running means. */
  recordBatch(): void {
    const n = this.batch.x.shape[0] ?? 0;
    const eager = this.trainer.device.eager;
    if (eager !== null && isOnDevice(this.loss)) return eager.record(this.loss, this.terms, this.output, this.batch.y, n, { ...this.where(), step: this.skip ? this.step : this.step - 1 });
    this.acc.add('loss', this.loss.data[0], n);
    // terms of one name (two penalties on different parameters, say) add up, as they do in the loss
    const byName = new Map<string, number>();
    for (const [name, t] of this.terms) byName.set(name, (byName.get(name) ?? 0) + t.data[0]);
    for (const [name, v] of byName) this.acc.add(name, v, n);
    if (logsAccuracy(this.output)) this.acc.add('accuracy', accuracy(this.output, this.batch.y), n);
  }
}
