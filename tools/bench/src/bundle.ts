/**
 * "Import only what you need", measured: the minimal training program (bundle/minimal.ts)
 * bundled for the browser with esbuild (minified, tree-shaken), its bytes and gzip bytes,
 * the marginal size of each plugin when the program uses it, and what importing a plugin
 * without using it adds (0 when tree-shaking works).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** A plugin, the import that brings it in and an expression that uses it. */
const PLUGINS: Array<{ pkg: string; name: string; use: string }> = [
  { pkg: '@trainkit/optim-momentum', name: 'momentum', use: 'momentum({ lr: 0.01 })' },
  { pkg: '@trainkit/optim-adaptive', name: 'rmsprop', use: 'rmsprop({ lr: 0.01 })' },
  { pkg: '@trainkit/reg-dropout', name: 'Dropout', use: 'new Dropout(0.5)' },
  { pkg: '@trainkit/reg-penalty', name: 'penalty', use: 'penalty({ l2: 1e-4 })' },
  { pkg: '@trainkit/aug-image', name: 'augment', use: 'augment' },
  { pkg: '@trainkit/ensemble', name: 'ema', use: 'ema()' },
  { pkg: '@trainkit/checkpoint', name: 'Checkpointer', use: 'Checkpointer' },
  { pkg: '@trainkit/progress', name: 'metricHistory', use: 'metricHistory()' },
];

export interface Size {
  bytes: number;
  gzip: number;
}

export interface BundleReport {
  minimal: Size;
  /** The embedded WebAssembly kernels inside `minimal`: the plain build (base64 text, raw module bytes) and the relaxed build's delta against it (base64 text). */
  wasmModule: { base64Bytes: number; moduleBytes: number; relaxedDeltaBase64Bytes?: number };
  plugins: Array<{ pkg: string; used: Size | { error: string }; unusedImportAddsBytes: number | null }>;
}

async function bundle(source: string): Promise<Size> {
  const out = await build({
    stdin: { contents: source, resolveDir: join(here, 'bundle'), sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@trainkit/source'],
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

export async function measureBundles(): Promise<BundleReport> {
  const base = `export { train } from './minimal';\n`;
  const minimal = await bundle(base);
  const generated = (file: string) => readFileSync(join(here, '..', '..', '..', 'packages', 'tensor', 'src', 'kernels', 'wasm', `${file}.generated.ts`), 'utf8');
  const base64Of = (file: string) => [...generated(file).matchAll(/'([A-Za-z0-9+/=]+)'/g)].map((m) => m[1]).join('');
  const wasmModuleBase64 = base64Of('module');
  const plugins: BundleReport['plugins'] = [];
  for (const p of PLUGINS) {
    let used: Size | { error: string };
    let unused: number | null = null;
    try {
      const withPlugin = await bundle(`${base}import { ${p.name} } from '${p.pkg}';\nexport const extra = ${p.use};\n`);
      used = { bytes: withPlugin.bytes - minimal.bytes, gzip: withPlugin.gzip - minimal.gzip };
      unused = (await bundle(`${base}import { ${p.name} } from '${p.pkg}';\n`)).bytes - minimal.bytes;
    } catch (err) {
      used = { error: (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 100) };
    }
    plugins.push({ pkg: p.pkg, used, unusedImportAddsBytes: unused });
  }
  return { minimal, wasmModule: { base64Bytes: wasmModuleBase64.length, moduleBytes: Buffer.from(wasmModuleBase64, 'base64').length, relaxedDeltaBase64Bytes: base64Of('moduleRelaxed').length }, plugins };
}
