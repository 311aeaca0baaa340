import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { root } from './entries';
import { EXAMPLES, EXAMPLES_DIR, exampleFiles, includes, markdownPages, runAllExamples, runExample } from './examples';

describe('docs/examples', () => {
  test('every example file has an entry in the runner table, and every entry a file', () => {
    expect(exampleFiles()).toEqual(Object.keys(EXAMPLES).sort());
  });

  test('every example runs on a slice and prints what the docs say it prints', async () => {
    const results = await runAllExamples(2);
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => `${r.file}: ${r.problem}`)).toEqual([]);
    expect(results).toHaveLength(exampleFiles().length);
  }, 240_000);

  test('the runner fails a broken example and says why', async () => {
    const r = await runExample(join(root, 'tools', 'docs', 'src', '__fixtures__', 'broken-example.ts'));
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/exited with 1/);
    expect(r.problem).toMatch(/unknown option "learningRate"/);
    // and an example whose output drifted from what the page promises fails too
    const drift = await runExample(join(EXAMPLES_DIR, 'tensors.ts'), { expect: [/^loss 0\.0000$/m] });
    expect(drift.ok).toBe(false);
    expect(drift.problem).toMatch(/output does not match/);
  });
});

describe('the pages', () => {
  test('every code include points at an existing example file and region, and every example is shown somewhere', () => {
    const all = includes();
    expect(all.length).toBeGreaterThan(10);
    for (const inc of all) {
      const path = join(root, 'docs', inc.file);
      expect(existsSync(path), `${inc.page} includes missing ${inc.file}`).toBe(true);
      if (inc.region !== null) expect(readFileSync(path, 'utf8'), `${inc.page}: region ${inc.region} of ${inc.file}`).toContain(`// #region ${inc.region}`);
    }
    const shown = new Set(all.map((i) => i.file.replace(/^examples\//, '')));
    expect(exampleFiles().filter((f) => !shown.has(f))).toEqual([]);
  });

  test('no page has an inline TypeScript/JavaScript sample: code comes from docs/examples', () => {
    for (const page of markdownPages()) {
      const text = readFileSync(join(root, 'docs', page), 'utf8');
      expect(text, page).not.toMatch(/^```(ts|typescript|js|javascript|vue)\b/m);
    }
  });
});
