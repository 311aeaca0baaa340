/** Formats a duration in seconds for humans: `42s`, `3m 07s`, `1h 02m`; `--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A metric for a log line: fixed decimals, or `nan` / `inf` / `-inf` (as Python prints them) when it is not finite. */
export function formatMetric(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return value.toFixed(digits);
}

/**
 * The one plain line printed per epoch (also what CI logs show), e.g.
 * `epoch 2/5  loss 0.2345  acc 93.10%  val loss 0.2011  val acc 94.02%  812 samples/s  73.9 s`.
 * Metrics that are absent are left out; a loss or accuracy that is NaN or infinite shows as
 * `nan` or `inf` (a diverged validation loss must not vanish from the log); `epoch` is 0-based
 * as in the trainer's context.
 */
export function formatEpochLine(epoch: number, metrics: Readonly<Record<string, number>>, epochs?: number): string {
  const parts = [`epoch ${epoch + 1}${epochs === undefined ? '' : `/${epochs}`}`];
  const has = (k: string) => typeof metrics[k] === 'number';
  const percent = (k: string) => (Number.isFinite(metrics[k]) ? `${(100 * metrics[k]).toFixed(2)}%` : formatMetric(metrics[k], 2));
  if (has('loss')) parts.push(`loss ${formatMetric(metrics.loss, 4)}`);
  if (has('accuracy')) parts.push(`acc ${percent('accuracy')}`);
  if (has('valLoss')) parts.push(`val loss ${formatMetric(metrics.valLoss, 4)}`);
  if (has('valAccuracy')) parts.push(`val acc ${percent('valAccuracy')}`);
  // throughput and time are the trainer's own measurements: left out when not finite (an epoch timed at 0 s)
  if (Number.isFinite(metrics.samplesPerSec)) parts.push(`${metrics.samplesPerSec.toFixed(0)} samples/s`);
  if (Number.isFinite(metrics.time)) parts.push(`${metrics.time.toFixed(1)} s`);
  return parts.join('  ');
}
