/**
 * The checks of the architecture: each takes the declaration and a read workspace and returns
 * the violations, each naming the file (and line) and the import or dependency at fault.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Architecture } from './architecture';
import { browserViolations } from './browser';
import { type Violation, isNodeBuiltin, packageOf } from './imports';
import type { Manifest, SourceFile, Workspace, WorkspacePackage } from './workspace';

export type { Violation } from './imports';

/** The layer index of each declared package. */
export function layerIndex(arch: Architecture): Map<string, number> {
  const index = new Map<string, number>();
  arch.layers.forEach((layer, i) => layer.packages.forEach((name) => index.set(name, i)));
  return index;
}

/** Every workspace package is declared in exactly one layer, and every declared package exists. */
export function placementViolations(arch: Architecture, ws: Workspace): Violation[] {
  const out: Violation[] = [];
  const names = new Set(ws.packages.map((p) => p.manifest.name));
  const declared = arch.layers.flatMap((layer) => layer.packages.map((name) => ({ name, layer: layer.name })));
  for (const p of ws.packages) {
    const layers = declared.filter((d) => d.name === p.manifest.name).map((d) => d.layer);
    if (layers.length !== 1) {
      const where = layers.length === 0 ? 'is in no layer' : `is in ${layers.length} layers (${layers.join(', ')})`;
      out.push({ pkg: p.manifest.name, message: `${p.dir}/package.json: ${p.manifest.name} ${where} of tools/arch/src/architecture.ts` });
    }
  }
  for (const d of declared.filter((entry) => !names.has(entry.name))) {
    out.push({ pkg: d.name, message: `tools/arch/src/architecture.ts: layer ${d.layer} names ${d.name}, which is not a workspace package` });
  }
  return out;
}

/** Why `from` may not import workspace package `to` from a file of the given kind, or undefined when it may. */
function layerRefusal(arch: Architecture, index: Map<string, number>, from: string, to: string, isDev: boolean): string | undefined {
  const a = index.get(from);
  const b = index.get(to);
  if (a === undefined || b === undefined || b < a) return undefined;
  const exception = arch.sameLayer.find((e) => e.from === from && e.to === to && (e.scope === 'runtime' || isDev));
  if (b === a && exception) return undefined;
  const relation = b === a ? `the same layer (${arch.layers[a].name}) without an entry in sameLayer` : `a higher layer (${arch.layers[b].name} above ${arch.layers[a].name})`;
  return `${from} may not import ${to}: ${relation}`;
}

function declaredIn(m: Manifest, name: string, fields: readonly (keyof Manifest)[]): boolean {
  return fields.some((field) => Object.hasOwn((m[field] as Record<string, string> | undefined) ?? {}, name));
}

/** Every import of every file: declared in package.json, and allowed by the layers. */
export function importViolations(arch: Architecture, ws: Workspace): Violation[] {
  const index = layerIndex(arch);
  const workspaceNames = new Set(ws.packages.map((p) => p.manifest.name));
  const rootTools = Object.keys(ws.manifest.devDependencies ?? {});
  const out: Violation[] = [];
  for (const p of ws.packages) {
    const name = p.manifest.name;
    for (const file of p.files) {
      for (const { specifier, line } of file.imports) {
        if (specifier.startsWith('.') || isNodeBuiltin(specifier)) continue;
        const target = packageOf(specifier);
        if (target === name) continue;
        const at = `${file.path}:${line} imports '${specifier}'`;
        const refusal = workspaceNames.has(target) ? layerRefusal(arch, index, name, target, file.isDev) : undefined;
        if (refusal) out.push({ pkg: name, message: `${at}: ${refusal}` });
        const undeclared = undeclaredReason(p, file, target, workspaceNames.has(target), rootTools);
        if (undeclared) out.push({ pkg: name, message: `${at}: ${undeclared}` });
      }
    }
  }
  return out;
}

function undeclaredReason(p: WorkspacePackage, file: SourceFile, target: string, isWorkspace: boolean, rootTools: string[]): string | undefined {
  const shipped = !p.manifest.private && !file.isDev;
  const fields: (keyof Manifest)[] = shipped ? ['dependencies', 'peerDependencies'] : ['dependencies', 'devDependencies', 'peerDependencies'];
  if (declaredIn(p.manifest, target, fields)) return undefined;
  // Tests and private tools may use the root's tooling (vitest, tsup, esbuild …); workspace packages
  // are always declared, since the build order follows package.json.
  if (!shipped && !isWorkspace && rootTools.includes(target)) return undefined;
  const where = shipped ? 'dependencies or peerDependencies' : 'dependencies, devDependencies or peerDependencies';
  return `${target} is not in the ${where} of ${p.dir}/package.json`;
}

/** Peer dependencies of the packages installed at `root` (a devDependency may be there to satisfy one). */
function installedPeers(root: string, names: string[]): Set<string> {
  const peers = new Set<string>();
  for (const name of names) {
    const manifest = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as Manifest;
    Object.keys(m.peerDependencies ?? {}).forEach((peer) => peers.add(peer));
  }
  return peers;
}

/** The type packages a package's tsconfig.json loads globally (`compilerOptions.types`, e.g. `@webgpu/types`). */
function tsconfigTypes(root: string, dir: string): Set<string> {
  try {
    const config = JSON.parse(readFileSync(join(root, dir, 'tsconfig.json'), 'utf8')) as { compilerOptions?: { types?: string[] } };
    return new Set(config.compilerOptions?.types ?? []);
  } catch {
    return new Set();
  }
}

/** Dependencies nothing imports, and runtime dependencies only tests import. */
export function unusedDependencyViolations(ws: Workspace): Violation[] {
  const out: Violation[] = [];
  for (const p of ws.packages) {
    const m = p.manifest;
    const used = (dev: boolean | undefined): Set<string> =>
      new Set(p.files.filter((f) => dev === undefined || f.isDev === dev).flatMap((f) => f.imports.map((i) => packageOf(i.specifier))));
    const anywhere = used(undefined);
    const runtime = m.private ? anywhere : used(false);
    const named = new Set(p.files.flatMap((f) => [...f.strings].map(packageOf)));
    const declared = [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.devDependencies ?? {})];
    const peersOfDeps = installedPeers(ws.root, declared);
    const globalTypes = tsconfigTypes(ws.root, p.dir);
    const report = (dep: string, field: string, why: string): void => {
      out.push({ pkg: m.name, message: `${p.dir}/package.json: ${field} ${dep} ${why}` });
    };
    for (const dep of Object.keys(m.dependencies ?? {})) {
      if (runtime.has(dep)) continue;
      report(dep, 'dependencies', anywhere.has(dep) ? 'is imported only by tests: move it to devDependencies' : 'is imported by nothing: remove it');
    }
    for (const dep of Object.keys(m.devDependencies ?? {})) {
      const typesOf = dep.startsWith('@types/') ? dep.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : undefined;
      if (anywhere.has(dep) || (typesOf && anywhere.has(typesOf)) || peersOfDeps.has(dep) || globalTypes.has(dep)) continue;
      report(dep, 'devDependencies', 'is imported by nothing (and is no peer of another dependency): remove it');
    }
    for (const dep of Object.keys(m.peerDependencies ?? {})) {
      if (!anywhere.has(dep) && !named.has(dep)) report(dep, 'peerDependencies', 'is neither imported nor named by the sources: remove it');
    }
  }
  return out;
}

/** The declared optional peers are optional peer dependencies, never regular dependencies. */
export function optionalPeerViolations(arch: Architecture, ws: Workspace): Violation[] {
  const out: Violation[] = [];
  for (const [name, peers] of Object.entries(arch.optionalPeers)) {
    const p = ws.packages.find((candidate) => candidate.manifest.name === name);
    if (!p) continue;
    for (const peer of peers) {
      const m = p.manifest;
      const ok = !m.dependencies?.[peer] && m.peerDependencies?.[peer] !== undefined && m.peerDependenciesMeta?.[peer]?.optional === true;
      if (!ok) out.push({ pkg: name, message: `${p.dir}/package.json: ${peer} must be an optional peer dependency (peerDependencies + peerDependenciesMeta optional), not a dependency` });
    }
  }
  return out;
}

/** Every check, in a stable order. */
export function checkArchitecture(arch: Architecture, ws: Workspace): Violation[] {
  return [
    ...placementViolations(arch, ws),
    ...importViolations(arch, ws),
    ...unusedDependencyViolations(ws),
    ...optionalPeerViolations(arch, ws),
    ...browserViolations(arch, ws),
  ];
}
