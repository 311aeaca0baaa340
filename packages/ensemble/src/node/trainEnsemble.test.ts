import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getDefaultRng, manualSeed } from '@trainkit/nn';
import { Tensor } from '@trainkit/tensor';
import { MemberError, type MemberProgress, type TrainedEnsemble, loadEnsemble, loadMember, trainEnsemble } from '../node';
import { tinyMember, tinyModel, toyDataset } from '../__tests__/tinyMember';

const member = new URL('../__tests__/tinyMember.ts', import.meta.url);
const values = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data)]));
const dir = mkdtempSync(join(tmpdir(), 'trainkit-ensemble-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainEnsemble: members on worker threads', () => {
  let sequential: TrainedEnsemble;
  let parallel: TrainedEnsemble;
  const events: MemberProgress[] = [];

  beforeAll(async () => {
    sequential = await trainEnsemble({ member, members: 3, concurrency: 1, params: { epochs: 3 } });
    parallel = await trainEnsemble({ member, members: 3, concurrency: 2, params: { epochs: 3 }, dir: join(dir, 'parallel'), onProgress: (e) => events.push(e) });
  });

  test('concurrency 2 (worker threads) and concurrency 1 (calling thread) give bit-identical weights', () => {
    expect(parallel.members.map((m) => values(m.state))).toEqual(sequential.members.map((m) => values(m.state)));
    // …and each really ran where it says: the fixture logs isMainThread into the history
    expect(sequential.members.map((m) => m.history[0].metrics.mainThread)).toEqual([1, 1, 1]);
    expect(parallel.members.map((m) => m.history[0].metrics.mainThread)).toEqual([0, 0, 0]);
  });

  test('progress arrives from the workers for every member, start to end', () => {
    for (const m of [0, 1, 2]) {
      const mine = events.filter((e) => e.member === m && e.phase !== 'batch');
      expect(mine.map((e) => e.phase)).toEqual(['start', 'epoch', 'epoch', 'epoch', 'end']);
    }
  });

  test('each member is saved as a safetensors checkpoint, and the folder loads back as the same ensemble', async () => {
    const { state, info } = await loadMember(join(dir, 'parallel', 'member-1.safetensors'));
    expect(values(state)).toEqual(values(parallel.members[1].state));
    expect(info).toMatchObject({ index: 1, seed: 1, history: [{ epoch: 0 }, { epoch: 1 }, { epoch: 2 }] });
    const loaded = await loadEnsemble(join(dir, 'parallel'), () => tinyModel({ rng: getDefaultRng() }));
    const x = toyDataset(16, 42).gather(Array.from({ length: 16 }, (_, i) => i)).x;
    expect(Array.from(loaded.call(x).data)).toEqual(Array.from(parallel.ensemble().call(x).data));
  });

  test('a crashing worker fails only its member: the error names it, the others finish and keep their checkpoints', async () => {
    const out = join(dir, 'crash');
    const err = (await trainEnsemble({ member, members: 3, concurrency: 2, params: { crashMember: 1 }, dir: out }).catch((e: unknown) => e)) as MemberError;
    expect(err).toBeInstanceOf(MemberError);
    expect(err.message).toBe('ensemble: member 1 (seed 1) failed: its worker thread exited with code 3 before the member finished');
    expect(err.completed).toEqual([0, 2]);
    expect([0, 1, 2].map((i) => existsSync(join(out, `member-${i}.safetensors`)))).toEqual([true, false, true]);
  });

  test('an error inside a member is raised in the caller with the member named', async () => {
    await expect(trainEnsemble({ member, members: 2, concurrency: 2, params: { failMember: 0 } })).rejects.toThrow(/^ensemble: member 0 \(seed 0\) failed: setup failed on purpose$/);
  });

  test('errors: a definition object cannot go to workers; bad concurrency; a missing export', async () => {
    manualSeed(0);
    await expect(trainEnsemble({ member: tinyMember, members: 2, concurrency: 2 })).rejects.toThrow(/pass the URL of the module that exports the definition/);
    await expect(trainEnsemble({ member, members: 2, concurrency: 0 })).rejects.toThrow(/concurrency must be an integer ≥ 1/);
    await expect(trainEnsemble({ member, exportName: 'nope', members: 1, concurrency: 1 })).rejects.toThrow(/export "nope" of file:.*tinyMember.ts: a member definition is an object with model\(ctx\) and setup\(ctx\)/);
  });
});
