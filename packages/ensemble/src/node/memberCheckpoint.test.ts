import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoint } from '@trainkit/checkpoint';
import { BatchNorm1d, Linear, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { MemberResult } from '../member';
import { loadMember, saveMember } from '../node';

const values = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data)]));

function trained(index: number): MemberResult {
  const model = new Sequential({ fc: new Linear(4, 3, { rng: new Rng(index).stream('init') }), bn: new BatchNorm1d(3) });
  const history = [{ epoch: 0, metrics: { loss: 0.5, accuracy: 0.75 } }];
  return { index, seed: 100 + index, state: model.stateDict(), history, trainer: null as unknown as MemberResult['trainer'], seconds: 1.5 };
}

describe('member checkpoints: the checkpoint package format', () => {
  test('saveMember writes a versioned, checksummed checkpoint file (num_batches_tracked as I64) that loadMember reads back exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-member-'));
    const member = trained(2);
    const path = await saveMember(dir, member);
    const file = decodeCheckpoint(readFileSync(path), { requireChecksum: true });
    expect([file.version, file.checksum, file.metadata.format]).toEqual([CHECKPOINT_FORMAT_VERSION, 'verified', 'trainkit/ensemble-member@1']);
    expect(readFileSync(path).includes(Buffer.from('"bn.num_batches_tracked":{"dtype":"I64"'))).toBe(true);
    const back = await loadMember(path);
    expect(values(back.state)).toEqual(values(member.state));
    expect(back.info).toEqual({ index: 2, seed: 102, seconds: 1.5, history: member.history });
    expect(readdirSync(dir)).toEqual(['member-2.safetensors']);
  });

  test('a damaged member file is an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-member-'));
    const path = await saveMember(dir, trained(0));
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    await expect(loadMember(path)).rejects.toThrow(`readCheckpoint: ${path}: safetensors: checksum mismatch`);
  });
});
