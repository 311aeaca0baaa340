import { ConfigError, PluginError, type BaseContext, type Plugin, type TrainerState } from '@trainkit/core';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from './codec';
import { CheckpointError } from './errors';
import { type CheckpointOptions, type ResolvedOptions, resolveOptions } from './options';
import { type CheckpointerState, type SavedFile, isBetter, keepBest, keepRecent } from './ranking';
import type { CheckpointStore } from './store';

type Trigger = 'epoch' | 'step' | 'end';
type Listener = (ctx: BaseContext) => Promise<void>;

/** Ranked and keep-last files: `epoch=3-step=1200.safetensors`, `epoch=3-step=1200-valLoss=0.2345.safetensors`. */
const NUMBERED = /^epoch=(\d+)-step=(\d+)(?:-.+=.+)?\.safetensors$/;

/**
 * Saves checkpoints while a {@link Trainer} fits — `latest` at every save, `best` by a monitored
 * metric, optionally the top-k and the last k — into a store it owns, and resumes from them with
 * `fit(model, { resume: 'latest' | 'best' | file })`.
 *
 * Each file holds everything needed to continue exactly: the model's parameters and buffers,
 * the trainer state (epoch, position within the epoch, step, metric history, RNG streams,
 * optimizer state and slots, every stateful plugin's state, this checkpointer's best score and
 * file lists) and a format version, sealed with a checksum that is verified on load. Writes go
 * through the store's atomic write, so a crash at any moment leaves the previous file intact.
 *
 * The checkpointer saves from trainer listeners, which run after every plugin's hook, so the
 * saved state includes what the other plugins did at that epoch or step end (Lightning
 * likewise runs its ModelCheckpoint last).
 *
 * @example
 * // Node: import { checkpoint } from '@trainkit/checkpoint/node'
 * const trainer = new Trainer({ optimizer: adam(), plugins: [checkpoint({ dir: 'runs/mnist', monitor: 'valAccuracy', topK: 3 })] });
 * await trainer.fit(model, { train, val, epochs: 20, resume: 'latest' }); // starts fresh, or continues a killed run
 */
export class Checkpointer implements Plugin {
  /** The most recent checkpoint. */
  static readonly LATEST = 'latest.safetensors';
  /** The best checkpoint by the monitored metric. */
  static readonly BEST = 'best.safetensors';

  readonly name: string;
  readonly stateKey: string;
  readonly store: CheckpointStore;
  /** The file the current fit resumed from, or null (fresh start). */
  resumedFrom: string | null = null;
  private readonly o: ResolvedOptions;
  private state: CheckpointerState = { best: null, ranked: [], recent: [] };
  private lastSaved: { epoch: number; step: number; batchIndex: number } | null = null;
  private listeners: Array<['trainEpochEnd' | 'trainBatchEnd' | 'fitEnd', Listener]> = [];

  constructor(options: CheckpointOptions) {
    this.o = resolveOptions(options);
    this.name = this.o.name;
    this.stateKey = this.o.stateKey;
    this.store = this.o.store;
  }

  /** The best checkpoint so far, with its score, or null. */
  get best(): SavedFile | null {
    return this.state.best;
  }

  /** The top-k checkpoints, best first. */
  get ranked(): readonly SavedFile[] {
    return this.state.ranked;
  }

  /** The keep-last checkpoints, oldest first. */
  get recent(): readonly SavedFile[] {
    return this.state.recent;
  }

  async setup(ctx: BaseContext): Promise<void> {
    if (ctx.stage !== 'fit') return;
    this.resumedFrom = null;
    this.lastSaved = null;
    this.state = { best: null, ranked: [], recent: [] };
    try {
      await this.store.prepare();
    } catch (e) {
      throw new CheckpointError(`checkpoint: cannot write checkpoints to ${this.store.location}: ${(e as Error).message}`, { cause: e });
    }
    const on = (event: 'trainEpochEnd' | 'trainBatchEnd' | 'fitEnd', hook: string, trigger: Trigger): void => {
      const listener: Listener = async (c) => {
        try {
          await this.maybeSave(c, trigger);
        } catch (e) {
          throw new PluginError(this.name, hook, e);
        }
      };
      ctx.trainer.on(event, listener);
      this.listeners.push([event, listener]);
    };
    on('trainEpochEnd', 'onTrainEpochEnd', 'epoch');
    on('trainBatchEnd', 'onTrainBatchEnd', 'step');
    on('fitEnd', 'onFitEnd', 'end');
  }

  teardown(ctx: BaseContext): void {
    for (const [event, listener] of this.listeners) ctx.trainer.off(event, listener);
    this.listeners = [];
  }

  /** Resolves `fit({ resume })`: `'latest'` (a fresh start when nothing was saved yet), `'best'`, or a file name in the store. */
  async resolveResume(spec: string, ctx: BaseContext): Promise<TrainerState | null> {
    const file = spec === 'latest' ? await this.latestFile() : spec === 'best' ? Checkpointer.BEST : spec;
    if (file === null) return null;
    const bytes = await this.store.read(file);
    if (bytes === null) {
      const hint = spec === 'best' ? ' (best.safetensors is written when `monitor` is set)' : '';
      throw new CheckpointError(`fit({ resume: '${spec}' }): no checkpoint ${file} in ${this.store.location}${hint}`);
    }
    const ckpt = this.decode(file, bytes);
    if (ckpt.trainer === null) {
      throw new CheckpointError(`fit({ resume: '${spec}' }): ${file} holds weights only, no trainer state; load it with model.loadStateDict or loadPretrained and start a new fit`);
    }
    try {
      ctx.model.loadStateDict(ckpt.model);
    } catch (e) {
      throw new CheckpointError(`fit({ resume: '${spec}' }): ${file} does not fit this model: ${(e as Error).message}`, { cause: e });
    }
    this.resumedFrom = file;
    this.lastSaved = { epoch: ckpt.trainer.epoch, step: ckpt.trainer.step, batchIndex: ckpt.trainer.batchIndex };
    return ckpt.trainer;
  }

  /** Refuses to start a new run over checkpoints of an earlier one (unless `overwrite`, which clears them). */
  async onFitStart(): Promise<void> {
    if (this.resumedFrom !== null) return;
    const ours = (await this.store.list()).filter((f) => f === Checkpointer.LATEST || f === Checkpointer.BEST || NUMBERED.test(f));
    if (ours.length === 0) return;
    if (!this.o.overwrite) {
      throw new CheckpointError(
        `checkpoint: ${this.store.location} already holds checkpoints of an earlier run (${ours.slice(0, 4).join(', ')}${ours.length > 4 ? ', …' : ''}); ` +
          "continue it with fit(model, { …, resume: 'latest' }), or pass checkpoint({ overwrite: true }) to delete them and start over",
      );
    }
    for (const f of ours) await this.store.remove(f);
  }

  stateDict(): CheckpointerState {
    return structuredClone(this.state);
  }

  loadStateDict(state: unknown): void {
    const s = state as Partial<CheckpointerState> | null;
    if (s === null || typeof s !== 'object' || !Array.isArray(s.ranked) || !Array.isArray(s.recent)) throw new CheckpointError('checkpoint: the saved checkpointer state is malformed');
    this.state = { best: s.best ?? null, ranked: [...s.ranked], recent: [...s.recent] };
  }

  /** Reads and verifies a checkpoint file of the store (weights and trainer state). */
  async load(file: string): Promise<Checkpoint> {
    const bytes = await this.store.read(file);
    if (bytes === null) throw new CheckpointError(`checkpoint: no checkpoint ${file} in ${this.store.location}`);
    return this.decode(file, bytes);
  }

  private decode(file: string, bytes: Uint8Array): Checkpoint {
    try {
      return decodeCheckpoint(bytes, { requireChecksum: true });
    } catch (e) {
      throw new CheckpointError(`checkpoint: ${this.store.location}/${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** `latest.safetensors`, else the numbered file with the highest step, else null. */
  private async latestFile(): Promise<string | null> {
    const files = await this.store.list();
    if (files.includes(Checkpointer.LATEST)) return Checkpointer.LATEST;
    const numbered = files.map((f) => ({ f, m: NUMBERED.exec(f) })).filter((x) => x.m !== null);
    numbered.sort((a, b) => Number(b.m![2]) - Number(a.m![2]));
    return numbered[0]?.f ?? null;
  }

  private skip(ctx: BaseContext, trigger: Trigger): boolean {
    const { everyNEpochs, everyNSteps, saveLatest } = this.o;
    const saved = this.lastSaved;
    const savedHere = (): boolean => {
      if (saved === null || saved.step !== ctx.step) return false;
      const { epoch, batchIndex } = ctx.trainer.stateDict();
      return saved.epoch === epoch && saved.batchIndex === batchIndex;
    };
    return (
      ctx.stage !== 'fit' || // only while fitting
      (trigger === 'epoch' && (everyNEpochs === 0 || (ctx.epoch + 1) % everyNEpochs !== 0)) || // not an epoch to save at
      (trigger === 'step' && (everyNSteps === 0 || ctx.step === 0 || ctx.step % everyNSteps !== 0 || saved?.step === ctx.step)) || // not a step to save at, or saved at this step already (skipped optimizer steps)
      (trigger === 'end' && (!saveLatest || savedHere())) // the final state is already the latest
    );
  }

  private async maybeSave(ctx: BaseContext, trigger: Trigger): Promise<void> {
    if (this.skip(ctx, trigger)) return;
    const score = this.score(ctx, trigger);
    const saved: SavedFile = { file: '', epoch: ctx.epoch, step: ctx.step, score };
    const plan = this.plan(saved, trigger);
    const trainer = ctx.trainer.stateDict();
    const bytes = encodeCheckpoint({
      model: ctx.model.stateDict(),
      trainer,
      metadata: { ...this.o.metadata, epoch: String(ctx.epoch), step: String(ctx.step), ...(score !== null ? { [`score.${this.o.monitor}`]: String(score) } : {}) },
    });
    for (const file of plan.write) await this.store.write(file, bytes);
    for (const file of plan.evict) await this.store.remove(file);
    this.lastSaved = { epoch: trainer.epoch, step: trainer.step, batchIndex: trainer.batchIndex };
  }

  /** The monitored metric now; at the end of an epoch it must exist. */
  private score(ctx: BaseContext, trigger: Trigger): number | null {
    const { monitor } = this.o;
    if (monitor === null || trigger === 'end') return null;
    const v = ctx.metrics[monitor];
    if (v !== undefined) return v;
    if (trigger === 'step') return null; // validation metrics appear at the end of the epoch
    const available = Object.keys(ctx.metrics);
    throw new ConfigError(
      `checkpoint({ monitor: '${monitor}' }) found no metric "${monitor}" at the end of epoch ${ctx.epoch}; the metrics are: ${available.join(', ') || '(none)'}` +
        (monitor.startsWith('val') && !available.some((k) => k.startsWith('val')) ? ' (val… metrics need val data: fit(model, { train, val, … }))' : ''),
    );
  }

  /** Updates best / top-k / keep-last for a new save; returns the files to write and those to delete. */
  private plan(saved: SavedFile, trigger: Trigger): { write: string[]; evict: string[] } {
    const { saveLatest, saveBest, topK, keepLast, mode, monitor } = this.o;
    const tag = `epoch=${saved.epoch}-step=${saved.step}`;
    const write: string[] = saveLatest ? [Checkpointer.LATEST] : [];
    const evict: string[] = [];
    if (trigger === 'end') return { write, evict };
    if (saved.score !== null && isBetter(saved.score, this.state.best?.score ?? null, mode)) {
      this.state.best = { ...saved, file: Checkpointer.BEST };
      if (saveBest) write.push(Checkpointer.BEST);
    }
    if (topK !== 0 && saved.score !== null) {
      const entry = { ...saved, file: `${tag}-${monitor}=${formatScore(saved.score)}.safetensors` };
      const r = keepBest(this.state.ranked, entry, topK, mode);
      this.state.ranked = r.list;
      if (r.admitted) write.push(entry.file);
      evict.push(...r.evicted);
    }
    if (keepLast !== 0) {
      const entry = { ...saved, file: `${tag}.safetensors` };
      const r = keepRecent(this.state.recent, entry, keepLast);
      this.state.recent = r.list;
      write.push(entry.file);
      evict.push(...r.evicted);
    }
    return { write, evict: evict.filter((f) => !write.includes(f)) };
  }
}

function formatScore(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v).toLowerCase();
}
