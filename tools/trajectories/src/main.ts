// Writes docs/public/pictures/trajectories-<function>.svg and trajectories.md, and prints the
// steps-to-tolerance table. Run: npm run pictures:trajectories [-- --out DIR --max-steps N]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_STEPS, trajectoryPictures } from './generate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, 'max-steps': { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'docs', 'public', 'pictures'));
const maxSteps = Number(values['max-steps'] ?? MAX_STEPS);
if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`pictures:trajectories: --max-steps must be a positive integer, got ${values['max-steps']}`);
mkdirSync(out, { recursive: true });

const files = trajectoryPictures(maxSteps);
for (const [name, content] of files) {
  writeFileSync(join(out, name), content);
  console.log(`wrote ${relative(root, join(out, name))}`);
}
console.log(`\n${files.get('trajectories.md')?.split('\n### ')[0].split('\n\n').at(-1) ?? ''}`);
