/**
 * The workloads of the benchmark table, shared by every runner (trainkit, its JS kernels,
 * PyTorch, TF.js, ConvNetJS, plain JS loops) so each measures exactly the same thing.
 */

export interface WorkloadSpec {
  id: WorkloadId;
  name: string;
  unit: string;
}

export const WORKLOADS = [
  { id: 'mlp-train', name: 'MLP 784-256-10 train, Adam, batch 64', unit: 'samples/s' },
  { id: 'cnn-train', name: 'reference CNN train, Adam, batch 64', unit: 'samples/s' },
  { id: 'cnn-infer', name: 'CNN inference, batch 256', unit: 'samples/s' },
  { id: 'resnet8-train', name: 'ResNet-8 (width 16) train, momentum, batch 64', unit: 'samples/s' },
  { id: 'vit-train', name: 'ViT-tiny (patch 4, dim 64, depth 4) train, AdamW, batch 64', unit: 'samples/s' },
  { id: 'adam-10m', name: 'Adam step, 10M parameters', unit: 'params/s' },
  { id: 'momentum-10m', name: 'momentum step, 10M parameters', unit: 'params/s' },
  { id: 'matmul-1024', name: '1024×1024 matmul', unit: 'GFLOPS' },
  // TF.js only: the common idiom that returns the product's 1M-value array from tf.tidy, which then scans it (see README)
  { id: 'matmul-1024-tidy', name: '1024×1024 matmul, `tf.tidy(() => matMul(a, b).dataSync())`', unit: 'GFLOPS' },
  { id: 'augment-28', name: 'augment translate+rotate+flip, 64×1×28×28', unit: 'images/s' },
  { id: 'augment-32', name: 'augment translate+rotate+flip, 64×3×32×32', unit: 'images/s' },
] as const;

export type WorkloadId = (typeof WORKLOADS)[number]['id'];

/**
 * The data-loading rows (trainkit only; `src/runners/loader.ts --rows=…`, results appended to
 * results/loader.jsonl): image folders decoded and cached, and sharded datasets larger than memory.
 */
export const LOADER_WORKLOADS = [
  { id: 'loader-png-decode', name: 'imageFolder, 70,000 Fashion-MNIST PNGs: first epoch (decode into the cache)', unit: 'images/s' },
  { id: 'loader-png-cached', name: 'imageFolder, 60,000 PNGs from the cache: an epoch of batches (64, shuffled)', unit: 'images/s' },
  { id: 'loader-cnn-share', name: 'imageFolder from the cache: data-loading share of a reference-CNN epoch', unit: '%' },
  { id: 'loader-jpeg64', name: 'imageFolder vs plain sharp loops, 64×64 RGB JPEGs, one decoding thread, per CPU second', unit: 'images/CPU-s' },
  { id: 'shards-5gb', name: 'shardedDataset, 5 GB: write, then one training epoch', unit: 'MB RSS' },
] as const;

/** Batch size of the training workloads; the inference batch is 256. */
export const BATCH = 64;
export const INFER_BATCH = 256;
/** Parameters of the optimizer-step workloads. */
export const OPT_PARAMS = 10_000_000;
export const MATMUL_N = 1024;

/** Hyperparameters every library's optimizers use. */
export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
export const MOMENTUM = { lr: 0.01, momentum: 0.9 };
export const ADAMW = { ...ADAM, weightDecay: 0.05 };

/** The model-zoo rows (@trainkit/models; PyTorch: tools/compare/torch_models.py): the settings of tools/compare's learning comparison, on 1×28×28 inputs. */
export const ZOO = {
  resnet8: { depth: 8, inChannels: 1, numClasses: 10, width: 16 },
  vit: { imageSize: 28, patchSize: 4, inChannels: 1, dim: 64, depth: 4, heads: 4, numClasses: 10 },
} as const;

/** How long the warm-up and each of the ≥ 3 timed windows last. */
export function timing(quick: boolean): { warmupMs: number; windowMs: number; windows: number } {
  return quick ? { warmupMs: 200, windowMs: 300, windows: 3 } : { warmupMs: 1000, windowMs: 1500, windows: 5 };
}

/** What a runner reports for one workload (the PyTorch runner adds the median rate per second of CPU time). */
export type Cell = { id: WorkloadId; median: number; windows: number[]; cpuMedian?: number } | { id: WorkloadId; skipped: string };

/**
 * One cell from the same workload measured in several rounds (the columns of a row taking turns):
 * every round's windows pooled, their median, and the median of the rounds' CPU-time medians. A
 * round that skipped the workload makes the cell skipped.
 */
export function mergeRounds(rounds: readonly Cell[]): Cell {
  const skipped = rounds.find((c) => 'skipped' in c);
  if (skipped !== undefined || rounds.length === 1) return skipped ?? rounds[0];
  const measured = rounds as ReadonlyArray<Extract<Cell, { median: number }>>;
  const windows = measured.flatMap((c) => c.windows);
  const cpu = measured.flatMap((c) => (c.cpuMedian === undefined ? [] : [c.cpuMedian]));
  return { id: measured[0].id, median: medianOf(windows), windows, ...(cpu.length === measured.length ? { cpuMedian: medianOf(cpu) } : {}) };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runners print each result as one line `RESULT {json}` on stdout (anything else is a log). */
export function report(cell: Cell): void {
  console.log(`RESULT ${JSON.stringify(cell)}`);
}

/** A seeded uniform generator for inputs (the same numbers in every runner). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
