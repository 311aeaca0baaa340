/** Metric names where lower is better: checked first, so `heatmapLoss` is a loss. */
const LOWER_IS_BETTER = /loss|err|mse|mae|mape|wape|nll|ece|perplex|brier|dist|gap/i;
/** Metric names where higher is better: accuracy, AUC, F1, precision, recall, IoU, Dice, mAP/AP, R², BLEU, NDCG, PSNR, SSIM. */
const HIGHER_IS_BETTER = /acc|auc|f1|precision|recall|iou|dice|map|r2|bleu|ndcg|psnr|ssim/i;
/** Average precision as a word: `valAP`, `valAp`, `ap`, `val_ap` (not the end of `valGap`). */
const AVERAGE_PRECISION = /(?:^|[a-z0-9])A[Pp]$|(?:^|_)ap$/;

/**
 * Whether lower (`'min'`) or higher (`'max'`) values of a metric are better, as its name says:
 * a loss or an error is `'min'`, a score (accuracy, AUC, F1, IoU, …) `'max'`; null when the
 * name says neither. Plugins that watch a metric (early stopping, the checkpointer's best-k)
 * use it as their default `mode`.
 *
 * @example
 * metricMode('valLoss')     // 'min'
 * metricMode('valAccuracy') // 'max'
 * metricMode('reward')      // null: ask for a mode
 */
export function metricMode(name: string): 'min' | 'max' | null {
  if (LOWER_IS_BETTER.test(name)) return 'min';
  if (HIGHER_IS_BETTER.test(name) || AVERAGE_PRECISION.test(name)) return 'max';
  return null;
}
