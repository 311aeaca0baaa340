import type { Module } from '@trainkit/nn';

/** A picture asked of something the model or the data does not have: a missing layer, a class out of range. */
export class InspectError extends Error {
  override name = 'InspectError';
}

/** Edit distance between two strings (insertions, deletions and substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** Up to `n` of `names`, closest to `wanted` first (by edit distance, then by order in the model). */
export function closestNames(wanted: string, names: readonly string[], n = 3): string[] {
  return names
    .map((name, i) => ({ name, i, d: editDistance(wanted, name) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, n)
    .map((x) => x.name);
}

/**
 * The submodule at a dotted path, as {@link Module.namedModules} names it (`'conv1'`,
 * `'layer2.0.conv1'`). A path the model lacks is an error naming the closest paths it has.
 */
export function findLayer(what: string, model: Module, path: string): Module {
  const modules = model.namedModules().filter(([name]) => name !== '');
  const found = modules.find(([name]) => name === path);
  if (found !== undefined) return found[1];
  const names = modules.map(([name]) => name);
  const close = closestNames(path, names);
  throw new InspectError(
    `${what}: the model has no layer "${path}"` +
      (close.length > 0 ? `; closest: ${close.map((c) => `"${c}"`).join(', ')} (all layers: ${names.join(', ')})` : ' (it has no named layers)'),
  );
}
