import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier imported by `entry` and, transitively, by the relative imports it reaches. */
function importsReachableFrom(entry: string): Set<string> {
  const specifiers = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // imports in comments do not count
    for (const [, spec] of code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (spec.startsWith('.')) visit(join(dirname(file), `${spec}.ts`));
      else specifiers.add(spec);
    }
  };
  visit(entry);
  return specifiers;
}

test('no module reachable from the main entry imports a Node built-in (the plugin, codec and memory store run in browsers)', () => {
  const imported = [...importsReachableFrom(join(here, 'index.ts'))];
  expect(imported.filter((spec) => spec.startsWith('node:') || builtinModules.includes(spec))).toEqual([]);
  expect(imported.sort()).toEqual(['@trainkit/checkpoint', '@trainkit/core', '@trainkit/nn', '@trainkit/tensor']);
});
