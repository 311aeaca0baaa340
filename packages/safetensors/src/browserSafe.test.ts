import { readFileSync } from 'node:fs';
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
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (spec.startsWith('.')) visit(join(dirname(file), `${spec}.ts`));
      else specifiers.add(spec);
    }
  };
  visit(entry);
  return specifiers;
}

test('the codec imports nothing at all: no Node built-in, no package (it runs in browsers and stands alone)', () => {
  expect([...importsReachableFrom(join(here, 'index.ts'))]).toEqual([]);
});
