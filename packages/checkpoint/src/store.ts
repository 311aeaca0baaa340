/**
 * Where a {@link Checkpointer} keeps its files: a directory on disk (`directoryStore` from
 * `@trainkit/checkpoint/node`), memory ({@link memoryStore}), or anything else that can write a
 * file atomically (IndexedDB, the Origin Private File System, object storage).
 */
export interface CheckpointStore {
  /** Where the files go, for messages: a directory path, `memory`, a URL. */
  readonly location: string;
  /** Makes the store ready (creates the directory) and proves it writable; throws a message naming the location otherwise. */
  prepare(): Promise<void>;
  /** Replaces the file `name` atomically: whatever happens (a crash, a kill), `name` then holds either the old or the new bytes in full. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or null when there is no such file. */
  read(name: string): Promise<Uint8Array | null>;
  /** Deletes the file (no error if it is already gone). */
  remove(name: string): Promise<void>;
  /** The names of the files in the store. */
  list(): Promise<string[]>;
  /**
   * Optional: takes the store's single-writer lock for one fit and returns its release
   * function; throws a message naming the holder when another writer has it. The directory
   * store implements it with a lock file; a store without it is not protected against two
   * writers.
   */
  lock?(): Promise<() => Promise<void>>;
  /**
   * Optional: the name of this store's file that `path` (a path given to `fit({ resume })`)
   * points to, or null when it lies elsewhere; the directory store implements it, so a path into
   * its own directory resumes like the file's name (continuing the run and its lists).
   */
  nameOf?(path: string): string | null;
}

/**
 * A store in memory, for browsers without persistent storage and for tests. Writes copy the
 * bytes, so later changes by the caller do not reach the stored file.
 *
 * @example
 * const store = memoryStore();
 * new Trainer({ optimizer, plugins: [new Checkpointer({ store, monitor: 'valLoss' })] });
 */
export function memoryStore(): CheckpointStore & { readonly files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    location: 'memory',
    files,
    prepare: async () => {},
    write: async (name, bytes) => void files.set(name, bytes.slice()),
    read: async (name) => files.get(name)?.slice() ?? null,
    remove: async (name) => void files.delete(name),
    list: async () => [...files.keys()],
  };
}
