import { ValueError } from '@trainkit/tensor';
import { closeSync, openSync } from 'node:fs';
import { AtomicFile } from './atomicFile';
import { DecodePool, type PoolOptions } from './decodePool';
import { type CacheFooter, encodeFooter, sampleBytes } from './imageCache';
import type { ImageEntry } from './imageFiles';
import type { ResolvedImageOptions } from './imageFolderOptions';

/** A builder dropped before it finished (a split never read to the end) closes its file and workers when collected. */
const abandoned = new FinalizationRegistry<{ fd: number; file: AtomicFile; pool: DecodePool }>(({ fd, file, pool }) => {
  closeSync(fd);
  void file.abort();
  void pool.close();
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
 * `lazy` option). {@link ensure} decodes one image in the worker pool, unless it is decoded or
 * on its way, and writes its bytes into the temporary cache file at its slot; when every slot
 * is written the footer follows and the file is renamed into place (atomically, as an
 * up-front build). {@link fd} reads the temporary file and, after the rename, the cache
 * itself (the same file). A file that does not decode fails the build: the temporary file is
 * removed, nothing is ever committed half-written.
 */
export class CacheBuilder {
  /** Open for reading on the file being written (the cache once committed). */
  readonly fd: number;
  /** Settles once the cache is committed (or the build failed); undefined while slots remain. */
  finished: Promise<void> | undefined;
  /** Whether the cache file is complete and in place. */
  committed = false;
  private readonly written: Uint8Array;
  private readonly pending = new Map<number, Promise<void>>();
  private remaining: number;
  private failure: Error | undefined;

  private constructor(
    private readonly init: CacheBuilderInit,
    private readonly file: AtomicFile,
    private readonly pool: DecodePool,
  ) {
    this.fd = openSync(file.temp, 'r');
    this.written = new Uint8Array(init.entries.length);
    this.remaining = init.entries.length;
    abandoned.register(this, { fd: this.fd, file, pool });
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

  /** Whether slot `slot` is decoded and written. */
  has(slot: number): boolean {
    return this.written[slot] === 1;
  }

  /** Decodes slot `slot` into the file, once; rejects (and fails the build) when it does not decode. */
  ensure(slot: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.written[slot] === 1) return Promise.resolve();
    let job = this.pending.get(slot);
    if (job === undefined) {
      job = this.decode(slot).finally(() => this.pending.delete(slot));
      this.pending.set(slot, job);
    }
    return job;
  }

  private async decode(slot: number): Promise<void> {
    const { entries, shape } = this.init;
    try {
      const r = await this.pool.decode(entries[slot].path);
      if ('error' in r) throw new ValueError(`imageFolder: cannot decode ${entries[slot].path}: ${r.error}`);
      await this.file.write(r.pixels, slot * sampleBytes(shape));
    } catch (e) {
      throw await this.abort(e as Error);
    }
    this.written[slot] = 1;
    if (--this.remaining === 0) this.finished = this.commit();
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
    await this.file.abort();
    await this.pool.close();
    return this.failure;
  }
}
