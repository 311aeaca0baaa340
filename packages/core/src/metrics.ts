import { type Target, Tensor, argmax } from '@trainkit/tensor';

/** Fraction of rows of `output` [N, C] whose argmax equals the label (or the argmax of a soft target). */
export function accuracy(output: Tensor, target: Target): number {
  const pred = argmax(output);
  const n = pred.length;
  if (n === 0) return 0;
  let labels: ArrayLike<number>;
  if (target instanceof Tensor && target.rank === 2) labels = argmax(target);
  else labels = target instanceof Tensor ? target.data : target;
  let hits = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) hits++;
  return hits / n;
}

/**
 * Whether the trainer logs `accuracy` for `output`: one row per sample and a column per class
 * (at least two). A single column (a regression, or one logit for two classes) has no argmax to
 * compare, so no accuracy is logged for it.
 */
export function logsAccuracy(output: Tensor): boolean {
  return output.rank === 2 && output.shape[1] >= 2;
}

/** Weighted running means of named metrics (one per epoch); serializable for exact resume. */
export class MetricAccumulator {
  private sums = new Map<string, number>();
  private weights = new Map<string, number>();

  add(name: string, value: number, weight = 1): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + value * weight);
    this.weights.set(name, (this.weights.get(name) ?? 0) + weight);
  }

  means(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.sums) out[prefix === '' ? k : prefix + k[0].toUpperCase() + k.slice(1)] = s / (this.weights.get(k) as number);
    return out;
  }

  reset(): void {
    this.sums.clear();
    this.weights.clear();
  }

  stateDict(): Record<string, [number, number]> {
    const out: Record<string, [number, number]> = {};
    for (const [k, s] of this.sums) out[k] = [s, this.weights.get(k) as number];
    return out;
  }

  loadStateDict(state: Record<string, [number, number]>): void {
    this.reset();
    for (const [k, [s, w]] of Object.entries(state)) {
      this.sums.set(k, s);
      this.weights.set(k, w);
    }
  }
}
