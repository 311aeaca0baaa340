import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SWEEP_FORMAT, type TrialRecord } from '@trainkit/sweep';
import { directoryStore } from '@trainkit/sweep/node';
import { main } from './main';

let dir = '';
let sweepDir = '';

/** A record of a trial whose valAccuracy after each epoch is `curve`. */
const record = (index: number, lr: number, curve: number[], status: 'completed' | 'pruned'): TrialRecord => ({
  format: SWEEP_FORMAT,
  trialId: `trial-${String(index).padStart(4, '0')}`,
  index,
  seed: index,
  attempt: 0,
  config: { lr, optimizer: index % 2 === 0 ? 'adam' : 'sgd' },
  status,
  metrics: { valAccuracy: curve.at(-1)!, valLoss: 1 - curve.at(-1)! },
  epochs: curve.map((a) => ({ valAccuracy: a, valLoss: 1 - a })),
  error: null,
  worker: 'thread-1',
  durationMs: 5,
});

/** Runs the command line in-process; resolves with its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-sweep-report-'));
  sweepDir = join(dir, 'sweep');
  const store = directoryStore(sweepDir);
  await store.append(record(0, 1e-3, [0.5, 0.7, 0.9], 'completed'));
  await store.append(record(1, 1e-1, [0.2], 'pruned'));
  await store.append(record(2, 1e-2, [0.6, 0.65], 'pruned'));
  // a diverged trial: its objective was NaN, so runSweep recorded it as failed
  const diverged = record(3, 1, [0.1], 'completed');
  await store.append({ ...diverged, status: 'failed', metrics: null, error: { name: 'SweepError', message: 'trial-0003: objective "valAccuracy" was NaN at epoch 1' } });
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('trainkit sweep report', () => {
  test('writes <dir>/report.html with a chart per hyperparameter, the curves and the top table, and names the best trial and how many failed', async () => {
    const r = await run(['sweep', 'report', sweepDir, '--metric', 'valAccuracy']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`trainkit sweep report: wrote ${join(sweepDir, 'report.html')} (4 trials (1 failed), best trial-0000 with valAccuracy 0.9)`);
    expect(await readFile(join(sweepDir, 'report.html'), 'utf8')).toContain('objective &quot;valAccuracy&quot; was NaN at epoch 1');
    const html = await readFile(join(sweepDir, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('lr (log scale)');
    expect(html.match(/<tbody>[\s\S]*?<\/tbody>/)![0].match(/<tr/g)).toHaveLength(3);
  });

  test('--out, --top and --mode choose the file, the rows and the ranking', async () => {
    const out = join(dir, 'lowest-loss.html');
    const r = await run(['sweep', 'report', sweepDir, '--metric', 'valLoss', '--top', '1', '--out', out]);
    expect(r.code).toBe(0);
    const table = (await readFile(out, 'utf8')).match(/<tbody>[\s\S]*?<\/tbody>/)![0];
    expect(table.match(/<tr/g)).toHaveLength(1);
    expect(table).toContain('trial-0000');
  });

  test.each([
    [['sweep'], /^Usage: trainkit sweep report/],
    [['sweep', 'plot', 'x'], /^trainkit sweep: unknown subcommand "plot"; the subcommand is report/],
    [['sweep', 'report'], /expected one sweep directory, got nothing/],
    [['sweep', 'report', '/no/such/sweep'], /no such directory: \/no\/such\/sweep/],
    [['sweep', 'report', 'SWEEP', '--metric', 'f1'], /no trial reported the metric "f1"; the trials report "valAccuracy", "valLoss"/],
    [['sweep', 'report', 'SWEEP', '--log', 'momentum'], /scales names "momentum", not a parameter of the trials \(lr, optimizer\)/],
    [['sweep', 'report', 'SWEEP', '--top', '0'], /--top must be a positive integer, got "0"/],
    [['sweep', 'report', 'SWEEP', '--out', '/no/such/folder/r.html'], /^trainkit sweep report: cannot write --out \/no\/such\/folder\/r\.html: the folder \/no\/such\/folder does not exist; give --out a file in an existing folder/],
  ])('%j is a usage error (exit 2) that says what is wrong', async (argv, message) => {
    const r = await run(argv.map((a) => (a === 'SWEEP' ? sweepDir : a)));
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(message);
  });

  test('a directory written by a newer version of @trainkit/sweep is refused with the reason', async () => {
    const newer = join(dir, 'newer');
    await mkdir(newer, { recursive: true });
    await writeFile(join(newer, 'sweep.json'), JSON.stringify({ format: SWEEP_FORMAT + 1 }));
    const r = await run(['sweep', 'report', newer, '--metric', 'valAccuracy']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/written by a newer version of @trainkit\/sweep/);
  });
});
