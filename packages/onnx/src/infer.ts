import { type Tensor, noGrad, sameShape } from '@trainkit/tensor';
import { OnnxExportError } from './graph';

/**
 * Recovers an op's hyperparameter that the autograd graph does not record (a softmax axis, a
 * permutation, reduced axes): each candidate is run again with trainkit's own op on the traced
 * inputs, and the one that reproduces the traced output bit for bit is the answer. Candidates
 * of the wrong shape are skipped without running.
 *
 * When none reproduces it, or several different candidates do (the example input cannot tell
 * them apart, e.g. softmax of a tensor whose rows and columns have the same values), the
 * export stops with an error that says so, rather than guess.
 */
export function inferAttribute<T>(
  t: Tensor,
  where: string,
  what: string,
  candidates: readonly T[],
  recompute: (c: T) => Tensor,
): T {
  const matches = noGrad(() =>
    candidates.filter((c) => {
      let y: Tensor;
      try {
        y = recompute(c);
      } catch {
        return false; // a candidate the op refuses for these shapes (e.g. concat on a mismatched axis) is not the one traced
      }
      return sameShape(y.shape, t.shape) && y.data.every((v, i) => Object.is(v, t.data[i]));
    }),
  );
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new OnnxExportError(`exportOnnx: ${where}: could not recover its ${what} from the traced values; use the layer form of this op`);
  }
  const shown = matches.map((m) => JSON.stringify(m)).join(' or ');
  throw new OnnxExportError(
    `exportOnnx: ${where}: its ${what} is ambiguous on this example input (${shown} give the same values); export with a less regular example input, or use the layer form of this op`,
  );
}

/** Every permutation of 0..n-1. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  }
  return out;
}

/** Every non-empty subset of the axes 0..n-1, as sorted lists. */
export function axisSubsets(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) out.push([...Array(n).keys()].filter((i) => (mask >> i) & 1));
  return out;
}
