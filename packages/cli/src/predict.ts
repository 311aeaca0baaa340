import { Trainer } from '@trainkit/core';
import { noGrad, softmax } from '@trainkit/tensor';
import { choice, num, parse, positiveInt } from './args';
import { UsageError } from './errors';
import { loadPredictInputs } from './evalData';
import { PREDICT_HELP } from './help';
import { loadRun } from './loadRun';
import type { Io } from './train';

/** One input's top-k classes with their probabilities. */
export interface Prediction {
  input: string;
  top: { class: string; probability: number }[];
  /** The true class, when the input data has labels (a CSV with the label column). */
  actual?: string;
}

/** `trainkit predict <run> <image…|csv>`: the top-k classes of each input with their probabilities, as text or JSON. */
export async function predict(args: readonly string[], io: Io): Promise<number> {
  const p = parse('predict', args, { 'top-k': { type: 'string' }, json: { type: 'boolean' }, checkpoint: { type: 'string' } });
  if (p.values.help === true) return (io.out(PREDICT_HELP), 0);
  if (p.positionals.length < 2) throw new UsageError('trainkit predict: expected <run> and at least one image file or a .csv file (see trainkit predict --help)');
  const [dir, ...inputs] = p.positionals;
  const which = choice('predict', p, 'checkpoint', ['best', 'latest'] as const, 'best');
  const { run, model } = await loadRun('predict', dir, which);
  const classes = run.data.classes;
  const k = Math.min(num('predict', p, 'top-k', Math.min(3, classes.length), positiveInt), classes.length);
  const { x, names, y } = await loadPredictInputs(inputs, run.data);
  const logits = await new Trainer().predict(model, x);
  const probs = noGrad(() => softmax(logits, 1)).data;
  const results: Prediction[] = names.map((input, i) => {
    const row = Array.from(probs.subarray(i * classes.length, (i + 1) * classes.length));
    const order = row.map((_, j) => j).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
    const r: Prediction = { input, top: order.map((j) => ({ class: classes[j], probability: row[j] })) };
    if (y !== undefined) r.actual = classes[y[i]];
    return r;
  });
  if (p.values.json === true) io.out(JSON.stringify(results, null, 2));
  else for (const r of results) io.out(`${r.input}: ${r.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)}%`).join(', ')}${r.actual === undefined ? '' : ` (true: ${r.actual})`}`);
  return 0;
}
