/** Formats a duration in seconds for humans: `42s`, `3m 07s`, `1h 02m`; `--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The one plain line printed per epoch (also what CI logs show), e.g.
 * `epoch 2/5  loss 0.2345  acc 93.10%  val loss 0.2011  val acc 94.02%  812 samples/s  73.9 s`.
 * Metrics that are absent are left out; `epoch` is 0-based as in the trainer's context.
 */
export function formatEpochLine(epoch: number, metrics: Readonly<Record<string, number>>, epochs?: number): string {
  const parts = [`epoch ${epoch + 1}${epochs === undefined ? '' : `/${epochs}`}`];
  const num = (k: string) => (typeof metrics[k] === 'number' && Number.isFinite(metrics[k]) ? metrics[k] : undefined);
  const loss = num('loss');
  const acc = num('accuracy');
  const valLoss = num('valLoss');
  const valAcc = num('valAccuracy');
  const rate = num('samplesPerSec');
  const time = num('time');
  if (loss !== undefined) parts.push(`loss ${loss.toFixed(4)}`);
  if (acc !== undefined) parts.push(`acc ${(100 * acc).toFixed(2)}%`);
  if (valLoss !== undefined) parts.push(`val loss ${valLoss.toFixed(4)}`);
  if (valAcc !== undefined) parts.push(`val acc ${(100 * valAcc).toFixed(2)}%`);
  if (rate !== undefined) parts.push(`${rate.toFixed(0)} samples/s`);
  if (time !== undefined) parts.push(`${time.toFixed(1)} s`);
  return parts.join('  ');
}
