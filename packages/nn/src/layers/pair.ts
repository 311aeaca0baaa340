import { type Pair, ValueError } from '@trainkit/tensor';

/**
 * Checks a size given once or as [height, width] at construction, so a bad hyperparameter fails
 * where the layer is built (naming the layer) rather than at its first forward.
 */
export function checkPair(layer: string, name: string, value: Pair, min: number): void {
  const p: readonly number[] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ValueError(`${layer}: ${name} must be an integer ≥ ${min} (or a pair of them), got ${JSON.stringify(value)}`);
  }
}
