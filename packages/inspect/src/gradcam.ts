import type { Module } from '@trainkit/nn';
import { Tensor, backward, formatShape, isGradEnabled, noGrad, reshape } from '@trainkit/tensor';
import { capture, checkInputs, inEval } from './capture';
import { InspectError } from './errors';
import { gridSvg, positiveOption } from './svg';
import { imageTile, overlayTile } from './tiles';
import { bilinear } from './upsample';

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /** The layer whose activations are weighted (a module path); default the last layer with a spatial output (4-D, larger than 1×1). */
  layer?: string;
  /** The class to explain; default the predicted one. */
  classIndex?: number;
  /** How strongly the heat map covers the image in the overlay, in [0, 1] (default 0.5). */
  opacity?: number;
  /** Screen pixels per input pixel in the SVG (default 4). */
  scale?: number;
}

/** A class-activation map: where in the input the evidence for one class lies. */
export interface GradCam {
  /** The map at the input's resolution, row-major, normalized to [0, 1]. */
  map: Float32Array;
  height: number;
  width: number;
  layer: string;
  classIndex: number;
  /** The class's logit. */
  score: number;
  /** One weight per channel of the layer: the spatial mean of d(score)/d(activation). */
  weights: Float32Array;
  /** The input beside the input overlaid with the map (blue cold, red hot). */
  svg: string;
}

/** `[N, C, H, W]` with H·W > 1: a 1×1 map (a global pool's output) gives a constant, meaningless Grad-CAM. */
const isSpatial = (y: Tensor): boolean => y.rank === 4 && y.shape[2] * y.shape[3] > 1;

/** Module paths whose output for `x` is spatial (4-D with more than one position), in the order they finish. */
function spatialLayers(model: Module, x: Tensor): string[] {
  const found: string[] = [];
  const removers = model
    .namedModules()
    .filter(([name]) => name !== '')
    .map(([name, m]) => m.registerForwardHook((_m, _x, y) => void (isSpatial(y) && found.push(name))));
  try {
    noGrad(() => model.call(x));
  } finally {
    for (const remove of removers) remove();
  }
  return found;
}

/** Runs `fn` with every parameter's `requiresGrad` off (Grad-CAM differentiates with respect to activations only). */
function withFrozenParameters<T>(model: Module, fn: () => T): T {
  const flags = model.parameters().map((p) => [p, p.requiresGrad] as const);
  for (const [p] of flags) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const [p, flag] of flags) p.requiresGrad = flag;
  }
}

/** ReLU(Σ_c w_c · A_c) over the `h × w` positions of activation `a` [1, C, h, w], and the weights w. */
function weightedMap(a: Tensor): { cam: Float32Array; weights: Float32Array } {
  const [, C, h, w] = a.shape;
  const plane = h * w;
  const g = a.grad ?? new Float32Array(a.size);
  const weights = new Float32Array(C);
  const cam = new Float32Array(plane);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < plane; i++) weights[c] += g[c * plane + i] / plane;
    for (let i = 0; i < plane; i++) cam[i] += weights[c] * a.data[c * plane + i];
  }
  return { cam: cam.map((v) => Math.max(0, v)), weights };
}

/** `m` stretched to [0, 1] (all zeros when it is flat). */
function normalize(m: Float32Array): Float32Array {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of m) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return hi > lo ? m.map((v) => (v - lo) / (hi - lo)) : new Float32Array(m.length);
}

/** The class to explain: the given one, checked against the `k` outputs, or the predicted one. */
function pickClass(logits: Float32Array, classIndex: number | undefined): number {
  const k = logits.length;
  if (!logits.every(Number.isFinite)) throw new InspectError(`gradCam: the model's outputs are not finite (${Array.from(logits).join(', ')}); there is no class score to explain`);
  if (classIndex === undefined) return logits.indexOf(Math.max(...logits));
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= k) {
    throw new InspectError(`gradCam: classIndex ${classIndex} is out of range; the model has ${k} outputs (expected an integer in [0, ${k - 1}])`);
  }
  return classIndex;
}

/** The layer to use, checked to exist and to give a spatial output (4-D, larger than 1×1) for `x`. */
function pickLayer(model: Module, x: Tensor, layer: string | undefined): string {
  const spatial = spatialLayers(model, x);
  if (layer === undefined) {
    if (spatial.length === 0) throw new InspectError('gradCam: no layer of the model gives a spatial [N, C, H, W] output larger than 1×1; Grad-CAM needs a convolutional layer');
    return spatial[spatial.length - 1];
  }
  const { activation } = capture('gradCam', model, layer, x); // a missing layer fails here, naming close ones
  if (!isSpatial(activation)) {
    const why = activation.rank === 4 ? 'one position per channel, so its map would be constant' : 'not [N, C, H, W]';
    throw new InspectError(
      `gradCam: layer "${layer}" is not spatial: its output has shape ${formatShape(activation.shape)}, ${why}; ` +
        `layers with spatial outputs: ${spatial.join(', ') || 'none'}`,
    );
  }
  return layer;
}

/**
 * Grad-CAM (Selvaraju et al., 2017): the channels of a convolutional layer weighted by the
 * spatial mean of the class score's gradient, summed, passed through a ReLU, resized
 * bilinearly to the input and normalized to [0, 1]. Runs in evaluation mode; the model's
 * parameters and their gradients are left as they were.
 *
 * - Paper: https://arxiv.org/abs/1610.02391
 *
 * @example
 * const cam = gradCam(model, image, { layer: 'relu2', classIndex: 7 }); // cam.map: [0, 1] per pixel
 */
export function gradCam(model: Module, input: Tensor, options: GradCamOptions = {}): GradCam {
  const x = checkInputs('gradCam', input.rank === 3 ? reshape(input, [1, ...input.shape]) : input);
  if (x.rank !== 4 || x.shape[0] !== 1) throw new InspectError(`gradCam: input must be one image [C, H, W] or [1, C, H, W], got shape ${formatShape(input.shape)}`);
  positiveOption('gradCam', 'scale', options.scale);
  if (!isGradEnabled()) throw new InspectError('gradCam: called inside noGrad, so the class score has no gradient to weigh the channels with; call gradCam outside noGrad');
  const [, C, H, W] = x.shape;
  return inEval(model, () =>
    withFrozenParameters(model, () => {
      const layer = pickLayer(model, x, options.layer);
      const { output, activation } = capture('gradCam', model, layer, x, true);
      if (output.rank !== 2 || output.shape[0] !== 1) throw new InspectError(`gradCam: the model's output must be class scores [1, classes], got shape ${formatShape(output.shape)}`);
      const classIndex = pickClass(output.data, options.classIndex);
      if (!output.requiresGrad) throw new InspectError(`gradCam: the model's output does not depend on layer "${layer}"`);
      const seed = new Float32Array(output.size);
      seed[classIndex] = 1;
      backward(output, seed);
      const [, , h, w] = activation.shape;
      const { cam, weights } = weightedMap(activation);
      const map = normalize(bilinear(cam, h, w, H, W));
      const alpha = options.opacity ?? 0.5;
      if (!(alpha >= 0 && alpha <= 1)) throw new InspectError(`gradCam: opacity must be in [0, 1], got ${alpha}`);
      const overlay = overlayTile(x.data, 0, C, H, W, map, alpha, `class ${classIndex}`);
      const svg = gridSvg([imageTile(x.data, 0, C, H, W, 'input'), overlay], { columns: 2, scale: options.scale ?? 4, title: `Grad-CAM at ${layer}` });
      return { map, height: H, width: W, layer, classIndex, score: output.data[classIndex], weights, svg };
    }),
  );
}
