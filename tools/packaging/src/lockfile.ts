/**
 * A package-lock.json for a project outside the workspace that installs the packed tarballs.
 * Registry packages are taken, with their resolved URLs and integrity hashes, from the
 * workspace's own lock, so `npm ci --offline` installs them from the npm cache that
 * `npm ci` filled: no registry request, no packument needed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface Lockfile {
  name: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, LockEntry>;
}

/** A packed tarball: its package.json and file name (relative to the consumer project). */
export interface Tarball {
  manifest: LockEntry & { name: string; version: string };
  file: string;
  /** Absolute path, to hash. */
  path: string;
}

const PER_INSTALL = ['dev', 'devOptional', 'peer', 'extraneous', 'inBundle'];

/** The names an installed package needs: dependencies, optional ones, and peers that are not optional. */
function needs(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((p) => !entry.peerDependenciesMeta?.[p]?.optional);
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/** Node's lookup in a lockfile: `from/node_modules/name`, then each parent's, then the root's. */
function lookup(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = posix.dirname(dir)) {
    const candidate = dir === '.' || dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '.' || dir === '') return undefined;
  }
}

/**
 * The lockfile of a project named `name` whose dependencies are `tarballs` (installed as
 * `file:` specs) and `extra` (registry packages by name, at the workspace's versions).
 */
export function consumerLockfile(name: string, workspaceLock: Lockfile, tarballs: Tarball[], extra: string[]): Lockfile {
  const source = workspaceLock.packages;
  const ours = new Set(tarballs.map((t) => t.manifest.name));
  const packages: Record<string, LockEntry> = {};
  const root: Record<string, string> = {};
  const queue: { from: string; name: string }[] = [];
  for (const t of tarballs) {
    const { name: pkgName, version, dependencies, peerDependencies, peerDependenciesMeta, license, engines } = t.manifest;
    const integrity = `sha512-${createHash('sha512').update(readFileSync(t.path)).digest('base64')}`;
    packages[`node_modules/${pkgName}`] = { version, resolved: `file:${t.file}`, integrity, license, dependencies, peerDependencies, peerDependenciesMeta, engines };
    root[pkgName] = `file:${t.file}`;
    for (const dep of needs(t.manifest)) if (!ours.has(dep)) queue.push({ from: '', name: dep });
  }
  for (const dep of extra) {
    root[dep] = source[`node_modules/${dep}`]?.version ?? '*';
    queue.push({ from: '', name: dep });
  }
  while (queue.length > 0) {
    const { from, name: dep } = queue.shift() as (typeof queue)[number];
    const found = lookup(source, from, dep);
    if (!found || packages[found] || source[found].link) continue;
    const entry = Object.fromEntries(Object.entries(source[found]).filter(([k]) => !PER_INSTALL.includes(k))) as LockEntry;
    packages[found] = entry;
    for (const next of needs(entry)) queue.push({ from: found, name: next });
  }
  return { name, lockfileVersion: 3, requires: true, packages: { '': { name, dependencies: root }, ...packages } };
}
