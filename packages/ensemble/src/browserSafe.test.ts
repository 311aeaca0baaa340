import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier imported by `entry` and, transitively, by the relative imports it reaches. */
function importsReachableFrom(entry: string): Set<string> {
  const specifiers = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (spec.startsWith('.')) visit(join(dirname(file), `${spec}.ts`));
      else specifiers.add(spec);
    }
  };
  visit(entry);
  return specifiers;
}

describe('packaging', () => {
  test('no module reachable from the main entry imports a Node built-in (the main entry runs in browsers)', () => {
    const builtins = new Set(builtinModules);
    const imported = [...importsReachableFrom(join(here, 'index.ts'))];
    expect(imported.filter((spec) => spec.startsWith('node:') || builtins.has(spec))).toEqual([]);
    expect(imported.sort()).toEqual(['@trainkit/core', '@trainkit/nn', '@trainkit/tensor']);
  });

  test('the worker is its own build entry next to the node entry', () => {
    const tsup = readFileSync(join(here, '..', 'tsup.config.ts'), 'utf8');
    expect(tsup).toContain("'src/worker.ts'");
    expect(readFileSync(join(here, 'workerUrl.ts'), 'utf8')).toContain("'./worker.js'");
  });
});
