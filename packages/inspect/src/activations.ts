import type { Module } from '@trainkit/nn';
import type { Tensor } from '@trainkit/tensor';
import { capture, checkInputs, inEval } from './capture';
import { type Tile, gridSvg, positiveOption } from './svg';
import { mapTile } from './tiles';

/** Options of {@link activationMaps}. */
export interface ActivationMapOptions {
  /** Show at most this many channels per input (default 16). */
  maxChannels?: number;
  /** Screen pixels per activation (default: a tile about 56 pixels wide). */
  scale?: number;
}

/** A layer's outputs for some inputs: the values, and one grid per input. */
export interface ActivationMaps {
  /** The layer's output, e.g. `[N, C, H, W]` (a copy, detached from the model). */
  activations: Tensor;
  /** One SVG per input: a tile per channel (per row of features when the output is not 4-D). */
  svgs: string[];
}

/** The tiles of example `n` of an activation: a map per channel when 4-D, one strip of features otherwise. */
function exampleTiles(a: Tensor, n: number, maxChannels: number): Tile[] {
  if (a.rank === 4) {
    const [, C, H, W] = a.shape;
    const tiles: Tile[] = [];
    for (let c = 0; c < Math.min(C, maxChannels); c++) tiles.push(mapTile(a.data.subarray((n * C + c) * H * W, (n * C + c + 1) * H * W), H, W, 'gray', `ch ${c}`));
    return tiles;
  }
  const features = a.size / a.shape[0];
  return [mapTile(a.data.subarray(n * features, (n + 1) * features), 1, features, 'gray', `${features} features`)];
}

/**
 * The outputs of the layer at `layerName` (a module path as in `namedModules`, e.g. `'relu1'`
 * or `'layer1.0.conv2'`) for the given inputs, read with a forward hook in evaluation mode.
 * Each channel's map is stretched to black–white on its own.
 *
 * @example
 * const { activations, svgs } = activationMaps(model, 'relu1', images); // activations [N, 8, 28, 28]
 */
export function activationMaps(model: Module, layerName: string, inputs: Tensor, options: ActivationMapOptions = {}): ActivationMaps {
  const x = checkInputs('activationMaps', inputs);
  positiveOption('activationMaps', 'scale', options.scale);
  const { activation } = inEval(model, () => capture('activationMaps', model, layerName, x));
  const activations = activation.detach().clone();
  const maxChannels = options.maxChannels ?? 16;
  const svgs = Array.from({ length: x.shape[0] }, (_, n) =>
    gridSvg(exampleTiles(activations, n, maxChannels), { scale: options.scale, title: `${layerName}: input ${n}, output ${activations.shape.slice(1).join('×')}` }),
  );
  return { activations, svgs };
}
