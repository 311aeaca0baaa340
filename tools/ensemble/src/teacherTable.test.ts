import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linear, Sequential, Flatten } from '@trainkit/nn';
import { Rng, Tensor, noGrad } from '@trainkit/tensor';
import { expect, test } from 'vitest';
import { TeacherTable, teacherLogits } from './teacherTable';

const images = (n: number) => new Rng(3).fillNormal(new Float32Array(n * 12));
const teacher = () => new Sequential({ flatten: new Flatten(), fc: new Linear(12, 4, { rng: new Rng(1) }) });
const rowsOf = (x: Float32Array, rows: number[]) => new Tensor(Float32Array.from(rows.flatMap((r) => Array.from(x.subarray(r * 12, r * 12 + 12)))), [rows.length, 1, 3, 4]);

// equal up to float32 rounding, not bit for bit: the teacher ran on batches of another size
test('the table answers, for images it was built from in any order, what the teacher outputs for them', () => {
  const x = images(50);
  const model = teacher();
  const dir = mkdtempSync(join(tmpdir(), 'teacher-table-'));
  const logits = teacherLogits(model, x, [1, 3, 4], join(dir, 'logits.f32'), []);
  const table = new TeacherTable(x, 12, logits, 4);
  const batch = rowsOf(x, [7, 0, 49, 7, 23]);
  const live = noGrad(() => model.call(batch)).data;
  table.call(batch).data.forEach((v, i) => expect(v).toBeCloseTo(live[i], 5));
  // a second call reads the file instead of running the teacher
  expect(Array.from(teacherLogits(new Sequential({ flatten: new Flatten(), fc: new Linear(12, 4, { rng: new Rng(9) }) }), x, [1, 3, 4], join(dir, 'logits.f32'), []))).toEqual(Array.from(logits));
});

test('an image the table was not built from is an error naming its row', () => {
  const x = images(10);
  const table = new TeacherTable(x, 12, new Float32Array(40), 4);
  const other = rowsOf(x, [1, 2]);
  other.data[12] += 1;
  expect(() => table.call(other)).toThrow('TeacherTable: input row 1 is not one of the images the table was computed for');
});
