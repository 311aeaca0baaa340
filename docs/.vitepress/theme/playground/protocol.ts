/** Messages between the playground page and its training worker. */

/** What the page asks the worker to do. */
export type ToWorker =
  | {
      type: 'start';
      dataUrl: string;
      model: string;
      optimizer: string;
      lr: number;
      batchSize: number;
      epochs: number;
      seed: number;
      /** Ids of the extra plugins to use (see `extras` in choices.ts). */
      extras: string[];
    }
  | { type: 'stop' };

/** What the worker reports. */
export type FromWorker =
  | { type: 'ready'; nTrain: number; nTest: number; parameters: number }
  /** One training batch: its own loss and accuracy (not the epoch's running means). */
  | { type: 'batch'; step: number; epoch: number; loss: number; accuracy: number; samplesPerSec: number }
  | { type: 'eval'; step: number; epoch: number; testLoss: number; testAccuracy: number }
  | { type: 'epoch'; epoch: number; metrics: Record<string, number> }
  | { type: 'done'; reason: string; seconds: number }
  | { type: 'error'; message: string };
