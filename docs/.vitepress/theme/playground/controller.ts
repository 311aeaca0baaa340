/**
 * The playground's page-side state: starts the worker, collects what it reports and turns
 * it into chart SVGs (with @trainkit/progress's chart writer). Framework-free, so the Vue
 * component stays a thin view.
 */
import { lineChartSvg, smoothSeries } from '@trainkit/progress';
import type { FromWorker, ToWorker } from './protocol';

export type StartOptions = Omit<Extract<ToWorker, { type: 'start' }>, 'type'>;

export interface PlaygroundState {
  status: 'idle' | 'loading' | 'training' | 'stopping' | 'stopped' | 'finished' | 'error';
  message: string;
  step: number;
  epoch: number;
  /** The smoothed training loss and accuracy at the latest batch (what the charts show). */
  loss: number;
  accuracy: number;
  testAccuracy: number | null;
  testLoss: number | null;
  samplesPerSec: number;
  /** Where the run trains: 'cpu' or 'webgpu' (empty until its first batch). */
  device: string;
  seconds: number;
  parameters: number;
  /** The class names of a dropped folder being trained on (empty for the digits). */
  classes: string[];
  /** Every batch's own loss and accuracy, by step. */
  trainLoss: Array<[number, number]>;
  trainAccuracy: Array<[number, number]>;
  testLossPoints: Array<[number, number]>;
  testAccuracyPoints: Array<[number, number]>;
}

export function initialState(): PlaygroundState {
  return {
    status: 'idle',
    message: '',
    step: 0,
    epoch: 0,
    loss: NaN,
    accuracy: NaN,
    testAccuracy: null,
    testLoss: null,
    samplesPerSec: 0,
    device: '',
    seconds: 0,
    parameters: 0,
    classes: [],
    trainLoss: [],
    trainAccuracy: [],
    testLossPoints: [],
    testAccuracyPoints: [],
  };
}

/** Applies one worker message to the state (pure bookkeeping, no DOM). */
export function reduce(state: PlaygroundState, m: FromWorker, started: number): void {
  state.seconds = (performance.now() - started) / 1000;
  switch (m.type) {
    case 'decoding':
      state.message = `decoding your images: ${m.done} of ${m.total}`;
      break;
    case 'ready':
      state.status = 'training';
      state.parameters = m.parameters;
      state.classes = m.classes;
      state.message =
        m.classes.length === 0
          ? `${m.nTrain} training digits, ${m.nTest} test digits, ${m.parameters} parameters`
          : `${m.nTrain} training images, ${m.nTest} validation images, ${m.classes.length} classes, ${m.parameters} parameters` +
            (m.skipped > 0 ? `; ${m.skipped} unreadable ${m.skipped === 1 ? 'file' : 'files'} skipped` : '');
      break;
    case 'batch':
      state.step = m.step;
      state.epoch = m.epoch;
      state.samplesPerSec = m.samplesPerSec;
      state.trainLoss.push([m.step, m.loss]);
      state.trainAccuracy.push([m.step, m.accuracy]);
      state.loss = smoothSeries(state.trainLoss.slice(-4 * SMOOTHING), SMOOTHING).at(-1)?.[1] ?? NaN;
      state.accuracy = smoothSeries(state.trainAccuracy.slice(-4 * SMOOTHING), SMOOTHING).at(-1)?.[1] ?? NaN;
      break;
    case 'eval':
      state.testAccuracy = m.testAccuracy;
      state.testLoss = m.testLoss;
      state.testLossPoints.push([m.step, m.testLoss]);
      state.testAccuracyPoints.push([m.step, m.testAccuracy]);
      break;
    case 'epoch':
      break;
    case 'device':
      state.device = m.device;
      if (m.notice !== null) state.message = `${state.message}; ${m.notice.replace(/^Trainer\(\{ device: 'auto' \}\): /, 'not on the GPU: ')}`;
      break;
    case 'done':
      state.status = m.reason === 'finished' ? 'finished' : 'stopped';
      state.seconds = m.seconds;
      break;
    case 'error':
      state.status = 'error';
      state.message = m.message;
      break;
  }
}

/**
 * Batches in the smoothing window of the training curves: one batch's loss and accuracy are
 * noisy (a batch of 32 digits moves accuracy in steps of 3 %), so the charts and the stat
 * cards show a moving average over about this many batches.
 */
export const SMOOTHING = 20;

/** Charts sized for half of a 690 px column; the page's CSS scales them to their cell. */
const CHART = { width: 340, height: 230, xLabel: 'step' } as const;

export function lossChart(state: PlaygroundState): string {
  return lineChartSvg({
    ...CHART,
    title: 'loss',
    series: [
      { label: 'train (smoothed)', points: smoothSeries(state.trainLoss, SMOOTHING) },
      { label: 'test', points: state.testLossPoints, dashed: true },
    ],
  });
}

export function accuracyChart(state: PlaygroundState): string {
  return lineChartSvg({
    ...CHART,
    title: 'accuracy',
    yDomain: [0, 1],
    legend: 'bottom-right',
    formatY: (y) => `${Math.round(100 * y)}%`,
    series: [
      { label: 'train (smoothed)', points: smoothSeries(state.trainAccuracy, SMOOTHING) },
      { label: 'test', points: state.testAccuracyPoints, dashed: true },
    ],
  });
}

/** Starts a training run in a new worker; `onUpdate` is called (at most once a frame) as reports arrive. */
export function startTraining(options: StartOptions, state: PlaygroundState, onUpdate: () => void): { stop(): void; dispose(): void } {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'trainkit-playground' });
  const started = performance.now();
  let frame = 0;
  const schedule = () => {
    if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), onUpdate()));
  };
  Object.assign(state, initialState(), { status: 'loading', message: options.files === undefined ? 'loading the digits…' : 'reading your folder…' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    reduce(state, e.data, started);
    if (e.data.type === 'done' || e.data.type === 'error') {
      worker.terminate();
      onUpdate();
    } else schedule();
  };
  worker.onerror = (e) => {
    state.status = 'error';
    state.message = e.message || 'the training worker failed to start';
    onUpdate();
  };
  worker.postMessage({ type: 'start', ...options } satisfies ToWorker);
  return {
    stop() {
      if (state.status === 'training' || state.status === 'loading') state.status = 'stopping';
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      onUpdate();
    },
    dispose() {
      worker.terminate();
    },
  };
}
