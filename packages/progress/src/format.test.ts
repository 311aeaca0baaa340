import { expect, test } from 'vitest';
import { formatDuration, formatEpochLine } from './format';

test('formatDuration: seconds, minutes, hours; unknown as --', () => {
  expect(formatDuration(0)).toBe('0s');
  expect(formatDuration(42.4)).toBe('42s');
  expect(formatDuration(187)).toBe('3m 07s');
  expect(formatDuration(3720)).toBe('1h 02m');
  expect(formatDuration(NaN)).toBe('--');
  expect(formatDuration(-1)).toBe('--');
});

test('formatEpochLine: the demo format, validation only when present', () => {
  const m = { loss: 0.30123, accuracy: 0.90714, samplesPerSec: 511.6, time: 117.23 };
  expect(formatEpochLine(0, m, 2)).toBe('epoch 1/2  loss 0.3012  acc 90.71%  512 samples/s  117.2 s');
  expect(formatEpochLine(4, { ...m, valLoss: 0.121, valAccuracy: 0.963 })).toBe(
    'epoch 5  loss 0.3012  acc 90.71%  val loss 0.1210  val acc 96.30%  512 samples/s  117.2 s',
  );
});

test('formatEpochLine shows a NaN or infinite loss or accuracy as nan / inf instead of leaving it out', () => {
  const m = { loss: 0.5, accuracy: 0.9, valLoss: NaN, valAccuracy: 0.1, samplesPerSec: 100, time: 2 };
  expect(formatEpochLine(0, m, 2)).toBe('epoch 1/2  loss 0.5000  acc 90.00%  val loss nan  val acc 10.00%  100 samples/s  2.0 s');
  expect(formatEpochLine(0, { loss: Infinity, valLoss: -Infinity, valAccuracy: NaN })).toBe('epoch 1  loss inf  val loss -inf  val acc nan');
});
