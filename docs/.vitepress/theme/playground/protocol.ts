/** Messages between the playground page and its training worker. */
import type { PathedFile } from '@trainkit/data/web';

/** What the page asks the worker to do. */
export type ToWorker =
  | {
      type: 'start';
      /** The MNIST slice, trained on unless `files` is given. */
      dataUrl: string;
      /** A folder of class subfolders the user dropped or picked (its files, with their paths). */
      files?: PathedFile[];
      model: string;
      optimizer: string;
      lr: number;
      batchSize: number;
      epochs: number;
      seed: number;
      /** Ids of the extra plugins to use (see `extras` in choices.ts). */
      extras: string[];
      /** Where to train: the CPU, or the GPU through WebGPU (`'auto'`: the CPU when WebGPU cannot run this model or these plugins). */
      device: 'cpu' | 'webgpu';
    }
  | { type: 'stop' };

/** What the worker reports. */
export type FromWorker =
  /** Images of a dropped folder decoded so far. */
  | { type: 'decoding'; done: number; total: number }
  /** The data is loaded and the model built; `classes` are the folder's (empty for MNIST), `skipped` its unreadable files. */
  | { type: 'ready'; nTrain: number; nTest: number; parameters: number; classes: string[]; skipped: number }
  /** One training batch: its own loss and accuracy (not the epoch's running means). */
  | { type: 'batch'; step: number; epoch: number; loss: number; accuracy: number; samplesPerSec: number }
  | { type: 'eval'; step: number; epoch: number; testLoss: number; testAccuracy: number }
  /** Where the run trains (known at its first batch), and why not on the GPU when it was asked for and is not used. */
  | { type: 'device'; device: string; notice: string | null }
  | { type: 'epoch'; epoch: number; metrics: Record<string, number> }
  | { type: 'done'; reason: string; seconds: number }
  | { type: 'error'; message: string };
