import { ValueError } from '@trainkit/tensor';
import { closeSync, openSync } from 'node:fs';
import { AtomicFile } from './atomicFile';
import { DecodePool, type PoolOptions } from './decodePool';
import { type CacheFooter, encodeFooter, sampleBytes } from './imageCache';
import type { ImageEntry } from './imageFiles';
import type { ResolvedImageOptions } from './imageFolderOptions';

/** A builder dropped before it finished (a split never read to the end) closes its file and workers when collected. */
const abandoned = new FinalizationRegistry<{ fd: number; file: AtomicFile; pool: DecodePool }>(({ fd, file, pool }) => {
  void pool.close().finally(() => {
    closeSync(fd);
    void file.abort();
  });
});

/** What a {@link CacheBuilder} decodes, and where its cache goes. */
export interface CacheBuilderInit {
  cacheFile: string;
  key: string;
  shape: [number, number, number];
  entries: readonly ImageEntry[];
  opts: ResolvedImageOptions;
  sharpPath: string;
}

/**
 * The decoded cache of a split, written while the first epoch reads it (`imageFolder`'s
 * `lazy` option). {@link ensure} asks for one image unless it is decoded or on its way; the
 * images asked for in one turn of the event loop (a batch) go to the worker pool together,
 * which decodes them and writes their bytes into the temporary cache file at their slots;
 * when every slot is written the footer follows and the file is renamed into place
 * (atomically, as an up-front build). {@link fd} reads the temporary file and, after the
 * rename, the cache itself (the same file). A file that does not decode fails the build: the
 * temporary file is removed, nothing is ever committed half-written.
 */
export class CacheBuilder {
  /** Open on the file being written (the cache once committed); the workers write through it too. */
  readonly fd: number;
  /** Settles once the cache is committed (or the build failed); undefined while slots remain. */
  finished: Promise<void> | undefined;
  /** Whether the cache file is complete and in place. */
  committed = false;
  private readonly written: Uint8Array;
  /** Slots on their way: the promise {@link ensure} returns, and how to settle it. */
  private readonly pending = new Map<number, { job: Promise<void>; resolve(): void; reject(e: Error): void }>();
  /** Slots asked for in this turn, not sent to the pool yet. */
  private asked: number[] = [];
  private remaining: number;
  private failure: Error | undefined;

  private constructor(
    private readonly init: CacheBuilderInit,
    private readonly file: AtomicFile,
    private readonly pool: DecodePool,
  ) {
    this.fd = openSync(file.temp, 'r+');
    this.written = new Uint8Array(init.entries.length);
    this.remaining = init.entries.length;
    abandoned.register(this, { fd: this.fd, file, pool }, this);
  }

  /** Starts a build: an empty temporary cache file and the decoding workers. */
  static async start(init: CacheBuilderInit): Promise<CacheBuilder> {
    const { opts, entries, sharpPath } = init;
    const empty = entries.find((e) => e.size === 0);
    if (empty !== undefined) throw new ValueError(`imageFolder: cannot decode ${empty.path}: empty file (0 bytes)`);
    const file = await AtomicFile.create(init.cacheFile);
    const options: PoolOptions = { sharpPath, workers: Math.max(1, Math.min(opts.workers, entries.length)), prefetch: opts.prefetch };
    return new CacheBuilder(init, file, new DecodePool(opts.spec, options));
  }

  /** Stops the build for good (the call that started it failed): the workers stop, the temporary file is removed, nothing is committed. */
  async cancel(): Promise<void> {
    abandoned.unregister(this);
    await this.abort(new Error('imageFolder: this split was not returned (the imageFolder call failed), so its cache is not built'));
    closeSync(this.fd);
  }

  /** Whether slot `slot` is decoded and written. */
  has(slot: number): boolean {
    return this.written[slot] === 1;
  }

  /** Decodes slot `slot` into the file, once; rejects (and fails the build) when it does not decode. */
  ensure(slot: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.written[slot] === 1) return Promise.resolve();
    const known = this.pending.get(slot);
    if (known !== undefined) return known.job;
    if (this.asked.length === 0) queueMicrotask(() => this.send());
    this.asked.push(slot);
    const { promise, resolve, reject } = withResolvers();
    this.pending.set(slot, { job: promise, resolve, reject });
    return promise;
  }

  /** Sends the slots asked for to the pool, as one call. */
  private send(): void {
    const slots = this.asked;
    this.asked = [];
    const { entries, shape } = this.init;
    const bytes = sampleBytes(shape);
    const items = slots.map((s) => ({ path: entries[s].path, position: s * bytes }));
    const bad = (i: number, reason: string): never => {
      throw new ValueError(`imageFolder: cannot decode ${entries[slots[i]].path}: ${reason}`);
    };
    this.pool.decode(this.fd, items, bad).then(
      () => this.wrote(slots),
      async (e: Error) => {
        const failure = await this.abort(e);
        for (const s of slots) this.settle(s, failure);
      },
    );
  }

  private wrote(slots: readonly number[]): void {
    for (const s of slots) this.written[s] = 1;
    this.remaining -= slots.length;
    if (this.remaining === 0) this.finished = this.commit();
    for (const s of slots) this.settle(s);
  }

  private settle(slot: number, error?: Error): void {
    const waiter = this.pending.get(slot);
    this.pending.delete(slot);
    if (error === undefined) waiter?.resolve();
    else waiter?.reject(error);
  }

  private async commit(): Promise<void> {
    const { key, entries, shape } = this.init;
    try {
      const footer: Omit<CacheFooter, 'format'> = { key, count: entries.length, sampleShape: shape, skipped: [] };
      await this.file.write(encodeFooter(footer), entries.length * sampleBytes(shape));
      await this.file.commit();
      this.committed = true;
    } catch (e) {
      throw await this.abort(e as Error);
    }
    await this.pool.close();
  }

  private async abort(e: Error): Promise<Error> {
    this.failure ??= e;
    await this.pool.close(); // no worker writes into the file any more
    await this.file.abort();
    return this.failure;
  }
}

/** `Promise.withResolvers` (Node 22+), for Node 20. */
function withResolvers(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve = (): void => {};
  let reject = (_: Error): void => {};
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
