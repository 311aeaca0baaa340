import { Tensor, argmax, noGrad, slice } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { patchImages, tinyCnn } from './__tests__/fixtures';
import { InspectError, activationMaps, compareOnInputs, gradCam, sideBySide } from './index';

const images = (n: number): Tensor => patchImages(n, 7).x;

describe('compareOnInputs', () => {
  test("each side is exactly what activationMaps and gradCam give for that model alone, for the class b predicts", () => {
    const [a, b] = [tinyCnn(1), tinyCnn(2)];
    const x = images(3);
    const look = compareOnInputs(a, b, x, { layer: 'relu1', camLayer: 'relu2', labels: ['pretrained', 'fine-tuned'] });
    const [mapsA, mapsB] = [activationMaps(a, 'relu1', x), activationMaps(b, 'relu1', x)];
    expect(look.activations[0].activations.data).toEqual(mapsA.activations.data);
    expect(look.activations[1].activations.data).toEqual(mapsB.activations.data);
    expect(look.activationSvgs).toEqual(mapsA.svgs.map((s, i) => sideBySide(s, mapsB.svgs[i], ['pretrained', 'fine-tuned'])));
    const predicted = noGrad(() => argmax(b.call(x)));
    look.gradCams.forEach(([camA, camB], i) => {
      expect(camB.classIndex).toBe(predicted[i]);
      expect(camA.classIndex).toBe(predicted[i]);
      expect(camA.map).toEqual(gradCam(a, slice(x, 0, i, i + 1), { layer: 'relu2', classIndex: predicted[i] }).map);
      expect(camB.map).toEqual(gradCam(b, slice(x, 0, i, i + 1), { layer: 'relu2', classIndex: predicted[i] }).map);
    });
  });

  test('a model compared with itself gives the same maps on both sides', () => {
    const a = tinyCnn(3);
    const look = compareOnInputs(a, a, images(2), { layer: 'relu2' });
    expect(look.activations[0].svgs).toEqual(look.activations[1].svgs);
    for (const [camA, camB] of look.gradCams) expect(camA.map).toEqual(camB.map);
  });

  test('given classIndices both sides explain them; the Grad-CAM grid is a row per input: the input under its class name, then a, then b', () => {
    const look = compareOnInputs(tinyCnn(1), tinyCnn(2), images(2), { layer: 'relu2', classIndices: [1, 0], classNames: ['plain', 'patch'], labels: ['before', 'after'] });
    expect(look.gradCams.map(([camA, camB]) => [camA.classIndex, camB.classIndex])).toEqual([[1, 1], [0, 0]]);
    const captions = [...look.gradCamSvg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(captions).toEqual(['Grad-CAM at relu2', 'patch', 'before', 'after', 'plain', 'before', 'after']);
  });

  test('bad input is an error naming the model, the layer or the count', () => {
    const [a, b] = [tinyCnn(1), tinyCnn(2)];
    const x = images(2);
    const labels: [string, string] = ['pretrained', 'fine-tuned'];
    expect(() => compareOnInputs(a, b, x, { layer: 'relu3', labels })).toThrow(InspectError);
    expect(() => compareOnInputs(a, b, x, { layer: 'relu3', labels })).toThrow(/compareOnInputs: model pretrained: activationMaps: the model has no layer "relu3"; closest: "relu1"/);
    expect(() => compareOnInputs(a, b, x, { layer: 'relu1', camLayer: 'fc', labels })).toThrow(/model fine-tuned: gradCam: layer "fc" is not spatial/);
    expect(() => compareOnInputs(a, b, x, { layer: 'relu1', classIndices: [0] })).toThrow(/classIndices has 1 entries for 2 inputs/);
    expect(() => compareOnInputs(a, b, x, { layer: 'relu1', classIndices: [0, 2], labels })).toThrow(/model fine-tuned: gradCam: classIndex 2 is out of range; the model has 2 outputs/);
  });
});
