/**
 * Browser safety: from each browser entry of a browser-safe package, follow the relative imports
 * and refuse Node built-ins, `node/` folders and other packages' Node-only entries on the way.
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Architecture } from './architecture';
import { type Violation, isNodeBuiltin } from './imports';
import type { SourceFile, Workspace, WorkspacePackage } from './workspace';

/** The TypeScript source an export points at (its `@trainkit/source` condition), if any. */
function sourceOf(target: unknown): string | undefined {
  if (typeof target !== 'object' || target === null) return undefined;
  const source = (target as Record<string, unknown>)['@trainkit/source'];
  return typeof source === 'string' ? source : undefined;
}

/** Browser entries of a package: export subpath → source file (relative to the root). */
export function browserEntries(arch: Architecture, p: WorkspacePackage): Map<string, string> {
  const nodeOnly = new Set(arch.nodeEntries[p.manifest.name] ?? []);
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(p.manifest.exports ?? {})) {
    const source = sourceOf(target);
    if (nodeOnly.has(subpath) || subpath === './package.json' || !source) continue;
    entries.set(subpath, posix.join(p.dir, source));
  }
  return entries;
}

/** The file a relative specifier names (TypeScript's rules: `./x` → x.ts or x/index.ts, `./x.js` → x.ts). */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = posix.join(posix.dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts')];
  return candidates.find((c) => existsSync(join(root, c)) && /\.[cm]?[jt]s$/.test(c));
}

/** Node-only modules of other workspace packages: `@trainkit/x/node` and the like. */
function nodeOnlySpecifiers(arch: Architecture): Set<string> {
  const out = new Set<string>();
  for (const [name, subpaths] of Object.entries(arch.nodeEntries)) subpaths.forEach((s) => out.add(posix.join(name, s)));
  return out;
}

/** Files reachable from `entry` through relative imports, each mapped to the file that imports it; and imports that resolve to no file. */
export function reachableFrom(root: string, byPath: Map<string, SourceFile>, entry: string): { via: Map<string, string>; unresolved: string[] } {
  const via = new Map<string, string>([[entry, '']]);
  const unresolved: string[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    for (const { specifier, line } of byPath.get(path)?.imports ?? []) {
      if (!specifier.startsWith('.')) continue;
      const next = resolveRelative(root, path, specifier);
      if (next === undefined) unresolved.push(`${path}:${line} imports '${specifier}', which resolves to no file`);
      else if (!via.has(next)) {
        via.set(next, path);
        queue.push(next);
      }
    }
  }
  return { via, unresolved };
}

/** Violations of browser safety among the files reachable from one browser entry. */
function walkEntry(root: string, byPath: Map<string, SourceFile>, entry: string, label: string, nodeOnly: Set<string>): string[] {
  const { via, unresolved } = reachableFrom(root, byPath, entry);
  const route = (file: string): string => {
    const steps = [file];
    for (let at = via.get(file); at; at = via.get(at)) steps.unshift(at);
    return steps.join(' → ');
  };
  const out = [...unresolved];
  for (const path of via.keys()) {
    const reached = `reachable from the browser entry '${label}' (${route(path)})`;
    if (/\/src\/(.+\/)?node\//.test(path)) out.push(`${path}: a node/ folder is ${reached}`);
    for (const { specifier, line } of byPath.get(path)?.imports ?? []) {
      const at = `${path}:${line} imports '${specifier}'`;
      if (isNodeBuiltin(specifier)) out.push(`${at}, a Node built-in, and is ${reached}`);
      else if (nodeOnly.has(specifier)) out.push(`${at}, a Node-only entry, and is ${reached}`);
    }
  }
  return out;
}

/** Browser safety of every browser-safe package's browser entries. */
export function browserViolations(arch: Architecture, ws: Workspace): Violation[] {
  const safe = new Set(arch.layers.filter((l) => l.browserSafe).flatMap((l) => l.packages));
  const nodeOnly = nodeOnlySpecifiers(arch);
  const out: Violation[] = [];
  for (const p of ws.packages.filter((candidate) => safe.has(candidate.manifest.name))) {
    const byPath = new Map(p.files.map((f) => [f.path, f]));
    for (const subpath of arch.nodeEntries[p.manifest.name] ?? []) {
      if (!p.manifest.exports?.[subpath]) out.push({ pkg: p.manifest.name, message: `${p.dir}/package.json: nodeEntries names '${subpath}', which is not in exports` });
    }
    for (const [label, entry] of browserEntries(arch, p)) {
      const found = walkEntry(ws.root, byPath, entry, label, nodeOnly);
      out.push(...[...new Set(found)].map((message) => ({ pkg: p.manifest.name, message })));
    }
  }
  return out;
}
