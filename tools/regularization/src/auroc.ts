/**
 * Area under the ROC curve of `score` for telling `positive` examples from the rest: the
 * probability that a random positive scores higher than a random negative (ties count half),
 * from the ranks (Mann–Whitney U).
 */
export function auroc(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  const rank = new Float64Array(score.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && score[order[j + 1]] === score[order[i]]) j++;
    for (let k = i; k <= j; k++) rank[order[k]] = (i + j) / 2 + 1; // ties share the mean rank
    i = j + 1;
  }
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < score.length; i++) {
    if (!positive[i]) continue;
    pos++;
    sum += rank[i];
  }
  const neg = score.length - pos;
  if (pos === 0 || neg === 0) throw new Error(`auroc: needs positives and negatives, got ${pos} and ${neg}`);
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}
