import { ConfigError, PluginError, type BaseContext, type Plugin, type ResumeState } from '@trainkit/core';
import { type Checkpoint, encodeCheckpoint } from './codec';
import { CheckpointError, hintFor } from './errors';
import { type CheckpointOptions, type ResolvedOptions, resolveOptions } from './options';
import { type CheckpointerState, type SavedFile, NUMBERED, isBetter, keepBest, keepRecent, rankedFileName, reconcile } from './ranking';
import { BEST, LATEST, fallbackWarning, loadFile, pickBestRanked, pickLatest, pickNamed, sourceOf } from './resume';
import type { CheckpointStore } from './store';

type Trigger = 'epoch' | 'step' | 'end';
type Listener = (ctx: BaseContext) => Promise<void>;

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
  static readonly LATEST = LATEST;
  /** The best checkpoint by the monitored metric. */
  static readonly BEST = BEST;

  readonly name: string;
  readonly stateKey: string;
  readonly store: CheckpointStore;
  /** The file the current fit resumed from, or null (fresh start). */
  resumedFrom: string | null = null;
  private readonly o: ResolvedOptions;
  private state: CheckpointerState = { best: null, ranked: [], recent: [] };
  private lastSaved: { epoch: number; step: number; batchIndex: number } | null = null;
  private release: (() => Promise<void>) | null = null;
  /** Whether this fit restored the checkpointer's lists from a checkpoint (only then can they judge the store's files). */
  private restored = false;
  /** The plugin state keys of the file resumed from (for the warning when this checkpointer's is not among them). */
  private resumedStates: string[] = [];
  private listeners: Array<['trainEpochEnd' | 'trainBatchEnd' | 'fitEnd', Listener]> = [];

  constructor(options: CheckpointOptions) {
    this.o = resolveOptions(options);
    this.name = this.o.name;
    this.stateKey = this.o.stateKey;
    this.store = this.o.store;
  }

  /** How the monitored metric ranks: the `mode` option, or the default it resolved to. */
  get mode(): 'min' | 'max' { return this.o.mode; }

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
    this.restored = false;
    try {
      await this.store.prepare();
    } catch (e) {
      throw new CheckpointError(`checkpoint: cannot write checkpoints to ${this.store.location}: ${(e as Error).message}`, { cause: e });
    }
    this.release = (await this.store.lock?.()) ?? null;
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

  /** Stops listening and releases the store's writer lock. */
  async teardown(ctx: BaseContext): Promise<void> {
    for (const [event, listener] of this.listeners) ctx.trainer.off(event, listener);
    this.listeners = [];
    const release = this.release;
    this.release = null;
    await release?.();
  }

  /**
   * Resolves `fit({ resume })`: `'latest'` (a fresh start when nothing was saved yet; with
   * `resumeFallback`, the newest file that verifies when `latest` does not), `'best'`, or a
   * file name in the store. Returns the trainer state with the weights (`model`) and the file
   * (`source`) without touching the model: the trainer checks everything first and only then
   * applies it, so a refused resume changes nothing.
   */
  async resolveResume(spec: string): Promise<ResumeState | null> {
    const { store, resumeFallback, saveBest, topK } = this.o;
    const local = /[/\\]/.test(spec) ? store.nameOf?.(spec) : null; // a path into the store's own directory: that file, as a file of this run
    if (typeof local === 'string' && local !== 'latest' && local !== 'best') spec = local;
    const pick =
      spec === 'latest' ? await pickLatest(store, resumeFallback, {})
      : spec === 'best' && !saveBest && topK !== 0 ? await pickBestRanked(store, this.stateKey, resumeFallback, {})
      : await pickNamed(store, spec, {});
    if (pick === null) return null;
    if (pick.skipped.length > 0) this.o.warn(fallbackWarning(pick));
    const { trainer, model } = pick.checkpoint;
    this.resumedFrom = pick.file;
    this.resumedStates = Object.keys(trainer.plugins);
    this.lastSaved = { epoch: trainer.epoch, step: trainer.step, batchIndex: trainer.batchIndex };
    return { ...trainer, model, source: pick.source };
  }

  /** Refuses to start a new run over checkpoints of an earlier one (unless `overwrite`, which clears them). */
  async onFitStart(ctx: BaseContext): Promise<void> {
    const elsewhere = this.resumedFrom !== null && /[/\\]/.test(this.resumedFrom);
    // resumed: from a file this checkpointer resolved, or from another checkpointer's file that held its state too
    if (!elsewhere && (this.resumedFrom !== null || this.restored)) return this.reconcile(ctx.step);
    const files = await this.store.list();
    if (elsewhere) {
      // resumed from a file of another store: its lists name files this store does not hold
      const here = new Set(files);
      const { best, ranked, recent } = this.state;
      this.state = { best: here.has(Checkpointer.BEST) ? best : null, ranked: ranked.filter((f) => here.has(f.file)), recent: recent.filter((f) => here.has(f.file)) };
    }
    const ours = files.filter((f) => f === Checkpointer.LATEST || f === Checkpointer.BEST || NUMBERED.test(f));
    if (ours.length === 0) return;
    if (!this.o.overwrite) {
      throw new CheckpointError(
        `checkpoint: ${this.store.location} already holds checkpoints of an earlier run (${ours.slice(0, 4).join(', ')}${ours.length > 4 ? ', …' : ''}); ` +
          "continue it with fit(model, { …, resume: 'latest' }), or pass checkpoint({ overwrite: true }) to delete them and start over",
      );
    }
    for (const f of ours) await this.store.remove(f);
  }

  /**
   * After resuming from a file of the store: deletes the numbered files up to the resume step
   * that the restored lists do not name (a run killed between writing a checkpoint and deleting
   * the one it replaced leaves them) and drops list entries whose file is gone, so the store holds
   * what the retention policy says. Files saved after the resume step (a resume from 'best' or an
   * older file) are kept, with a warning.
   */
  private async reconcile(resumedAtStep: number): Promise<void> {
    if (!this.restored) {
      // no lists of this store to go by: the file was saved by a checkpointer with another stateKey (another monitor)
      const has = this.resumedStates.length > 0 ? this.resumedStates.join(', ') : 'none';
      return this.o.warn(
        `checkpoint: ${sourceOf(this.store, this.resumedFrom!)} holds no state of this checkpointer (stateKey "${this.stateKey}"; the file has: ${has}); ` +
          `its best and top-k lists start afresh${this.o.saveBest ? `, ${BEST} will be replaced by this run's best,` : ''} and the numbered files already in ${this.store.location} are kept outside its lists`,
      );
    }
    const { state, orphans, later } = reconcile(this.state, await this.store.list(), resumedAtStep);
    this.state = state;
    for (const f of orphans) await this.removeFile(f);
    if (orphans.length > 0) this.o.warn(`checkpoint: deleted ${orphans.length} checkpoint file(s) of ${this.store.location} that the retention policy no longer keeps (left by an interrupted run): ${orphans.join(', ')}`);
    if (later.length > 0) this.o.warn(`checkpoint: ${this.store.location} holds ${later.length} checkpoint file(s) saved after the step this run resumed from (${later.join(', ')}); they are kept, outside the retention lists`);
  }

  stateDict(): CheckpointerState {
    return structuredClone(this.state);
  }

  loadStateDict(state: unknown): void {
    const s = state as Partial<CheckpointerState> | null;
    if (s === null || typeof s !== 'object' || !Array.isArray(s.ranked) || !Array.isArray(s.recent)) throw new CheckpointError('checkpoint: the saved checkpointer state is malformed');
    this.state = { best: s.best ?? null, ranked: [...s.ranked], recent: [...s.recent] };
    this.restored = true;
  }

  /** Reads and verifies a checkpoint file of the store (weights and trainer state); errors name the file. */
  async load(file: string): Promise<Checkpoint> {
    const ckpt = await loadFile(this.store, file, {});
    if (ckpt === null) throw new CheckpointError(`checkpoint: no checkpoint ${file} in ${this.store.location}`);
    return ckpt;
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
    await ctx.sync(); // training on a device: its parameters and optimizer state come back first
    const score = this.score(ctx, trigger);
    const saved: SavedFile = { file: '', epoch: ctx.epoch, step: ctx.step, score };
    const plan = this.plan(saved, trigger);
    const trainer = ctx.trainer.stateDict();
    const bytes = encodeCheckpoint({
      model: ctx.model.stateDict(),
      trainer,
      metadata: { ...this.o.metadata, epoch: String(ctx.epoch), step: String(ctx.step), ...(score !== null ? { [`score.${this.o.monitor}`]: String(score) } : {}) },
    });
    // latest last: every file its lists name exists before it does; a kill before the evictions leaves orphans the next resume deletes
    for (const file of plan.write.filter((f) => f !== LATEST)) await this.writeFile(file, bytes, ctx);
    if (plan.write.includes(LATEST)) await this.writeFile(LATEST, bytes, ctx);
    for (const file of plan.evict) await this.removeFile(file);
    this.lastSaved = { epoch: trainer.epoch, step: trainer.step, batchIndex: trainer.batchIndex };
  }

  private async writeFile(file: string, bytes: Uint8Array, ctx: BaseContext): Promise<void> {
    try {
      await this.store.write(file, bytes);
    } catch (e) {
      const what = `${file} (${bytes.length} bytes, epoch ${ctx.epoch} step ${ctx.step})`;
      throw new CheckpointError(`checkpoint: cannot save ${what} to ${this.store.location}: ${(e as Error).message}${hintFor(e)}; the files saved before are intact`, { cause: e });
    }
  }

  private async removeFile(file: string): Promise<void> {
    try {
      await this.store.remove(file);
    } catch (e) {
      throw new CheckpointError(`checkpoint: cannot delete ${sourceOf(this.store, file)}: ${(e as Error).message}${hintFor(e)}`, { cause: e });
    }
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
    const write: string[] = saveLatest ? [Checkpointer.LATEST] : [];
    const evict: string[] = [];
    if (trigger === 'end') return { write, evict };
    const improved = saved.score !== null && isBetter(saved.score, this.state.best?.score ?? null, mode);
    if (improved && saveBest) write.push(Checkpointer.BEST);
    let bestFile: string = Checkpointer.BEST; // without best.safetensors, the best is the top-k file ranked first
    if (topK !== 0 && saved.score !== null) {
      const entry = { ...saved, file: rankedFileName(saved, monitor!) };
      const r = keepBest(this.state.ranked, entry, topK, mode);
      this.state.ranked = r.list;
      if (r.admitted) write.push(entry.file);
      if (r.admitted && !saveBest) bestFile = entry.file;
      evict.push(...r.evicted);
    }
    if (improved) this.state.best = { ...saved, file: bestFile };
    if (keepLast !== 0) {
      const entry = { ...saved, file: `epoch=${saved.epoch}-step=${saved.step}.safetensors` };
      const r = keepRecent(this.state.recent, entry, keepLast);
      this.state.recent = r.list;
      write.push(entry.file);
      evict.push(...r.evicted);
    }
    return { write, evict: evict.filter((f) => !write.includes(f)) };
  }
}
