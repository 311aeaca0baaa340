import { describe, expect, test } from 'vitest';
import { gridSvg } from './svg';
import { channelLevel, imageTile } from './tiles';

describe('imageTile', () => {
  test('a colour image stretches its finite values to [0, 255] and draws NaN and ±Infinity as the middle grey 128', () => {
    // channels R, G, B of a 1×2 image: pixel 0 is NaN, +∞, −∞; pixel 1 is 1, 0, 0.5
    const tile = imageTile(Float64Array.of(Number.NaN, 1, Infinity, 0, -Infinity, 0.5), 0, 3, 1, 2);
    expect(tile.pixels).toEqual([[128, 128, 128], [255, 0, 128]]);
    const svg = gridSvg([tile], { scale: 1 });
    expect([...svg.matchAll(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="([^"]*)"\/>/g)].map((m) => m[1])).toEqual(['#808080', '#ff0080']);
  });

  test('channelLevel rounds into [0, 255] and gives 128 for a level that is not finite', () => {
    expect([channelLevel(-3), channelLevel(12.5), channelLevel(300), channelLevel(Number.NaN), channelLevel(-Infinity)]).toEqual([0, 13, 255, 128, 128]);
  });
});
