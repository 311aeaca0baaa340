import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '@trainkit/tensor';

/** The classes of {@link writeImageFolder}: where the bright square is. */
export const SQUARE_CLASSES = ['bottom', 'left', 'top'] as const;

/**
 * Writes `perClass` noisy 12×12 RGB PNGs per class into `dir/<class>/`: a bright 4×4 square at
 * the top, left or bottom of a dark image, so a small model can learn the class.
 */
export async function writeImageFolder(dir: string, perClass: number, seed = 0): Promise<void> {
  const rng = new Rng(seed);
  const side = 12;
  const corner: Record<string, [number, number]> = { top: [0, 4], left: [4, 0], bottom: [8, 4] };
  for (const cls of SQUARE_CLASSES) {
    await mkdir(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(side * side * 3);
      const [y0, x0] = corner[cls];
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const inside = y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4;
          const v = (inside ? 200 : 30) + Math.floor(rng.uniform() * 40);
          px.fill(v, (y * side + x) * 3, (y * side + x) * 3 + 3);
        }
      }
      await sharp(px, { raw: { width: side, height: side, channels: 3 } }).png().toFile(join(dir, cls, `${String(i).padStart(3, '0')}.png`));
    }
  }
}

/**
 * Writes a CSV of `rows` rows: numeric `x` and `y`, a categorical `shape` and the label
 * `species`, which is `a` when x + y > 0 and `b` otherwise (`c` when shape is square).
 */
export async function writeCsv(path: string, rows: number, seed = 0, labels: readonly string[] = ['a', 'b', 'c']): Promise<void> {
  const rng = new Rng(seed);
  const lines = ['x,y,shape,species'];
  for (let i = 0; i < rows; i++) {
    const x = rng.uniform() * 2 - 1;
    const y = rng.uniform() * 2 - 1;
    const shape = rng.uniform() < 0.3 ? 'square' : 'round';
    const label = shape === 'square' ? labels[2] : x + y > 0 ? labels[0] : labels[1];
    lines.push(`${x.toFixed(4)},${y.toFixed(4)},${shape},${label}`);
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}
