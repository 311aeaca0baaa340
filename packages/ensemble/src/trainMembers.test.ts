import { describe, expect, test } from 'vitest';
import { Trainer } from '@trainkit/core';
import { EnsembleError, MemberError, type MemberProgress, trainMember, trainMembers } from './index';
import { tinyMember, toyDataset } from './__tests__/tinyMember';
import type { Tensor } from '@trainkit/tensor';

const values = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data)]));

describe('trainMembers (one after another, in the calling thread)', () => {
  test('members differ by seed (init, shuffling, dropout); the same seed gives the same weights', async () => {
    const a = await trainMembers(tinyMember, { members: 3, params: {} });
    const b = await trainMembers(tinyMember, { seeds: [2, 1], params: {} });
    expect(a.members.map((m) => m.seed)).toEqual([0, 1, 2]);
    expect(values(a.members[0].state)['fc1.weight']).not.toEqual(values(a.members[1].state)['fc1.weight']);
    expect(values(b.members[1].state)).toEqual(values(a.members[1].state));
    expect(values(b.members[0].state)).toEqual(values(a.members[2].state));
  });

  test('a member is exactly trainMember of its index and seed', async () => {
    const all = await trainMembers(tinyMember, { seeds: [5, 7], params: { epochs: 1 } });
    const alone = await trainMember(tinyMember, { index: 1, seed: 7, params: { epochs: 1 } });
    expect(values(all.members[1].state)).toEqual(values(alone.state));
    const metrics = (h: typeof alone.history) => h.map(({ metrics: { loss, accuracy } }) => ({ loss, accuracy })); // not the timings
    expect(metrics(all.members[1].history)).toEqual(metrics(alone.history));
  });

  test('returns the trained models and their ensemble, which beats chance on held-out data', async () => {
    const trained = await trainMembers(tinyMember, { members: 3, params: { epochs: 4 } });
    expect(trained.models).toHaveLength(3);
    expect(values(trained.models[2].stateDict())).toEqual(values(trained.members[2].state));
    const test = [toyDataset(128, 99).gather(Array.from({ length: 128 }, (_, i) => i))];
    const { accuracy } = await new Trainer().evaluate(trained.ensemble(), test);
    expect(accuracy).toBeGreaterThan(0.6);
  });

  test('progress: every member reports start, its epochs and end, in order', async () => {
    const events: MemberProgress[] = [];
    await trainMembers(tinyMember, { members: 2, params: { epochs: 2 }, onProgress: (e) => events.push(e) });
    const phases = (m: number) => events.filter((e) => e.member === m && e.phase !== 'batch').map((e) => `${e.phase}${e.phase === 'epoch' ? e.epoch : ''}`);
    expect(phases(0)).toEqual(['start', 'epoch0', 'epoch1', 'end']);
    expect(phases(1)).toEqual(['start', 'epoch0', 'epoch1', 'end']);
    expect(events.find((e) => e.phase === 'epoch')).toMatchObject({ epochs: 2, batchesPerEpoch: 16, batch: 16, seed: 0, metrics: { loss: expect.any(Number) } });
  });

  test('a failing member does not stop the others; the error names it and lists who finished', async () => {
    const saved: number[] = [];
    const run = trainMembers(tinyMember, { members: 3, params: { failMember: 1 }, onMemberEnd: (r) => void saved.push(r.index) });
    await expect(run).rejects.toThrow(MemberError);
    await expect(run).rejects.toThrow(/^ensemble: member 1 \(seed 1\) failed: setup failed on purpose$/);
    const err = (await run.catch((e: unknown) => e)) as MemberError;
    expect([err.member, err.seed, err.completed]).toEqual([1, 1, [0, 2]]);
    expect(saved).toEqual([0, 2]);
  });

  test('errors: no members, seeds that do not match, bad definitions', async () => {
    await expect(trainMembers(tinyMember, { members: 0 })).rejects.toThrow(/members must be an integer ≥ 1, got 0/);
    await expect(trainMembers(tinyMember, {})).rejects.toThrow(/say how many members to train/);
    await expect(trainMembers(tinyMember, { members: 2, seeds: [1] })).rejects.toThrow(/members is 2 but 1 seeds were given/);
    await expect(trainMembers(tinyMember, { seeds: [-1] })).rejects.toThrow(/seed 0 must be an integer in \[0, 2\^32\), got -1/);
    await expect(trainMembers({ model: () => null } as never, { members: 1 })).rejects.toThrow(EnsembleError);
  });
});
