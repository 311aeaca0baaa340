import type { Module } from '@trainkit/nn';
import { type Tensor, slice } from '@trainkit/tensor';
import { type ActivationMaps, activationMaps } from './activations';
import { checkInputs } from './capture';
import { sideBySide } from './compare';
import { InspectError } from './errors';
import { type GradCam, gradCam } from './gradcam';
import { type Tile, gridSvg, positiveOption } from './svg';
import { imageTile, overlayTile } from './tiles';

/** Options of {@link compareOnInputs}. */
export interface InputComparisonOptions {
  /** The layer whose activation maps are drawn: a module path both models have, e.g. `'relu2'`. */
  layer: string;
  /** The layer Grad-CAM weighs in both models; default each model's last layer with a 4-D output. */
  camLayer?: string;
  /** The class each input is explained for, one per input and the same in both models; default what `b` predicts. */
  classIndices?: ArrayLike<number>;
  /** Class names for the captions (`classNames[k]` instead of `class k`). */
  classNames?: readonly string[];
  /** Names of the two models, in titles and captions (default `['a', 'b']`). */
  labels?: [string, string];
  /** Show at most this many channels per activation grid (default 16). */
  maxChannels?: number;
  /** Screen pixels per activation in the activation grids (default: a tile about 56 pixels wide). */
  scale?: number;
  /** Screen pixels per input pixel in the Grad-CAM grid (default 4). */
  camScale?: number;
}

/** The same pictures of two models for the same inputs. */
export interface InputComparison {
  /** `a`'s and `b`'s activation maps of the layer, exactly as {@link activationMaps} gives them. */
  activations: [ActivationMaps, ActivationMaps];
  /** One SVG per input: `a`'s activation grid beside `b`'s. */
  activationSvgs: string[];
  /** Per input, `a`'s and `b`'s Grad-CAM for the same class, exactly as {@link gradCam} gives them. */
  gradCams: Array<[GradCam, GradCam]>;
  /** One row per input: the input (captioned with its class), `a`'s overlay, `b`'s overlay. */
  gradCamSvg: string;
}

/** `fn()`, its InspectError prefixed with the function's name and the model it was about. */
function about<T>(model: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InspectError) throw new InspectError(`compareOnInputs: model ${model}: ${e.message}`);
    throw e;
  }
}

/**
 * Draws two models' activation maps and Grad-CAM overlays for the same inputs side by side —
 * for transfer learning, the pretrained and the fine-tuned network on the new task's images.
 * Grad-CAM explains the same class index in both models (given, or `b`'s prediction), so with
 * a replaced head the two sides may mean different things by it.
 *
 * @example
 * const look = compareOnInputs(pretrained, fineTuned, images, { layer: 'relu2', classIndices: labels });
 * look.gradCamSvg; // a row per image: the image, the pretrained overlay, the fine-tuned overlay
 */
export function compareOnInputs(a: Module, b: Module, inputs: Tensor, options: InputComparisonOptions): InputComparison {
  const x = checkInputs('compareOnInputs', inputs);
  positiveOption('compareOnInputs', 'camScale', options.camScale);
  const n = x.shape[0];
  const labels = options.labels ?? ['a', 'b'];
  const classes = options.classIndices;
  if (classes !== undefined && classes.length !== n) {
    throw new InspectError(`compareOnInputs: classIndices has ${classes.length} entries for ${n} inputs (expected one class per input)`);
  }
  const mapOptions = { maxChannels: options.maxChannels, scale: options.scale };
  const activations: [ActivationMaps, ActivationMaps] = [
    about(labels[0], () => activationMaps(a, options.layer, x, mapOptions)),
    about(labels[1], () => activationMaps(b, options.layer, x, mapOptions)),
  ];
  const activationSvgs = activations[0].svgs.map((left, i) => sideBySide(left, activations[1].svgs[i], labels));
  const gradCams = Array.from({ length: n }, (_, i): [GradCam, GradCam] => {
    const image = slice(x, 0, i, i + 1);
    const camB = about(labels[1], () => gradCam(b, image, { layer: options.camLayer, classIndex: classes?.[i] }));
    const camA = about(labels[0], () => gradCam(a, image, { layer: options.camLayer, classIndex: camB.classIndex }));
    return [camA, camB];
  });
  return { activations, activationSvgs, gradCams, gradCamSvg: camGrid(x, gradCams, labels, options) };
}

/** A row per input: the input, then `a`'s and `b`'s overlay. */
function camGrid(x: Tensor, cams: ReadonlyArray<[GradCam, GradCam]>, labels: [string, string], options: InputComparisonOptions): string {
  const [, C, H, W] = x.shape;
  const plane = C * H * W;
  const tiles: Tile[] = cams.flatMap(([camA, camB], i) => {
    const k = camB.classIndex;
    return [
      imageTile(x.data, i * plane, C, H, W, options.classNames?.[k] ?? `class ${k}`),
      overlayTile(x.data, i * plane, C, H, W, camA.map, 0.5, labels[0]),
      overlayTile(x.data, i * plane, C, H, W, camB.map, 0.5, labels[1]),
    ];
  });
  const layers = cams[0][0].layer === cams[0][1].layer ? cams[0][0].layer : `${cams[0][0].layer} / ${cams[0][1].layer}`;
  return gridSvg(tiles, { columns: 3, scale: options.camScale ?? 4, title: `Grad-CAM at ${layers}` });
}
