/**
 * The teacher's logits for the training images, computed once and looked up by image: the
 * distillation table trains three distilled students from the same teacher on the same
 * (unaugmented) images, so running the 5-member ensemble again for every student would only
 * repeat the same numbers. The students' runs use the table as their `distill` teacher; PyTorch's
 * side does the same (torch_distill.py keeps the ensemble's training-set outputs).
 */
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { Module } from '@trainkit/nn';
import { Tensor, concat, noGrad } from '@trainkit/tensor';

/** A 53-bit key of one image: two 32-bit FNV-1a hashes of its float bits (collisions among 60,000 images: ~1e-7). */
function keyOf(bits: Uint32Array, start: number, size: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ size;
  for (let i = start; i < start + size; i++) {
    a = Math.imul(a ^ bits[i], 0x01000193) >>> 0;
    b = Math.imul(b ^ bits[i], 0x5bd1e995) >>> 0;
    b ^= b >>> 15;
  }
  return a * 2 ** 21 + (b & 0x1fffff);
}

/** A module that answers, for inputs that are rows of `images`, the logits stored for them. */
export class TeacherTable extends Module {
  private readonly rows = new Map<number, number>();

  /** `images`: the pixels of the images, one after another, `per` values each; `logits`: [images, classes]. */
  constructor(
    images: Float32Array,
    per: number,
    private readonly logits: Float32Array,
    private readonly classes: number,
  ) {
    super();
    const n = images.length / per;
    if (logits.length !== n * classes) throw new Error(`TeacherTable: ${logits.length} logits for ${n} images of ${classes} classes`);
    const bits = new Uint32Array(images.buffer, images.byteOffset, images.length);
    for (let r = 0; r < n; r++) this.rows.set(keyOf(bits, r * per, per), r);
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    const per = x.size / n;
    const bits = new Uint32Array(x.data.buffer, x.data.byteOffset, x.size);
    const out = new Float32Array(n * this.classes);
    for (let r = 0; r < n; r++) {
      const row = this.rows.get(keyOf(bits, r * per, per));
      if (row === undefined) throw new Error(`TeacherTable: input row ${r} is not one of the images the table was computed for`);
      out.set(this.logits.subarray(row * this.classes, (row + 1) * this.classes), r * this.classes);
    }
    return new Tensor(out, [n, this.classes]);
  }
}

/**
 * The teacher's logits for `images`, from `file` when it is newer than every file in `sources`,
 * else computed in batches of 1,000 (eval mode, no gradients) and written there.
 */
export function teacherLogits(teacher: Module, images: Float32Array, sampleShape: readonly number[], file: string, sources: string[]): Float32Array {
  const newest = Math.max(...sources.map((s) => statSync(s).mtimeMs));
  if (existsSync(file) && statSync(file).mtimeMs > newest) {
    const b = readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
  }
  teacher.eval();
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const n = images.length / per;
  const parts: Tensor[] = [];
  noGrad(() => {
    for (let i = 0; i < n; i += 1000) {
      const m = Math.min(1000, n - i);
      parts.push(teacher.call(new Tensor(images.slice(i * per, (i + m) * per), [m, ...sampleShape])));
    }
  });
  const logits = concat(parts, 0).data;
  writeFileSync(file, Buffer.from(logits.buffer, logits.byteOffset, logits.byteLength));
  return logits;
}
