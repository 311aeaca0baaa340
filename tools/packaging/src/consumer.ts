/**
 * The steps of the consumer test: make sure every package's dist is built and current, pack
 * the packages as npm would publish them, and install the tarballs into a project outside the
 * workspace, offline, from the npm cache.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Lockfile, type Tarball, consumerLockfile } from './lockfile';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = promisify(execFile);

/** The environment for a child npm: without the npm_* variables of an enclosing `npm test`, which would reconfigure it. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || k === 'npm_config_cache'));
}

/** The published workspace packages (`packages/*`, not private): folder and manifest. */
export function publishedPackages(): { dir: string; manifest: Tarball['manifest'] & { private?: boolean; exports: Record<string, unknown> } }[] {
  return readdirSync(join(repo, 'packages'))
    .map((name) => `packages/${name}`)
    .filter((dir) => existsSync(join(repo, dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) }))
    .filter((p) => !p.manifest.private);
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).filter((e) => !/\.test\.ts$|^__tests__$/.test(e)).map((e) => newestMtime(join(path, e))));
}

/** Packages whose dist is missing or older than their sources (what `npm test` builds first). */
export function staleBuilds(): string[] {
  return publishedPackages()
    .filter(({ dir }) => {
      const built = join(repo, dir, 'dist', 'index.js');
      return !existsSync(built) || statSync(built).mtimeMs < Math.max(newestMtime(join(repo, dir, 'src')), newestMtime(join(repo, dir, 'package.json')));
    })
    .map((p) => p.manifest.name);
}

/** Builds the given packages (and what they depend on) with Nx, as `npm test` does before vitest. */
export function build(names: string[]): void {
  execFileSync('npx', ['nx', 'run-many', '-t', 'build', `--projects=${names.join(',')}`, '--output-style=static'], { cwd: repo, stdio: 'pipe', env: cleanEnv() });
}

export interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** `npm pack` of every published package into `dest`. */
export async function packAll(dest: string): Promise<Packed[]> {
  const workspaces = publishedPackages().flatMap((p) => ['-w', p.dir]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest, ...workspaces], { cwd: repo, env: cleanEnv(), maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Packed[];
}

/**
 * A project in `app` that depends on every tarball in `packs` (and on `extra` registry
 * packages), installed with `npm ci --offline`: a lockfile built from the workspace's gives
 * each registry package's integrity, so npm takes it from the cache and asks no registry.
 */
export async function installConsumer(app: string, packs: string, packed: Packed[], extra: string[]): Promise<void> {
  const manifests = new Map(publishedPackages().map((p) => [p.manifest.name, p.manifest]));
  const tarballs: Tarball[] = packed.map((p) => ({
    manifest: manifests.get(p.name) as Tarball['manifest'],
    file: join(packs, p.filename),
    path: join(packs, p.filename),
  }));
  const workspaceLock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as Lockfile;
  const lock = consumerLockfile('trainkit-consumer', workspaceLock, tarballs, extra);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'trainkit-consumer', private: true, type: 'module', dependencies: lock.packages[''].dependencies }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
  cpSync(join(repo, 'tools', 'packaging', 'fixtures', 'consumer'), app, { recursive: true });
  try {
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, env: cleanEnv() });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    const hint = stderr.includes('ENOTCACHED') ? ' (a package is not in the npm cache: run `npm ci` in the workspace first, which fills it)' : '';
    throw new Error(`npm ci --offline in ${app} failed${hint}:\n${stderr}`);
  }
}

/** Runs a command; resolves to its exit code and combined output (never rejects). */
export async function outcome(file: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: cleanEnv(), maxBuffer: 64 << 20 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}
