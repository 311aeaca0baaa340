import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { distillSetting, searchTable } from './distillSearch';

const dir = mkdtempSync(join(tmpdir(), 'distill-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plain = (seed: number, accuracy: number, nll: number) => ({ kind: 'plain', name: 'plain student', seed, accuracy, nll, ece: 0.01 });
const distilled = (seed: number, combine: string, tau: number, accuracy: number, nll: number) => ({ kind: 'distilled', name: 'distilled', seed, combine, tau, temperature: 1, alpha: 0.5, accuracy, nll, ece: 0.01 });
const write = (rows: object[]) => writeFileSync(join(dir, 'distill-search.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

describe('distillSetting', () => {
  test('picks, among the recipes run with the most seeds, the lowest mean NLL of those that beat plain in both accuracy and NLL', () => {
    write([
      plain(100, 0.97, 0.1),
      plain(101, 0.96, 0.12),
      distilled(100, 'probs', 1, 0.98, 0.05), // one seed only: not eligible, however good
      distilled(100, 'logits', 1, 0.975, 0.095),
      distilled(101, 'logits', 1, 0.965, 0.115),
      distilled(100, 'logits', 0.9, 0.969, 0.08), // lowest NLL, but loses in accuracy on the mean
      distilled(101, 'logits', 0.9, 0.96, 0.09),
    ]);
    expect(distillSetting(dir)).toMatchObject({ combine: 'logits', teacherTemperature: 1, temperature: 1, alpha: 0.5 });
    expect(searchTable(dir).find((l) => l.includes('(chosen)'))).toMatch(/mean of log-probabilities, τ = 1, .* \| 100, 101 \| 97\.00 \| 0\.1050 \| .* \| \+0\.50 \| −0\.0050 \|/);
  });

  test('without a recipe that beats plain in both, falls back to the lowest NLL and says so; without a search, T = 4, α = 0.9', () => {
    write([plain(100, 0.97, 0.1), distilled(100, 'probs', 1, 0.96, 0.11), distilled(100, 'probs', 0.8, 0.98, 0.105)]);
    expect(distillSetting(dir)).toMatchObject({ combine: 'probs', teacherTemperature: 0.8, chosenBy: expect.stringMatching(/no recipe .* beat the plain student in both/) });
    rmSync(join(dir, 'distill-search.jsonl'));
    expect(distillSetting(dir)).toMatchObject({ combine: 'probs', teacherTemperature: 1, temperature: 4, alpha: 0.9 });
  });
});
