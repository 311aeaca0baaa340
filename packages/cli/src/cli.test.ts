import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCheckpoint } from '@trainkit/checkpoint/node';
import { SQUARE_CLASSES, writeCsv, writeImageFolder } from './__tests__/fixtures';
import { trainkit } from './__tests__/spawnCli';
import type { RunFile } from './runFile';

let dir = '';
const TIMEOUT = 40_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-cli-'));
  await writeImageFolder(join(dir, 'squares'), 20);
  await writeImageFolder(join(dir, 'squares-copy'), 20); // the same images: two runs at once each decode their own cache
  await writeCsv(join(dir, 'table.csv'), 120);
}, TIMEOUT);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('trainkit on an image folder', () => {
  test('train writes run.json, latest + best checkpoints and the history; eval reports accuracy, a confusion table and SVG; predict gives top-k', async () => {
    const t = await trainkit(['train', 'squares', '--size', '12', '--epochs', '3', '--batch-size', '8', '--out', 'runs/sq'], dir);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/epoch 3\/3/);
    for (const f of ['run.json', 'latest.safetensors', 'best.safetensors', 'history.json', 'history.csv', 'curves.svg']) expect(existsSync(join(dir, 'runs/sq', f)), f).toBe(true);
    const run = JSON.parse(await readFile(join(dir, 'runs/sq/run.json'), 'utf8')) as RunFile;
    expect(run.data).toMatchObject({ kind: 'images', classes: [...SQUARE_CLASSES], inputShape: [3, 12, 12], image: { size: [12, 12], color: 'rgb', fit: 'cover', normalize: null } });
    expect(run.model).toEqual({ name: 'cnn', inputShape: [3, 12, 12], numClasses: 3 });

    const e = await trainkit(['eval', 'runs/sq', 'squares'], dir);
    expect(e.code).toBe(0);
    const accuracy = Number(/accuracy: ([\d.]+)% \((\d+) \/ 60\)/.exec(e.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(90); // the bright square's position is easy to learn
    expect(e.stdout).toMatch(/true \\ predicted\s+bottom\s+left\s+top/);
    expect(e.stdout).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(await readFile(join(dir, 'runs/sq/confusion.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
    // eval decodes into its own cache: the training cache of the same folder is still there for the next run
    const again = await trainkit(['train', 'squares', '--size', '12', '--epochs', '1', '--out', 'runs/sq-again'], dir);
    expect(again.stdout).toMatch(/pixels read from the decoded cache/);

    const files = SQUARE_CLASSES.map((c) => `squares/${c}/005.png`);
    const p = await trainkit(['predict', 'runs/sq', ...files, '--top-k', '2', '--json'], dir);
    expect(p.code).toBe(0);
    const out = JSON.parse(p.stdout) as { input: string; top: { class: string; probability: number }[] }[];
    expect(out.map((r) => r.input)).toEqual(files);
    for (const [i, r] of out.entries()) {
      expect(r.top).toHaveLength(2);
      expect(r.top[0].probability).toBeGreaterThanOrEqual(r.top[1].probability);
      expect(r.top[0].probability + r.top[1].probability).toBeLessThanOrEqual(1 + 1e-6);
      expect(r.top[0].class).toBe(SQUARE_CLASSES[i]);
    }

    const png = await readFile(join(dir, 'squares/top/000.png'));
    await writeFile(join(dir, 'truncated.png'), png.subarray(0, 60));
    const bad = await trainkit(['predict', 'runs/sq', 'squares/top/001.png', 'truncated.png'], dir);
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^trainkit predict: cannot decode truncated\.png: .+\n$/) });
  }, TIMEOUT);

  test('a run stopped by SIGINT and continued with --resume ends with the bit-identical weights of an uninterrupted run', async () => {
    const args = ['--size', '12', '--epochs', '20', '--batch-size', '2', '--augment', 'flip,translate:1', '--val-fraction', '0.2', '--seed', '3'];
    let sent = false;
    const [whole, cut] = await Promise.all([
      trainkit(['train', 'squares-copy', ...args, '--out', 'runs/whole'], dir),
      trainkit(['train', 'squares', ...args, '--out', 'runs/cut'], dir, (text, signal) => {
        if (sent || !/epoch 2\/20/.test(text)) return;
        sent = true; // once: a second ctrl-C quits at once
        signal('SIGINT');
      }),
    ]);
    expect(whole.stderr).toBe('');
    expect(whole.code).toBe(0);
    expect(cut.code).toBe(130);
    expect(cut.stdout).toMatch(/stopped; latest saved in runs\/cut/);
    expect(cut.stdout).not.toMatch(/epoch 20\/20/);
    const resumed = await trainkit(['train', '--out', 'runs/cut', '--resume'], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/epoch 20\/20/);
    const a = await readCheckpoint(join(dir, 'runs/whole/latest.safetensors'));
    const b = await readCheckpoint(join(dir, 'runs/cut/latest.safetensors'));
    expect(Object.keys(b.model)).toEqual(Object.keys(a.model));
    for (const k of Object.keys(a.model)) expect(Buffer.from(b.model[k].data.buffer).equals(Buffer.from(a.model[k].data.buffer)), k).toBe(true);

    const runFile = await readFile(join(dir, 'runs/cut/run.json'), 'utf8');
    await writeImageFolder(join(dir, 'fewer'), 3);
    await rm(join(dir, 'fewer', 'top'), { recursive: true }); // the same images, one class fewer
    const [again, changed, other] = await Promise.all([
      trainkit(['train', 'squares', '--out', 'runs/cut'], dir),
      trainkit(['train', '--out', 'runs/cut', '--resume', '--lr', '0.5'], dir),
      trainkit(['train', 'fewer', '--out', 'runs/cut', '--resume'], dir),
    ]);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/runs\/cut already holds a run; continue it with --resume, start over with --overwrite/) });
    expect(changed).toMatchObject({ code: 2, stderr: expect.stringMatching(/--lr 0.5 differs from the run's 0.001 \(runs\/cut\/run.json\)/) });
    expect(other).toMatchObject({ code: 2, stderr: expect.stringMatching(/--resume: the data differs from the run's \(runs\/cut\/run.json\): it has images data, 3 classes \(bottom, left, top\) .* this data images, 2 classes \(bottom, left\)/) });
    expect(await readFile(join(dir, 'runs/cut/run.json'), 'utf8')).toBe(runFile); // the refused resume changed nothing
  }, TIMEOUT);
});

describe('trainkit on a CSV file', () => {
  test('train with --target saves the preprocessing; eval and predict apply it; a label never seen in training is exit 2', async () => {
    const t = await trainkit(['train', 'table.csv', '--target', 'species', '--categorical', 'shape', '--epochs', '8', '--batch-size', '16', '--lr', '0.01', '--out', 'runs/csv'], dir);
    expect(t.code).toBe(0);
    const run = JSON.parse(await readFile(join(dir, 'runs/csv/run.json'), 'utf8')) as RunFile;
    expect(run.model.name).toBe('mlp'); // the default model for a CSV file
    expect(run.data.kind).toBe('csv');
    expect(run.data.classes).toEqual(['a', 'b', 'c']);
    expect(run.data.tabular?.features.map((f) => f.name)).toEqual(['x', 'y', 'shape']);
    expect(run.data.inputShape).toEqual([4]); // x, y and shape one-hot (round, square)

    const e = await trainkit(['eval', 'runs/csv', 'table.csv'], dir);
    expect(e.code).toBe(0);
    expect(Number(/accuracy: ([\d.]+)%/.exec(e.stdout)?.[1])).toBeGreaterThan(80);

    await writeCsv(join(dir, 'new.csv'), 5, 9);
    const p = await trainkit(['predict', 'runs/csv', 'new.csv', '--top-k', '1'], dir);
    expect(p.code).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(5);
    expect(p.stdout).toMatch(/^row 1: [abc] [\d.]+% \(true: [abc]\)$/m);

    await writeFile(join(dir, 'zebra.csv'), 'x,y,shape,species\n0.5,0.5,round,a\n-0.5,0.1,round,zebra\n');
    const bad = await trainkit(['predict', 'runs/csv', 'zebra.csv'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/zebra\.csv line 3, column "species": label "zebra" was never seen in training \(classes: a, b, c\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, TIMEOUT);
});

describe('trainkit on CIFAR binaries', () => {
  test('a CIFAR-10 .bin file trains with the CIFAR class names and evaluates', async () => {
    // 30 records of 1 label byte + 3 × 32 × 32 pixel bytes: label i % 10, the red plane as bright as the label
    const records = Array.from({ length: 30 }, (_, i) => Buffer.concat([Buffer.of(i % 10), Buffer.alloc(1024, 25 * (i % 10)), Buffer.alloc(2048, 0)]));
    await writeFile(join(dir, 'tiny_batch.bin'), Buffer.concat(records));
    const t = await trainkit(['train', 'tiny_batch.bin', '--epochs', '1', '--val-fraction', '0', '--out', 'runs/cifar'], dir);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/10 classes, 30 training samples \[3, 32, 32\]/);
    const run = JSON.parse(await readFile(join(dir, 'runs/cifar/run.json'), 'utf8')) as RunFile;
    expect(run.data).toMatchObject({ kind: 'cifar10', inputShape: [3, 32, 32], classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] });
    expect(run.training.monitor).toBe('accuracy'); // no validation split: best by training accuracy
    const e = await trainkit(['eval', 'runs/cifar', 'tiny_batch.bin'], dir);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/\(\d+ \/ 30\)/);
    expect(e.stdout).toMatch(/^truck\s/m);
  }, TIMEOUT);
});

describe('trainkit errors and help', () => {
  test('bad command lines and bad input exit with code 2 and one clear line, never a stack trace', async () => {
    await writeFile(join(dir, 'notes.txt'), 'not data');
    const cases: [string[], RegExp][] = [
      [['train', 'squares', '--epoch', '3'], /Unknown option '--epoch' \(see trainkit train --help\)/],
      [['train', 'no-such-folder'], /data not found: no-such-folder/],
      [['train'], /missing <data>/],
      [['train', 'table.csv'], /name its label column with --target COLUMN/],
      [['train', 'squares', '--optimizer', 'lbfgs'], /--optimizer must be one of sgd, momentum, adam, adamw, got "lbfgs"/],
      [['train', 'squares', '--epochs', '0'], /--epochs must be a positive integer, got "0"/],
      [['train', 'squares', '--orientation', 'sideways'], /--orientation must be one of exif, ignore, got "sideways"/],
      [['train', 'squares', '--augment', 'sparkle'], /--augment "sparkle" is unknown/],
      [['train', 'table.csv', '--target', 'species', '--categorical', 'shape', '--augment', 'crop'], /--augment crop: a CSV file has no images; --augment applies to image folders/],
      [['train', 'notes.txt'], /neither a \.csv nor a CIFAR \.bin file/],
      [['fly'], /unknown command "fly"/],
      [['eval', 'squares', 'squares'], /squares is not a trainkit run \(no run\.json\)/],
      [['predict', 'runs/none'], /expected <run> and at least one image file/],
    ];
    const results = await Promise.all(cases.map(([args]) => trainkit(args, dir)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).toBe(2);
      expect(r.stderr, cases[i][0].join(' ')).toMatch(cases[i][1]);
      expect(r.stderr.trim().split('\n'), cases[i][0].join(' ')).toHaveLength(1);
    });
  }, TIMEOUT);

  test('trainkit --help and every subcommand --help print their usage and exit 0', async () => {
    const [main, tr, ev, pr] = await Promise.all([['--help'], ['train', '--help'], ['eval', '--help'], ['predict', '--help']].map((a) => trainkit(a, dir)));
    expect(main).toMatchObject({ code: 0, stderr: '' });
    expect(main.stdout).toMatch(/trainkit train <data>[\s\S]*trainkit eval <run> <data>[\s\S]*trainkit predict <run>/);
    expect(tr.stdout).toMatch(/^Usage: trainkit train <data> \[options\][\s\S]*--resume[\s\S]*--augment/);
    expect(ev.stdout).toMatch(/^Usage: trainkit eval <run> <data>/);
    expect(pr.stdout).toMatch(/^Usage: trainkit predict <run>[\s\S]*--top-k/);
    expect([tr.code, ev.code, pr.code]).toEqual([0, 0, 0]);
  }, TIMEOUT);
});
