import { describe, expect, test } from 'vitest';
import { type MemberProgress, memberProgressPrinter } from '../node';

const event = (member: number, phase: MemberProgress['phase'], batch: number): MemberProgress => ({
  member, seed: member, phase, epoch: 0, epochs: 1, batch, batchesPerEpoch: 10, metrics: { loss: 0.5, accuracy: 0.9 }, elapsed: 1.25,
});

describe('memberProgressPrinter', () => {
  test('not a terminal: one plain line per member and epoch', () => {
    let out = '';
    const print = memberProgressPrinter({ stream: { write: (s: string) => (out += s) }, tty: false });
    [event(0, 'start', 0), event(0, 'batch', 5), event(1, 'batch', 3), event(1, 'epoch', 10), event(0, 'epoch', 10), event(0, 'end', 10)].forEach(print);
    expect(out.split('\n')).toEqual([
      'member 1 (seed 1)  epoch 1/1  ████████████████████ 10/10  loss 0.5000  acc 90.00%  1.3 s',
      'member 0 (seed 0)  epoch 1/1  ████████████████████ 10/10  loss 0.5000  acc 90.00%  1.3 s',
      '',
    ]);
  });

  test('a terminal: one live line per member, redrawn in place', () => {
    let out = '';
    const print = memberProgressPrinter({ stream: { write: (s: string) => (out += s) }, tty: true });
    print(event(0, 'batch', 5));
    print(event(1, 'batch', 2));
    out = '';
    print(event(0, 'batch', 6));
    // cursor up two lines, then both lines again, member 0 first
    expect(out.startsWith('\x1b[2A\r\x1b[2Kmember 0 (seed 0)  epoch 1/1  ████████████░░░░░░░░  6/10')).toBe(true);
    expect(out).toContain('\n\x1b[2Kmember 1 (seed 1)');
  });
});
