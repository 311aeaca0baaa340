/** A checkpoint file the checkpointer wrote and keeps track of. */
export interface SavedFile {
  readonly file: string;
  readonly epoch: number;
  readonly step: number;
  /** The monitored metric when it was saved (null without a monitor or when not logged yet). */
  readonly score: number | null;
}

/** The checkpointer's own state, saved inside every checkpoint so a resumed run keeps ranking where it left off. */
export interface CheckpointerState {
  /** The best checkpoint so far (what `best.safetensors` holds). */
  best: SavedFile | null;
  /** The top-k files, best first. */
  ranked: SavedFile[];
  /** The keep-last files, oldest first. */
  recent: SavedFile[];
}

/** Ranked and keep-last files: `epoch=3-step=1200.safetensors`, `epoch=3-step=1200-valLoss=0.2345.safetensors`. */
export const NUMBERED = /^epoch=(\d+)-step=(\d+)(?:-.+=.+)?\.safetensors$/;

/** The step in a numbered file's name, or null for any other file. */
export function stepOf(file: string): number | null {
  const m = NUMBERED.exec(file);
  return m === null ? null : Number(m[2]);
}

/**
 * Reconciles the retention lists with the files of a store (`files`): the numbered files no
 * list names (left behind by a run killed between writing a checkpoint and deleting the one
 * it replaced) are `orphans` to delete, and list entries whose file does not exist are dropped.
 */
export function reconcile(state: CheckpointerState, files: readonly string[], resumedAtStep = Number.POSITIVE_INFINITY): { state: CheckpointerState; orphans: string[]; later: string[] } {
  const present = new Set(files);
  const ranked = state.ranked.filter((f) => present.has(f.file));
  const recent = state.recent.filter((f) => present.has(f.file));
  const listed = new Set([...ranked, ...recent].map((f) => f.file));
  const unlisted = files.filter((f) => NUMBERED.test(f) && !listed.has(f));
  // only files older than the resume point are leftovers of a crash. Files saved after it belong
  // to the timeline the resume left (resumed from 'best' or an older file): kept, never deleted.
  // One saved at the resume step itself is kept silently: a second checkpointer's lists, carried
  // in the first one's file, were taken just before its own save of that step
  const stepOf = (f: string) => Number(NUMBERED.exec(f)?.[2]);
  return { state: { best: state.best, ranked, recent }, orphans: unlisted.filter((f) => stepOf(f) < resumedAtStep), later: unlisted.filter((f) => stepOf(f) > resumedAtStep) };
}

/** Whether `score` beats `best` (NaN never does; anything beats nothing). */
export function isBetter(score: number, best: number | null, mode: 'min' | 'max'): boolean {
  if (Number.isNaN(score)) return false;
  if (best === null || Number.isNaN(best)) return true;
  return mode === 'min' ? score < best : score > best;
}

/**
 * Adds `entry` to the `k` best (k = -1: unlimited). Returns the new list (best first), whether
 * the entry made it, and the files that dropped out. An entry for a file already listed
 * replaces it.
 */
export function keepBest(list: readonly SavedFile[], entry: SavedFile, k: number, mode: 'min' | 'max'): { list: SavedFile[]; admitted: boolean; evicted: string[] } {
  const score = (f: SavedFile) => (f.score === null || Number.isNaN(f.score) ? (mode === 'min' ? Infinity : -Infinity) : f.score);
  const next = [...list.filter((f) => f.file !== entry.file), entry];
  next.sort((a, b) => (mode === 'min' ? score(a) - score(b) : score(b) - score(a)) || a.step - b.step);
  const kept = k < 0 ? next : next.slice(0, k);
  return { list: kept, admitted: kept.includes(entry), evicted: next.filter((f) => !kept.includes(f) && f !== entry).map((f) => f.file) };
}

/** Appends `entry` to the `k` most recent (k = -1: unlimited); returns the list (oldest first) and the files that dropped out. */
export function keepRecent(list: readonly SavedFile[], entry: SavedFile, k: number): { list: SavedFile[]; evicted: string[] } {
  const next = [...list.filter((f) => f.file !== entry.file), entry];
  const kept = k < 0 ? next : next.slice(Math.max(0, next.length - k));
  return { list: kept, evicted: next.filter((f) => !kept.includes(f)).map((f) => f.file) };
}

/**
 * The name of a top-k file: `epoch=E-step=S-<monitor>=V.safetensors`. Characters no file name
 * may hold (`/` of `val/loss`, `\`, `:`, `*`, `?`, `"`, `<`, `>`, `|`, control characters) become `_`.
 */
export function rankedFileName(saved: SavedFile, monitor: string): string {
  const v = saved.score ?? NaN;
  const score = Number.isFinite(v) ? v.toFixed(4) : String(v).toLowerCase();
  // eslint-disable-next-line no-control-regex
  return `epoch=${saved.epoch}-step=${saved.step}-${monitor.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_')}=${score}.safetensors`;
}
