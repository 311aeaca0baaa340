import { CheckpointError } from './errors';
import type { CheckpointStore } from './store';

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** The run's name: its files are kept apart from other runs' in the same database. */
  run: string;
  /** The IndexedDB database (default `'trainkit-checkpoints'`); it holds one object store, `files`. */
  database?: string;
}

/** The parts of the IndexedDB API the store uses (typed here: the package builds without the DOM library). */
interface Request<T> {
  result: T;
  error: { message: string } | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface OpenRequest extends Request<Db> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}
interface Db {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): void;
  transaction(store: string, mode: 'readonly' | 'readwrite'): Tx;
  close(): void;
}
interface Tx {
  objectStore(name: string): {
    put(value: unknown, key: string): Request<unknown>;
    get(key: string): Request<unknown>;
    delete(key: string): Request<unknown>;
    getAllKeys(range: unknown): Request<string[]>;
  };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: { message: string } | null;
}
interface IdbScope {
  indexedDB?: { open(name: string, version: number): OpenRequest };
  IDBKeyRange?: { bound(lower: string, upper: string): unknown };
}

const FILES = 'files';

/**
 * A checkpoint store in the browser's IndexedDB, so a run survives a closed tab or a crashed
 * page and `fit({ resume: 'latest' })` continues it on the next visit. Each file is written in
 * one IndexedDB transaction, which commits whole or not at all: a file holds either its old or
 * its new bytes, never a mix. Files of different runs are kept apart by `run`.
 *
 * @param options the run's name and, optionally, the database
 * @example
 * const store = indexedDbStore({ run: 'mnist-cnn' });
 * const trainer = new Trainer({ optimizer, plugins: [new Checkpointer({ store, monitor: 'valLoss' })] });
 * await trainer.fit(model, { train, val, epochs: 10, resume: 'latest' });
 */
export function indexedDbStore(options: IndexedDbStoreOptions): CheckpointStore {
  const { run, database = 'trainkit-checkpoints' } = options ?? ({} as IndexedDbStoreOptions);
  if (typeof run !== 'string' || run === '' || run.includes('/')) {
    throw new CheckpointError(`indexedDbStore: run must be a non-empty name without "/", got ${JSON.stringify(run)}`);
  }
  const location = `indexeddb://${database}/${run}`;
  const key = (name: string) => `${run}/${name}`;
  let db: Promise<Db> | null = null;

  const fail = (what: string, error: { message: string } | null | undefined) =>
    new CheckpointError(`${location}: ${what} failed: ${error?.message ?? 'unknown IndexedDB error'}`);

  const open = (): Promise<Db> => {
    db ??= new Promise<Db>((resolve, reject) => {
      const idb = (globalThis as IdbScope).indexedDB;
      if (idb === undefined) return reject(new CheckpointError(`${location}: IndexedDB is not available in this runtime (in Node, use checkpoint({ dir }) from @trainkit/checkpoint/node)`));
      const req = idb.open(database, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(FILES)) req.result.createObjectStore(FILES);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(fail('opening the database', req.error));
      req.onblocked = () => reject(new CheckpointError(`${location}: the database is blocked by another tab holding an older version open`));
    }).catch((err: unknown) => {
      db = null; // let a later call try again
      throw err;
    });
    return db;
  };

  /** Runs one request in its own transaction; resolves with its result once the transaction committed. */
  const run1 = async <T>(mode: 'readonly' | 'readwrite', what: string, make: (s: ReturnType<Tx['objectStore']>) => Request<T>): Promise<T> => {
    const d = await open();
    return new Promise<T>((resolve, reject) => {
      let tx: Tx;
      try {
        tx = d.transaction(FILES, mode);
      } catch (err) {
        return reject(fail(what, err as { message: string }));
      }
      const req = make(tx.objectStore(FILES));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(fail(what, req.error ?? tx.error));
      tx.onabort = () => reject(fail(what, tx.error ?? { message: 'the transaction was aborted (storage quota?)' }));
    });
  };

  return {
    location,
    async prepare() {
      const probe = key('.probe');
      await run1('readwrite', 'a test write', (s) => s.put(new Uint8Array(1), probe));
      await run1('readwrite', 'a test delete', (s) => s.delete(probe));
    },
    async write(name, bytes) {
      await run1('readwrite', `writing ${name}`, (s) => s.put(bytes.slice(), key(name)));
    },
    async read(name) {
      const v = await run1('readonly', `reading ${name}`, (s) => s.get(key(name)));
      if (v === undefined) return null;
      if (!(v instanceof Uint8Array)) throw new CheckpointError(`${location}: ${name} is not a byte array (written by something else?)`);
      return v;
    },
    async remove(name) {
      await run1('readwrite', `deleting ${name}`, (s) => s.delete(key(name)));
    },
    async list() {
      const range = (globalThis as IdbScope).IDBKeyRange?.bound(`${run}/`, `${run}/\uffff`);
      const keys = await run1('readonly', 'listing', (s) => s.getAllKeys(range));
      return keys.map((k) => k.slice(run.length + 1)).filter((n) => n !== '.probe');
    },
  };
}
