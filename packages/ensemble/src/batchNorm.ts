import { BatchNorm1d, BatchNorm2d, type Module } from '@trainkit/nn';
import { Tensor, noGrad } from '@trainkit/tensor';

type BatchNorm = BatchNorm1d | BatchNorm2d;

/** The BatchNorm layers of `model`, in module order. */
export function batchNormLayers(model: Module): BatchNorm[] {
  return model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm => m instanceof BatchNorm1d || m instanceof BatchNorm2d);
}

/**
 * Recomputes the running mean and variance of every BatchNorm layer of `model` for its
 * current weights, as an equal-weight average over `inputs` (torch.optim.swa_utils.update_bn):
 * averaged weights need statistics of their own, since the running statistics collected
 * while training belong to the weights of that time. Only the BatchNorm layers run in
 * training mode (dropout stays off and draws nothing); every module's mode is restored.
 * Does nothing when the model has no BatchNorm layer or `inputs` is empty.
 *
 * @param model - the model whose BatchNorm statistics to recompute
 * @param inputs - training inputs (tensors or `{ x }` batches), e.g. a pass over the training data
 * @returns the number of batches used
 * @see https://arxiv.org/abs/1803.05407 (Izmailov et al. 2018, SWA: recomputing BatchNorm statistics)
 * @example
 * model.loadStateDict(averagedWeights);
 * recomputeBatchNorm(model, trainLoader.epoch(0));
 */
export function recomputeBatchNorm(model: Module, inputs: Iterable<Tensor | { x: Tensor }>): number {
  const layers = batchNormLayers(model);
  if (layers.length === 0) return 0;
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  const momenta = layers.map((l) => l.momentum);
  const saved = layers.map((l) => [l.runningMean.data.slice(), l.runningVar.data.slice(), l.numBatchesTracked.data[0]] as const);
  for (const l of layers) {
    l.runningMean.data.fill(0);
    l.runningVar.data.fill(1);
    l.numBatchesTracked.data[0] = 0;
  }
  model.eval();
  for (const l of layers) l.training = true;
  let k = 0;
  try {
    noGrad(() => {
      for (const item of inputs) {
        k++;
        // momentum 1/k makes the running statistics the plain mean over the k batches so far
        for (const l of layers) (l as { momentum: number }).momentum = 1 / k;
        model.call(item instanceof Tensor ? item : item.x);
      }
    });
  } finally {
    layers.forEach((l, i) => ((l as { momentum: number | null }).momentum = momenta[i]));
    if (k === 0) {
      // no data: keep the statistics the model had
      layers.forEach((l, i) => {
        l.runningMean.data.set(saved[i][0]);
        l.runningVar.data.set(saved[i][1]);
        l.numBatchesTracked.data[0] = saved[i][2];
      });
    }
    for (const [m, training] of modes) m.training = training;
  }
  return k;
}
