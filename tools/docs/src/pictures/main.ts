/**
 * `npm run pictures [-- name ...]`: regenerates every picture of the docs site (or those whose
 * file name contains one of the given names) into docs/public/pictures/, and the playground's
 * data slice into docs/public/data/.
 *
 * Two hooks let other workspaces add pictures without touching this package:
 * - `<workspace>/pictures.ts` exporting `pictures: PictureGenerator[]` (one file each);
 * - a `"pictures"` script in `<workspace>/package.json`, for a generator that writes its own
 *   files into docs/public/pictures/ (tools/trajectories does this); it is run as is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../entries';
import { writeSlice } from '../playgroundData';
import { mnistGrid } from './mnistGrid';
import { trainingCurvesPicture } from './trainingCurves';
import type { PictureGenerator } from './types';

/** This package's own pictures. */
export const builtIn: PictureGenerator[] = [trainingCurvesPicture, mnistGrid];

/** Pictures contributed by other workspaces: `<workspace>/pictures.ts` exporting `pictures`. */
export async function contributed(): Promise<Array<PictureGenerator & { from: string }>> {
  const out: Array<PictureGenerator & { from: string }> = [];
  for (const group of ['packages', 'tools', 'examples']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const ws of readdirSync(dir).sort()) {
      const file = join(dir, ws, 'pictures.ts');
      if (!existsSync(file)) continue;
      const mod = (await import(pathToFileURL(file).href)) as { pictures?: PictureGenerator[] };
      if (!Array.isArray(mod.pictures)) throw new Error(`${group}/${ws}/pictures.ts must export \`pictures: PictureGenerator[]\``);
      for (const p of mod.pictures) out.push({ ...p, from: `${group}/${ws}` });
    }
  }
  return out;
}

/** Workspaces (other than this one) with a `"pictures"` npm script. */
export function pictureScripts(): Array<{ name: string; dir: string }> {
  const out: Array<{ name: string; dir: string }> = [];
  for (const group of ['packages', 'tools', 'examples']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const ws of readdirSync(dir).sort()) {
      const file = join(dir, ws, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; scripts?: Record<string, string> };
      if (pkg.name !== '@trainkit/docs' && pkg.scripts?.pictures !== undefined) out.push({ name: pkg.name, dir: `${group}/${ws}` });
    }
  }
  return out;
}

export async function main(filters: string[]): Promise<void> {
  const all = [...builtIn.map((p) => ({ ...p, from: 'tools/docs' })), ...(await contributed())];
  const seen = new Set<string>();
  for (const p of all) {
    if (seen.has(p.file)) throw new Error(`two picture generators write ${p.file}`);
    seen.add(p.file);
  }
  const chosen = filters.length === 0 ? all : all.filter((p) => filters.some((f) => p.file.includes(f)));
  const outDir = join(root, 'docs', 'public', 'pictures');
  mkdirSync(outDir, { recursive: true });
  for (const p of chosen) {
    const started = performance.now();
    const content = await p.generate();
    writeFileSync(join(outDir, p.file), content);
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
    console.log(`${p.file.padEnd(28)} ${(size / 1024).toFixed(1).padStart(7)} KiB  ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  ${p.from}: ${p.description}`);
  }
  for (const ws of pictureScripts()) {
    if (filters.length > 0 && !filters.some((f) => ws.dir.includes(f) || ws.name.includes(f))) continue;
    const started = performance.now();
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const output = execFileSync(npm, ['run', '--silent', 'pictures', '--workspace', ws.name], { cwd: root, encoding: 'utf8' });
    console.log(`${ws.dir.padEnd(28)} ${''.padStart(11)} ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  its "pictures" script (${output.trim().split('\n').length} lines of output)`);
  }
  if (filters.length === 0 || filters.some((f) => 'mnist-slice.bin'.includes(f))) {
    const { bytes } = writeSlice();
    console.log(`${'data/mnist-slice.bin'.padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  playground digits (4,000 train + 1,000 test)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
