// What every published package.json states, so that a new package (scripts/new-package.mjs)
// cannot ship without its licence, its links or the type checks of its tarball.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { publishedPackages, repo } from './consumer';

const license = readFileSync(join(repo, 'LICENSE'), 'utf8');

describe.each(publishedPackages().map((p) => [p.manifest.name, p] as const))('%s', (_, { dir, manifest }) => {
  const m = manifest as typeof manifest & Record<string, unknown>;

  test('is MIT with the root LICENSE next to its package.json (npm puts it in the tarball)', () => {
    expect(m.license).toBe('MIT');
    expect(existsSync(join(repo, dir, 'LICENSE')) && readFileSync(join(repo, dir, 'LICENSE'), 'utf8')).toBe(license);
  });

  test('names its repository folder, homepage, issue tracker and keywords', () => {
    expect(m.repository).toEqual({ type: 'git', url: 'git+https://github.com/trainkit/trainkit.git', directory: dir });
    expect(m.homepage).toBe(`https://github.com/trainkit/trainkit/tree/main/${dir}#readme`);
    expect(m.bugs).toEqual({ url: 'https://github.com/trainkit/trainkit/issues' });
    expect(m.keywords).toEqual(expect.arrayContaining(['trainkit']));
  });

  test('checks its tarball with publint --strict and attw --pack in test:build', () => {
    expect((m.scripts as Record<string, string>)['test:build']).toBe('publint --strict && attw --pack .');
  });

  test("maps each subpath export in typesVersions (TypeScript's moduleResolution node ignores exports)", () => {
    const subpaths = Object.entries(m.exports).filter(([k]) => k !== '.' && k !== './package.json');
    const expected = Object.fromEntries(subpaths.map(([k, v]) => [k.slice(2), [(v as { import: { types: string } }).import.types]]));
    expect(m.typesVersions).toEqual(subpaths.length === 0 ? undefined : { '*': expected });
  });
});
