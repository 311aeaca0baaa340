import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Trainer, sgd } from '@trainkit/core';
import { expect, test } from 'vitest';
import { terminalProgress } from './terminal';
import { screenOf } from '../__tests__/screen';
import { toyLoader, toyModel } from '../__tests__/toy';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const fixture = join(here, '..', '__tests__', 'ptyTrain.ts');
const node = `${process.execPath} --conditions=@trainkit/source --import tsx ${fixture}`;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
const EPOCH_LINE = /^epoch \d\/2 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}val loss \d\.\d{4} {2}val acc \d+\.\d\d% {2}\d+ samples\/s {2}\d+\.\d s$/;

test('not a TTY: one plain line per epoch, no control characters', async () => {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (s: string) => void chunks.push(s) };
  const train = toyLoader();
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress({ epochs: 2, batchesPerEpoch: train.length, stream })] });
  await trainer.fit(toyModel(), { train, val: toyLoader(32, 16, 2), epochs: 2 });
  const out = chunks.join('');
  expect(out).not.toMatch(CONTROL);
  const lines = out.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(2);
  for (const l of lines) expect(l).toMatch(EPOCH_LINE);
});

test('through a pipe (a CI log) the process prints plain lines only', async () => {
  const { stdout } = await run('/bin/sh', ['-c', node], { cwd: root, timeout: 60_000 });
  expect(stdout).not.toMatch(CONTROL);
  expect(stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(EPOCH_LINE), expect.stringMatching(EPOCH_LINE), 'done']);
});

test('under a pseudo-terminal the bars redraw in place and each epoch leaves one summary line', async () => {
  // util-linux `script` gives the child a pty; the pty starts at 0×0, so set a size first
  const { stdout } = await run('script', ['-qfec', `stty cols 100 rows 30; ${node}`, '/dev/null'], { cwd: root, timeout: 60_000 });
  // many frames of the batch bar were drawn ...
  const frames = stdout.match(/batch [░▒▓█]+ +\d+\/40 /g) ?? [];
  expect(frames.length).toBeGreaterThan(40);
  expect(stdout).toMatch(/batch [░▒▓█]+ +40\/40 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}\d+ samples\/s {2}eta \d+s/);
  expect(stdout).toMatch(/epoch [░▒▓█]+ +1\/2 {2}eta /);
  // ... over each other: replayed on a screen, no bar is left and only the summaries remain
  const screen = screenOf(stdout).filter((l) => l !== '');
  expect(screen).toEqual([expect.stringMatching(EPOCH_LINE), expect.stringMatching(EPOCH_LINE), 'done']);
  expect(screen[0]).toMatch(/^epoch 1\/2/);
});
