import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { trajectoryPictures } from './generate';

const pictures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'public', 'pictures');

test('the committed trajectory pictures and tables are exactly what the generator makes now (npm run pictures:trajectories)', () => {
  const files = trajectoryPictures();
  expect([...files.keys()].sort()).toEqual(['trajectories-ill-conditioned.svg', 'trajectories-rosenbrock.svg', 'trajectories-saddle.svg', 'trajectories.md']);
  for (const [name, content] of files) {
    // a readable diff for the table; the pictures compared whole
    expect(readFileSync(join(pictures, name), 'utf8'), `docs/public/pictures/${name} is stale: run npm run pictures:trajectories`).toBe(content);
  }
}, 60_000);
