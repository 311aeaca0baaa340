// The test of the architecture test: forbidden imports and dependencies, written into temporary
// workspaces (a copy of the real one, and small made-up ones), must fail with a message that
// names the file and the import.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Architecture, architecture } from './architecture';
import { reachableFrom } from './browser';
import { checkArchitecture } from './rules';
import { readWorkspace, scanSource } from './workspace';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trainkit-arch-'));
  temps.push(dir);
  return dir;
}

/** Writes files (path → text, or an object written as JSON) under `root`. */
function write(root: string, files: Record<string, string | object>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

const messages = (root: string, arch: Architecture): string[] => checkArchitecture(arch, readWorkspace(root, arch.extraSources)).map((v) => v.message);

describe('on a copy of the real workspace', () => {
  let copy: string;
  /** What the untouched copy reports (nothing, when the repository passes its own architecture test). */
  let before: string[];
  /** The violations a change adds to the copy's. */
  const added = (): string[] => messages(copy, architecture).filter((m) => !before.includes(m));
  beforeAll(() => {
    copy = tempDir();
    const skip = /(^|\/)(node_modules|dist|\.nx|\.git|fixtures|results|cache)(\/|$)/;
    cpSync(join(repo, 'package.json'), join(copy, 'package.json'));
    for (const top of ['packages', 'tools', 'examples', 'docs']) {
      cpSync(join(repo, top), join(copy, top), { recursive: true, filter: (src) => !skip.test(src.slice(repo.length)) });
    }
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules')); // installed packages' peer dependencies
    before = messages(copy, architecture);
  }, 180_000);

  test('a lower layer importing a higher one (nn imports core) fails, naming the file, line and import', () => {
    write(copy, { 'packages/nn/src/forbidden.ts': "// a layer violation\nimport { Trainer } from '@trainkit/core';\nexport const t = Trainer;\n" });
    try {
      expect(added()).toEqual([
        "packages/nn/src/forbidden.ts:2 imports '@trainkit/core': @trainkit/nn may not import @trainkit/core: a higher layer (core above nn)",
        "packages/nn/src/forbidden.ts:2 imports '@trainkit/core': @trainkit/core is not in the dependencies or peerDependencies of packages/nn/package.json",
      ]);
    } finally {
      rmSync(join(copy, 'packages/nn/src/forbidden.ts'));
    }
  });

  test('a Node built-in reachable from a browser entry fails, naming the file, the import and the route to it', () => {
    write(copy, {
      'packages/checkpoint/src/hash.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
      'packages/checkpoint/src/index.ts': `${readFileSync(join(repo, 'packages/checkpoint/src/index.ts'), 'utf8')}export { h } from './hash';\n`,
    });
    expect(added()).toEqual([
      "packages/checkpoint/src/hash.ts:1 imports 'node:crypto', a Node built-in, and is reachable from the browser entry '.' (packages/checkpoint/src/index.ts → packages/checkpoint/src/hash.ts)",
    ]);
  });

  test("the walk follows relative imports: checkpoint's '.' reaches its codec, only './node' reaches its directory store", () => {
    const ws = readWorkspace(copy);
    const checkpoint = ws.packages.find((p) => p.manifest.name === '@trainkit/checkpoint');
    const byPath = new Map(checkpoint?.files.map((f) => [f.path, f]));
    const main = reachableFrom(copy, byPath, 'packages/checkpoint/src/index.ts').via;
    const node = reachableFrom(copy, byPath, 'packages/checkpoint/src/node.ts').via;
    expect(main.has('packages/checkpoint/src/codec.ts')).toBe(true);
    expect(main.has('packages/checkpoint/src/node/directoryStore.ts')).toBe(false);
    expect(node.has('packages/checkpoint/src/node/directoryStore.ts')).toBe(true);
  });
});

/** A made-up workspace: `low` (layer 0), `mid` and `mid2` (layer 1), `top` (layer 2, not browser-safe). */
const small: Architecture = {
  layers: [
    { name: 'low', packages: ['low'], browserSafe: true },
    { name: 'mid', packages: ['mid', 'mid2'], browserSafe: true },
    { name: 'top', packages: ['top'], browserSafe: false },
  ],
  sameLayer: [{ from: 'mid2', to: 'mid', scope: 'tests', reason: 'a test-only edge' }],
  nodeEntries: { low: ['./node'] },
  optionalPeers: { mid: ['dataset'] },
  extraSources: {},
};

function smallWorkspace(files: Record<string, string | object> = {}): string {
  const root = tempDir();
  const pkg = (name: string, extra: object = {}): object => ({
    name,
    exports: { '.': { '@trainkit/source': './src/index.ts' }, ...(name === 'low' ? { './node': { '@trainkit/source': './src/node.ts' } } : {}) },
    ...extra,
  });
  write(root, {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'], devDependencies: { vitest: '4' } },
    'packages/low/package.json': pkg('low'),
    'packages/low/src/index.ts': 'export const low = 1;\n',
    'packages/low/src/node.ts': "export { readFile } from 'node:fs';\n",
    'packages/mid/package.json': pkg('mid', { dependencies: { low: '1' }, peerDependencies: { dataset: '1' }, peerDependenciesMeta: { dataset: { optional: true } } }),
    'packages/mid/src/index.ts': "import { low } from 'low';\nexport const mid = low + 1;\nexport const data = 'dataset';\n",
    'packages/mid2/package.json': pkg('mid2', { devDependencies: { mid: '1' } }),
    'packages/mid2/src/index.ts': 'export const mid2 = 2;\n',
    'packages/mid2/src/index.test.ts': "import { mid } from 'mid';\nimport { test } from 'vitest';\ntest('x', () => void mid);\n",
    'packages/top/package.json': pkg('top', { private: true, dependencies: { mid: '1', low: '1' } }),
    'packages/top/src/index.ts': "import { mid } from 'mid';\nimport { readFile } from 'low/node';\nexport const top = [mid, readFile];\n",
    ...files,
  });
  return root;
}

describe('on a made-up workspace, each rule', () => {
  test('passes the workspace as written', () => {
    expect(messages(smallWorkspace(), small)).toEqual([]);
  });

  test.each([
    ['a same-layer import without an entry', { 'packages/mid/src/x.ts': "import 'mid2';\n" }, [
      "packages/mid/src/x.ts:1 imports 'mid2': mid may not import mid2: the same layer (mid) without an entry in sameLayer",
      "packages/mid/src/x.ts:1 imports 'mid2': mid2 is not in the dependencies or peerDependencies of packages/mid/package.json",
    ]],
    ['a test-only same-layer edge used at run time', { 'packages/mid2/src/x.ts': "import 'mid';\n" }, [
      "packages/mid2/src/x.ts:1 imports 'mid': mid2 may not import mid: the same layer (mid) without an entry in sameLayer",
      "packages/mid2/src/x.ts:1 imports 'mid': mid is not in the dependencies or peerDependencies of packages/mid2/package.json",
    ]],
    ['a test importing a higher layer', { 'packages/low/src/x.test.ts': "import 'mid';\n" }, [
      "packages/low/src/x.test.ts:1 imports 'mid': low may not import mid: a higher layer (mid above low)",
      "packages/low/src/x.test.ts:1 imports 'mid': mid is not in the dependencies, devDependencies or peerDependencies of packages/low/package.json",
    ]],
    ['an import of an undeclared package', { 'packages/low/src/x.ts': "export * from 'left-pad';\n" }, "packages/low/src/x.ts:1 imports 'left-pad': left-pad is not in the dependencies or peerDependencies of packages/low/package.json"],
    ['root tooling imported by shipped code', { 'packages/low/src/x.ts': "import 'vitest';\n" }, "packages/low/src/x.ts:1 imports 'vitest': vitest is not in the dependencies or peerDependencies of packages/low/package.json"],
    ['a dynamic import of a Node built-in in a browser entry', { 'packages/low/src/index.ts': "export const f = () => import('fs');\n" }, "packages/low/src/index.ts:1 imports 'fs', a Node built-in, and is reachable from the browser entry '.' (packages/low/src/index.ts)"],
    ["another package's Node-only entry reached from a browser entry", { 'packages/mid/src/index.ts': "export { readFile } from 'low/node';\nexport const data = 'dataset';\n" }, "packages/mid/src/index.ts:1 imports 'low/node', a Node-only entry, and is reachable from the browser entry '.' (packages/mid/src/index.ts)"],
    ['a node/ folder reached from a browser entry', { 'packages/low/src/index.ts': "export * from './node/x';\n", 'packages/low/src/node/x.ts': 'export const x = 1;\n' }, "packages/low/src/node/x.ts: a node/ folder is reachable from the browser entry '.' (packages/low/src/index.ts → packages/low/src/node/x.ts)"],
    ['a relative import that resolves to nothing', { 'packages/low/src/index.ts': "export * from './gone';\n" }, "packages/low/src/index.ts:1 imports './gone', which resolves to no file"],
  ])('refuses %s', (_, files, expected) => {
    expect(messages(smallWorkspace(files), small)).toEqual(typeof expected === 'string' ? [expected] : expected);
  });

  const midManifest = { name: 'mid', exports: { '.': { '@trainkit/source': './src/index.ts' } }, dependencies: { low: '1' }, peerDependencies: { dataset: '1' }, peerDependenciesMeta: { dataset: { optional: true } } };
  test.each<[string, object, Record<string, string>, string]>([
    ['a dependency nothing imports', { dependencies: { low: '1', mid2: '1' } }, {}, 'packages/mid/package.json: dependencies mid2 is imported by nothing: remove it'],
    ['a dependency only tests import', { dependencies: { low: '1', vitest: '4' } }, { 'packages/mid/src/x.test.ts': "import 'vitest';\n" }, 'packages/mid/package.json: dependencies vitest is imported only by tests: move it to devDependencies'],
    ['a devDependency nothing imports', { devDependencies: { chalk: '5' } }, {}, 'packages/mid/package.json: devDependencies chalk is imported by nothing (and is no peer of another dependency): remove it'],
    ['a data set as a regular dependency', { dependencies: { low: '1', dataset: '1' }, peerDependencies: {} }, {}, 'packages/mid/package.json: dataset must be an optional peer dependency (peerDependencies + peerDependenciesMeta optional), not a dependency'],
  ])('refuses %s in package.json', (_, fields, files, message) => {
    expect(messages(smallWorkspace({ 'packages/mid/package.json': { ...midManifest, ...fields }, ...files }), small)).toContain(message);
  });

  test('refuses a package in no layer, and a layer naming a package that is gone', () => {
    const root = smallWorkspace({ 'packages/extra/package.json': { name: 'extra' } });
    rmSync(join(root, 'packages/top'), { recursive: true });
    expect(messages(root, small)).toEqual([
      'packages/extra/package.json: extra is in no layer of tools/arch/src/architecture.ts',
      'tools/arch/src/architecture.ts: layer top names top, which is not a workspace package',
    ]);
  });
});

describe('scanSource', () => {
  test('finds every form of import with its line, and none in comments or in strings of generated code', () => {
    const code = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "export * from 'c';",
      "const d = await import('d');",
      "const e = require('e');",
      "const f = createRequire(import.meta.url).resolve('f/package.json');",
      "type G = import('g').G;",
      "// import h from 'h';",
      "const source = `const { x } = require('node:worker_threads');`;",
    ].join('\n');
    const found = scanSource('x.ts', code).imports.map((i) => `${i.line}:${i.specifier}`);
    expect(found).toEqual(['1:a', '2:b', '3:c', '4:d', '5:e', '6:f/package.json', '7:g']);
  });
});
