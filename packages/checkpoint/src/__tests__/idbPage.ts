// The page script of indexedDb.test.ts (bundled by esbuild for Chromium). `?phase=save` checks
// the store's contract, then trains 2 epochs checkpointing into IndexedDB; `?phase=resume` (a
// new page load: nothing survives but the database) resumes to 4 epochs from 'latest' and
// compares the weights with an uninterrupted 4-epoch run. The outcome goes to window.result.
import { Trainer } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { initKernels } from '@trainkit/tensor';
import { Checkpointer, type CheckpointStore, memoryStore } from '../index';
import { indexedDbStore } from '../indexedDb';
import { bnCnn, imageLoader } from './models';

async function train(store: CheckpointStore, epochs: number, resume: boolean): Promise<{ weights: number[]; resumedFrom: string | null }> {
  const model = bnCnn(0);
  const ckpt = new Checkpointer({ store });
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 5, plugins: [ckpt] });
  await trainer.fit(model, { train: imageLoader(), epochs, resume: resume ? 'latest' : undefined });
  return { weights: model.parameters().flatMap((p) => Array.from(p.data)), resumedFrom: ckpt.resumedFrom };
}

async function contract(): Promise<string[]> {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => void (ok || problems.push(what));
  const s = indexedDbStore({ run: 'contract' });
  const other = indexedDbStore({ run: 'other' });
  await s.prepare();
  await s.write('a', Uint8Array.of(1, 2, 3));
  await other.write('a', Uint8Array.of(9));
  check(String(await s.read('a')) === '1,2,3', 'read returns what was written');
  await s.write('a', Uint8Array.of(4, 5));
  check(String(await s.read('a')) === '4,5', 'a second write replaces the file');
  check(JSON.stringify(await s.list()) === '["a"]', `list shows this run's files only: ${JSON.stringify(await s.list())}`);
  check(String(await other.read('a')) === '9', "another run's file of the same name is separate");
  await s.remove('a');
  check((await s.read('a')) === null, 'a removed file reads as null');
  await s.remove('a'); // removing again is no error
  check(JSON.stringify(await s.list()) === '[]', 'list is empty after remove');
  check(s.location === 'indexeddb://trainkit-checkpoints/contract', `location: ${s.location}`);
  return problems;
}

async function main(): Promise<unknown> {
  await initKernels(); // the same kernels in both page loads
  const phase = new URLSearchParams((globalThis as unknown as { location: { search: string } }).location.search).get('phase');
  const store = indexedDbStore({ run: 'exact-resume' });
  if (phase === 'save') {
    const problems = await contract();
    const first = await train(store, 2, false);
    return { problems, resumedFrom: first.resumedFrom, files: await store.list() };
  }
  const resumed = await train(store, 4, true);
  const straight = await train(memoryStore(), 4, false);
  const same = resumed.weights.length === straight.weights.length && resumed.weights.every((v, i) => Object.is(v, straight.weights[i]));
  return { resumedFrom: resumed.resumedFrom, same, n: resumed.weights.length };
}

const report = (r: unknown) => void ((globalThis as unknown as { result: unknown }).result = r);
main().then(report, (err: unknown) => report({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
