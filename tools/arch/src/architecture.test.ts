import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { architecture } from './architecture';
import { layerIndex, checkArchitecture, placementViolations } from './rules';
import { readWorkspace } from './workspace';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const workspace = readWorkspace(root, architecture.extraSources);
const violations = checkArchitecture(architecture, workspace);

describe('the architecture declared in tools/arch/src/architecture.ts', () => {
  test('places every workspace package in exactly one layer and names no package that does not exist', () => {
    expect(placementViolations(architecture, workspace).map((v) => v.message)).toEqual([]);
  });

  test('covers every published package and tool (tensor, nn, data, core, every plugin, optimizer and tool)', () => {
    const names = workspace.packages.map((p) => p.manifest.name);
    expect(names.length).toBeGreaterThanOrEqual(27);
    expect(names).toEqual(expect.arrayContaining(['@trainkit/core', '@trainkit/nn', '@trainkit/tensor', '@trainkit/progress', '@trainkit/aug-image']));
  });

  test('allows same-layer imports only inside one layer, and they form no cycle', () => {
    const index = layerIndex(architecture);
    for (const e of architecture.sameLayer) expect(index.get(e.from), `${e.from} → ${e.to}`).toBe(index.get(e.to));
    const next = (name: string): string[] => architecture.sameLayer.filter((e) => e.from === name).map((e) => e.to);
    const reaches = (from: string, target: string, seen = new Set<string>()): boolean =>
      next(from).some((to) => to === target || (!seen.has(to) && (seen.add(to), reaches(to, target, seen))));
    expect(architecture.sameLayer.filter((e) => reaches(e.to, e.from)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  test.each(workspace.packages.map((p) => [p.manifest.name, p.files.length] as const))(
    '%s (%i files): every import is declared and allowed by the layers, every dependency is used, browser entries reach no Node-only module',
    (name) => {
      expect(violations.filter((v) => v.pkg === name).map((v) => v.message)).toEqual([]);
    },
  );
});
