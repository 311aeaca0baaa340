import type { TrainerState } from '@trainkit/core';
import { type Checkpoint, type DecodeOptions, decodeCheckpoint } from './codec';
import { CheckpointError } from './errors';
import { NUMBERED, stepOf } from './ranking';
import type { CheckpointStore } from './store';

/** The most recent checkpoint, and the best one by the monitored metric. */
export const LATEST = 'latest.safetensors';
export const BEST = 'best.safetensors';

/** A checkpoint that holds a trainer state, chosen to resume from. */
export interface ResumePick {
  /** The file as the store names it (a name, or the path given). */
  file: string;
  /** `<location>/<file>`, or the path: what messages and the trainer call it. */
  source: string;
  checkpoint: Checkpoint & { trainer: TrainerState };
  /** Files tried first and passed over, with the reason (a corrupt `latest`, …). */
  skipped: Array<{ file: string; reason: string }>;
}

/** Where a store's file is, for messages. */
export function sourceOf(store: CheckpointStore, file: string): string {
  return /[/\\]/.test(file) ? file : `${store.location}/${file}`;
}

/**
 * Reads and verifies a checkpoint of the store; errors name the file. Returns null when the
 * file does not exist.
 */
export async function loadFile(store: CheckpointStore, file: string, options: DecodeOptions): Promise<Checkpoint | null> {
  let bytes: Uint8Array | null;
  try {
    bytes = await store.read(file);
  } catch (e) {
    throw new CheckpointError(`checkpoint: cannot read ${sourceOf(store, file)}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes === null) return null;
  try {
    return decodeCheckpoint(bytes, { ...options, requireChecksum: true });
  } catch (e) {
    throw new CheckpointError(`checkpoint: ${sourceOf(store, file)}: ${(e as Error).message}`, { cause: e });
  }
}

/** {@link loadFile} for resuming: the file must exist and hold a trainer state. */
async function loadResumable(store: CheckpointStore, file: string, spec: string, options: DecodeOptions): Promise<ResumePick> {
  const checkpoint = await loadFile(store, file, options);
  if (checkpoint === null) {
    const hint = spec === 'best' ? ' (best.safetensors is written when `monitor` is set)' : '';
    throw new CheckpointError(`fit({ resume: '${spec}' }): no checkpoint ${file} in ${store.location}${hint}`);
  }
  if (checkpoint.trainer === null) {
    throw new CheckpointError(`fit({ resume: '${spec}' }): ${sourceOf(store, file)} holds weights only, no trainer state; load it with model.loadStateDict or loadPretrained and start a new fit`);
  }
  return { file, source: sourceOf(store, file), checkpoint: checkpoint as ResumePick['checkpoint'], skipped: [] };
}

/** Resolves `'best'` or a file name (or a path): exactly that file, no fallback. */
export function pickNamed(store: CheckpointStore, spec: string, options: DecodeOptions): Promise<ResumePick> {
  return loadResumable(store, spec === 'best' ? BEST : spec, spec, options);
}

/**
 * Resolves `'best'` for a checkpointer that writes no `best.safetensors` (`saveBest: false`): the
 * top-k file that its state (`stateKey`) in the newest checkpoint names as the best.
 */
export async function pickBestRanked(store: CheckpointStore, stateKey: string, fallback: boolean, options: DecodeOptions): Promise<ResumePick> {
  const latest = await pickLatest(store, fallback, options);
  const file = (latest?.checkpoint.trainer.plugins[stateKey] as { best?: { file?: unknown } | null } | undefined)?.best?.file;
  if (typeof file !== 'string') {
    const why = latest === null ? 'the store holds no checkpoint' : `${latest.source} names no best checkpoint of "${stateKey}" (no epoch had a score yet?)`;
    throw new CheckpointError(`fit({ resume: 'best' }): with saveBest: false the best checkpoint is the top-k file ranked first, but ${why}`);
  }
  return loadResumable(store, file, 'best', options);
}

/**
 * Resolves `'latest'`: `latest.safetensors`; when it is missing, or unusable and `fallback` is
 * on, the newest checkpoint of the store that verifies (by trainer step: the newest numbered
 * file, or `best` when it is newer). Null when the store holds no checkpoint (a fresh start).
 * Without `fallback` a corrupt `latest` is an error, and a missing one falls back to the newest
 * numbered file only.
 */
export async function pickLatest(store: CheckpointStore, fallback: boolean, options: DecodeOptions): Promise<ResumePick | null> {
  const files = await store.list();
  const numbered = files.filter((f) => NUMBERED.test(f)).sort((a, b) => stepOf(b)! - stepOf(a)! || b.localeCompare(a));
  const skipped: ResumePick['skipped'] = [];
  const attempt = async (file: string): Promise<ResumePick | null> => {
    if (!fallback) return loadResumable(store, file, 'latest', options);
    try {
      return await loadResumable(store, file, 'latest', options);
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
      return null;
    }
  };
  if (files.includes(LATEST)) {
    const latest = await attempt(LATEST);
    if (latest !== null) return latest;
  }
  if (!fallback) return numbered.length === 0 ? null : attempt(numbered[0]);
  let found: ResumePick | null = null;
  for (const f of numbered) if ((found = await attempt(f)) !== null) break;
  const best = files.includes(BEST) ? await attempt(BEST) : null;
  if (best !== null && (found === null || best.checkpoint.trainer.step > found.checkpoint.trainer.step)) found = best;
  if (found !== null) return { ...found, skipped };
  if (skipped.length === 0) return null;
  throw new CheckpointError(
    `fit({ resume: 'latest' }): no checkpoint in ${store.location} can be resumed: ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`,
  );
}

/** The warning of a fallback resume: the file used, and why each newer one was passed over. */
export function fallbackWarning(pick: ResumePick): string {
  const why = pick.skipped.map((s) => `${s.file} (${s.reason})`).join('; ');
  return `checkpoint: resuming from ${pick.source} (step ${pick.checkpoint.trainer.step}), the newest checkpoint that verifies, because these could not be used: ${why}`;
}
