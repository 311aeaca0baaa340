import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { choice, num, parse, positiveInt, text } from './args';
import { UsageError, onUserPath } from './errors';
import { loadEvalData } from './evalData';
import { EVAL_HELP } from './help';
import { loadRun } from './loadRun';
import { classScores, confusionMatrix, confusionSvg, confusionTable, scoresTable } from './report';
import type { Io } from './train';

/**
 * `trainkit eval <run> <data>`: accuracy, the confusion matrix (a table, and an SVG in the run
 * folder or at --svg) and per-class precision, recall and F1 of the run's best weights on `<data>`.
 */
export async function evaluate(args: readonly string[], io: Io): Promise<number> {
  const p = parse('eval', args, { checkpoint: { type: 'string' }, svg: { type: 'string' }, limit: { type: 'string' }, 'batch-size': { type: 'string' } });
  if (p.values.help === true) return (io.out(EVAL_HELP), 0);
  if (p.positionals.length !== 2) throw new UsageError(`trainkit eval: expected <run> <data>, got ${p.positionals.length === 0 ? 'nothing' : p.positionals.join(' ')} (see trainkit eval --help)`);
  const [dir, data] = p.positionals;
  const which = choice('eval', p, 'checkpoint', ['best', 'latest'] as const, 'best');
  const limit = text(p, 'limit') === undefined ? undefined : num('eval', p, 'limit', 0, positiveInt);
  const batchSize = num('eval', p, 'batch-size', 256, positiveInt);
  const { run, model, file } = await loadRun('eval', dir, which);
  const ds = await loadEvalData(data, run.data, limit);
  const classes = run.data.classes;
  const logits = await new Trainer().predict(model, new DataLoader(ds, { batchSize }));
  const predicted = argmaxRows(logits.data, classes.length);
  const actual = ds.gather(Array.from({ length: ds.length }, (_, i) => i)).y;
  const cm = confusionMatrix(predicted, actual, classes.length);
  const correct = cm.reduce((a, row, k) => a + row[k], 0);
  const svgPath = text(p, 'svg') ?? join(dir, 'confusion.svg');
  const svg = confusionSvg(cm, classes, `${run.model.name} on ${data}: accuracy ${((100 * correct) / ds.length).toFixed(2)}%`);
  const what = `trainkit eval: cannot write ${text(p, 'svg') === undefined ? 'the confusion matrix picture' : '--svg'} ${svgPath}`;
  await onUserPath(what, svgPath, 'write', 'give --svg a file in an existing folder you may write to', () => writeFile(svgPath, svg));
  io.out(`trainkit eval: ${file} on ${data} (${ds.length} samples)`);
  io.out(`accuracy: ${((100 * correct) / ds.length).toFixed(2)}% (${correct} / ${ds.length})`);
  io.out('');
  io.out('confusion matrix (rows: true class, columns: predicted):');
  io.out(confusionTable(cm, classes));
  io.out('');
  io.out(scoresTable(classScores(cm), classes));
  io.out('');
  io.out(`confusion matrix picture: ${svgPath}`);
  return 0;
}

/** The index of the largest value of each row of a `[n, k]` matrix. */
export function argmaxRows(values: Float32Array, k: number): Int32Array {
  const out = new Int32Array(values.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
