/** What the checks share: how a specifier names a package or a Node built-in, and what a violation is. */
import { builtinModules } from 'node:module';

export interface Violation {
  /** Package name the violation belongs to. */
  pkg: string;
  /** `path:line imports 'x': why` or `dir/package.json: why`. */
  message: string;
}

const builtins = new Set(builtinModules);

/** `node:fs`, `fs`, `fs/promises` …: a module only Node has. */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier);
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
