import { type DeviceBackend, type Plugin, Trainer, sgd } from '@trainkit/core';
import { Tensor } from '@trainkit/tensor';
import { afterEach, expect, test, vi } from 'vitest';
import { terminalProgress } from './terminal';
import { screenOf } from '../__tests__/screen';
import { toyLoader, toyModel } from '../__tests__/toy';

// The bars drawn on streams the test holds: what a terminal receives, without a pty.
const terminal = (isTTY: boolean | undefined = true) => {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 120, write: (s: string) => void chunks.push(s) }, text: () => chunks.join('') };
};
const EPOCH_LINE = /^epoch \d\/2 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}\d+ samples\/s {2}\d+\.\d s$/;

afterEach(() => {
  vi.restoreAllMocks();
});

test('Ctrl-C still interrupts a fit drawn on a terminal: the bars install no SIGINT or SIGTERM handler and leave the cursor visible', async () => {
  const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
  const during: Array<{ int: number; term: number }> = [];
  const out = terminal();
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress({ stream: out.stream, redrawMs: 0 })] });
  trainer.on('trainBatchEnd', () => void during.push({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }));
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 1 });
  expect(out.text()).toMatch(/batch [░▒▓█]+ +12\/12/); // the bars were drawn
  expect(during).toHaveLength(12);
  for (const d of during) expect(d).toEqual(before);
  expect(out.text()).not.toContain('\x1b[?25l'); // hide cursor
});

test('on a device, whose running loss arrives every metricsEvery steps, the batch bar draws without a loss instead of failing the fit', async () => {
  const device: DeviceBackend = {
    name: 'test-device',
    async open() {
      return {
        outputSize: 3,
        step() {},
        metrics: async () => ({ loss: 1, accuracy: 0.5, samples: 96 }),
        predict: async (x: Tensor) => new Tensor(new Float32Array(x.shape[0] * 3), [x.shape[0], 3]),
        async syncToCpu() {},
        dispose() {},
      };
    },
  };
  const out = terminal();
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), device, plugins: [terminalProgress({ stream: out.stream, redrawMs: 0 })] });
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 2 });
  expect(trainer.deviceName).toBe('test-device');
  expect(out.text()).toMatch(/batch [░▒▓█]+ +1\/12 {2}\d+ samples\/s {2}eta /);
  expect(screenOf(out.text()).filter((l) => l !== '')).toEqual([expect.stringMatching(/^epoch 1\/2 {2}loss 1\.0000 {2}acc 50\.00%/), expect.stringMatching(/^epoch 2\/2 /)]);
});

test('a fit resumed in the middle of an epoch measures its rate and times left from the batches it trains itself', async () => {
  const stopped = new Trainer({ optimizer: sgd({ lr: 0.1 }) });
  await stopped.fit(toyModel(), { train: toyLoader(), epochs: 2, maxSteps: 6 }); // stops after batch 6 of 12
  // a clock that advances one second per batch: 8 samples/s
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const clock: Plugin = { name: 'clock', onTrainBatchEnd: () => void (now += 1000) };
  const out = terminal();
  const resumed = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [clock, terminalProgress({ stream: out.stream, redrawMs: 0 })] });
  await resumed.fit(toyModel(), { train: toyLoader(), epochs: 2, resume: stopped.stateDict() });
  // after its first batch (7 of 12): 5 batches of 1 s left in the epoch, then a 12 s epoch
  expect(out.text()).toMatch(/batch [░▒▓█]+ +7\/12 {2}loss \S+ {2}acc \S+ {2}8 samples\/s {2}eta 5s/);
  expect(out.text()).toMatch(/epoch [░▒▓█]+ +0\/2 {2}eta 17s/);
  // in the next epoch the bar starts at batch 0, and the first batch leaves 11 s
  expect(out.text()).toMatch(/batch [░▒▓█]+ +1\/12 {2}loss \S+ {2}acc \S+ {2}8 samples\/s {2}eta 11s/);
});

test('without options the epochs and batches per epoch come from the fit', async () => {
  const plain = terminal(false);
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress({ stream: plain.stream })] }).fit(toyModel(), { train: toyLoader(), epochs: 2 });
  expect(plain.text().trimEnd().split('\n')).toEqual([expect.stringMatching(/^epoch 1\/2 {2}loss /), expect.stringMatching(/^epoch 2\/2 {2}loss /)]);
  const bars = terminal();
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress({ stream: bars.stream, redrawMs: 0 })] }).fit(toyModel(), { train: toyLoader(), epochs: 2 });
  expect(bars.text()).toMatch(/batch [░▒▓█]+ +3\/12 {2}loss \S+ {2}acc \S+ {2}\d+ samples\/s {2}eta \d+s/);
  expect(bars.text()).toMatch(/epoch [░▒▓█]+ +1\/2 {2}eta \d+s/);
});

test('tty: true draws the bars in place on a stream that does not say it is a terminal', async () => {
  for (const isTTY of [undefined, false]) {
    const out = terminal(isTTY);
    const train = toyLoader();
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress({ stream: out.stream, tty: true, epochs: 2, batchesPerEpoch: train.length, redrawMs: 0 })] });
    await trainer.fit(toyModel(), { train, epochs: 2 });
    expect(out.text()).toMatch(/batch [░▒▓█]+ +12\/12/);
    // replayed on a screen: the frames were drawn over each other and only the summaries remain
    expect(screenOf(out.text()).filter((l) => l !== '')).toEqual([expect.stringMatching(EPOCH_LINE), expect.stringMatching(EPOCH_LINE)]);
  }
});
