import type { MemberProgress } from '../progress';

/** Options of {@link memberProgressPrinter}. */
export interface MemberProgressPrinterOptions {
  /** Where to write (default `process.stderr`). */
  stream?: { write(chunk: string): unknown; isTTY?: boolean };
  /** Redraw one live line per member (default: when the stream is a terminal); otherwise print a line per finished epoch. */
  tty?: boolean;
}

const BAR = 20;

function line(e: MemberProgress): string {
  const total = e.batchesPerEpoch;
  const frac = total ? Math.min(1, e.batch / total) : 0;
  const bar = '█'.repeat(Math.round(frac * BAR)).padEnd(BAR, '░');
  const m = e.metrics;
  const parts = [
    `member ${e.member} (seed ${e.seed})`,
    `epoch ${Math.min(e.epoch + 1, e.epochs)}/${e.epochs}`,
    total ? `${bar} ${String(e.batch).padStart(String(total).length)}/${total}` : `batch ${e.batch}`,
    typeof m.loss === 'number' ? `loss ${m.loss.toFixed(4)}` : '',
    typeof m.accuracy === 'number' ? `acc ${(100 * m.accuracy).toFixed(2)}%` : '',
    typeof m.valAccuracy === 'number' ? `val acc ${(100 * m.valAccuracy).toFixed(2)}%` : '',
    `${e.elapsed.toFixed(1)} s`,
    e.phase === 'end' ? 'done' : '',
  ];
  return parts.filter(Boolean).join('  ');
}

/**
 * Shows each member's progress in the terminal: one live line per member, redrawn in place
 * (members training in parallel update their own line), or — when the stream is not a
 * terminal — one plain line per member and epoch. Pass it as `onProgress`.
 *
 * @example
 * await trainEnsemble({ member: url, members: 5, onProgress: memberProgressPrinter() });
 * // member 0 (seed 0)  epoch 1/1  ████████░░░░░░░░░░░░ 402/938  loss 0.3120  acc 90.41%  31.2 s
 */
export function memberProgressPrinter(options: MemberProgressPrinterOptions = {}): (event: MemberProgress) => void {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const lines = new Map<number, string>();
  let drawn = 0;
  return (event) => {
    if (!tty) {
      if (event.phase === 'epoch') stream.write(`${line(event)}\n`);
      return;
    }
    lines.set(event.member, line(event));
    const rows = [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => `\x1b[2K${l}`);
    stream.write(`${drawn > 0 ? `\x1b[${drawn}A\r` : ''}${rows.join('\n')}\n`);
    drawn = rows.length;
  };
}
