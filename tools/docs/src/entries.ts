import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** One public entry point of one package: what a user imports. */
export interface EntryPoint {
  /** The import specifier, e.g. `@trainkit/data/node`. */
  spec: string;
  /** The package name, e.g. `@trainkit/data`. */
  pkg: string;
  /** The package's folder under packages/. */
  dir: string;
  /** Absolute path of the TypeScript source of the entry. */
  source: string;
  /** A file-name-safe id, e.g. `data-node`. */
  slug: string;
  /** The package's description from its package.json. */
  description: string;
}

interface PackageJson {
  name: string;
  description?: string;
  private?: boolean;
  exports?: Record<string, string | Record<string, unknown>>;
}

/**
 * Every public entry point of every published package (packages/*, not private), from the
 * `"@trainkit/source"` condition of each `exports` entry: a new package or a new subpath
 * export shows up in the API reference without touching the docs tooling.
 */
export function entryPoints(): EntryPoint[] {
  const out: EntryPoint[] = [];
  const base = join(root, 'packages');
  for (const dir of readdirSync(base).sort()) {
    const file = join(base, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    if (pkg.private) continue;
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      if (sub === './package.json' || typeof target !== 'object') continue;
      const src = target['@trainkit/source'];
      if (typeof src !== 'string') continue;
      const source = join(base, dir, src);
      if (!existsSync(source)) continue;
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      out.push({ spec, pkg: pkg.name, dir, source, slug: sub === '.' ? dir : `${dir}-${sub.slice(2).replace(/\//g, '-')}`, description: pkg.description ?? '' });
    }
  }
  return out;
}
