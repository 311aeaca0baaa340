import { describe, expect, test } from 'vitest';
import { CsvColumn, CsvLines } from './csvColumns';

/** The cell of row `i` in the tests below: mostly numbers, every 7th a text, every 11th missing. */
const cellOf = (i: number): string => (i % 11 === 0 ? 'NA' : i % 7 === 0 ? `w${i % 3}` : String(i / 4 - 1000));

describe('CsvColumn', () => {
  test('a number column gives back every cell across chunk boundaries (200,000 rows): numbers as the float64 they write, other cells as their text, by code', () => {
    const column = new CsvColumn('number', new Set(['NA']));
    const rows = 200_000; // past the growing first chunk and three full chunks of 65,536
    for (let i = 0; i < rows; i++) column.push(cellOf(i));
    expect(column.length).toBe(rows);
    expect(column.texts).toEqual(['NA', 'w1', 'w2', 'w0']);
    const wrong: number[] = [];
    for (let i = 0; i < rows; i++) {
      const text = cellOf(i);
      const expected = text === 'NA' || text.startsWith('w') ? text : Number(text);
      if (column.cell(i) !== expected || (column.code(i) < 0) !== (typeof expected === 'number')) wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });

  test('in a number column, a listed missing marker that looks like a number, a number beyond float64 and non-decimal text stay text; spellings of a number are that number', () => {
    const column = new CsvColumn('number', new Set(['-999']));
    for (const cell of ['-999', ' -999 ', '-999.0', '1e999', '0x10', '', ' 007 ', '-.5', '2.', '1e1']) column.push(cell);
    expect(Array.from({ length: column.length }, (_, i) => column.cell(i))).toEqual(['-999', ' -999 ', -999, '1e999', '0x10', '', 7, -0.5, 2, 10]);
  });

  test('a text column keeps each distinct text once and a code per cell, across chunk boundaries (140,000 rows)', () => {
    const names = ['setosa', 'versicolor', ' virginica '];
    const column = new CsvColumn('text');
    for (let i = 0; i < 140_000; i++) column.push(names[(i % 5) % 3]);
    expect(column.texts).toEqual(names);
    const wrong: number[] = [];
    for (let i = 0; i < column.length; i++) if (column.code(i) !== (i % 5) % 3 || column.cell(i) !== names[(i % 5) % 3]) wrong.push(i);
    expect([column.length, wrong]).toEqual([140_000, []]);
  });
});

describe('CsvLines', () => {
  test('names the line each row ends on, also after blank lines and rows spanning several lines', () => {
    const lines = new CsvLines();
    const ends = [2, 3, 5, 6, 7, 10, 11, 13]; // row 2 after a blank line, row 5 a quoted cell over three lines …
    ends.forEach((line, row) => lines.push(row, line));
    expect(ends.map((_, row) => lines.line(row))).toEqual(ends);
  });
});
