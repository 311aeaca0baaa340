// The pictures of docs/guide/what-did-it-learn.md, made by `npm run pictures` (tools/docs picks
// this file up) and checked byte for byte by its freshness test: the reference CNN trained for
// one epoch of plain SGD on the first 2,000 MNIST training digits, then looked inside.
import { FASHION_MNIST_CLASS_NAMES } from '@trainkit/data';
import { loadFashionMnist, loadMnist } from '@trainkit/data/node';
import { type Conv2d, Linear, type Sequential, manualSeed, mnistCnn } from '@trainkit/nn';
import { crossEntropy, noGrad, slice } from '@trainkit/tensor';
import { activationMaps, compareModels, compareOnInputs, confusionMatrix, filterGrid, gradCam, topLosses } from './src/index';

/** One epoch of minibatch SGD (batch 32, lr 0.05) in dataset order. */
function sgdEpoch(model: Sequential, x: ReturnType<typeof slice>, y: Int32Array): void {
  for (let start = 0; start < y.length; start += 32) {
    const end = Math.min(y.length, start + 32);
    model.zeroGrad();
    crossEntropy(model.call(slice(x, 0, start, end)), y.subarray(start, end)).backward();
    noGrad(() => {
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] -= 0.05 * (p.grad?.[i] ?? 0);
    });
  }
}

let trained: Promise<Record<string, string>> | undefined;

/** Trains once and draws every picture; each generator below takes its own from the result. */
function draw(): Promise<Record<string, string>> {
  trained ??= (async () => {
    const train = await loadMnist({ split: 'train', limit: 2000 });
    const test = await loadMnist({ split: 'test', limit: 500 });
    manualSeed(0);
    const untrained = mnistCnn();
    const model = mnistCnn();
    model.loadStateDict(untrained.stateDict());
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    const { x, y } = train.gather(all(train.length));
    sgdEpoch(model, x, y);
    const digits = test.gather([0, 1, 2]);
    const cams = [0, 1, 2].map((i) => gradCam(model, slice(digits.x, 0, i, i + 1), { layer: 'relu2', classIndex: digits.y[i], scale: 3 }).svg);
    const testAll = test.gather(all(test.length));
    const moved = compareModels(untrained, model, ['untrained', 'trained']);
    // transfer: the trained CNN, a new head, one epoch on 1,000 Fashion-MNIST images, every layer trained
    const fashion = await loadFashionMnist({ split: 'train', limit: 1000 });
    const fineTuned = mnistCnn();
    fineTuned.loadStateDict(model.stateDict());
    fineTuned.set('fc', new Linear(784, 10));
    const f = fashion.gather(all(fashion.length));
    sgdEpoch(fineTuned.train(), f.x, f.y);
    const transfer = compareModels(model, fineTuned, ['MNIST-pretrained', 'fine-tuned on Fashion-MNIST']);
    // the same Fashion-MNIST test images through both networks; Grad-CAM for each image's true class
    const clothes = (await loadFashionMnist({ split: 'test', limit: 4 })).gather([0, 1, 2, 3]);
    const look = compareOnInputs(model, fineTuned, clothes.x, {
      layer: 'relu2',
      camLayer: 'relu2',
      classIndices: clothes.y,
      classNames: FASHION_MNIST_CLASS_NAMES,
      labels: ['MNIST-pretrained', 'fine-tuned'],
      scale: 3,
    });
    return {
      'inspect-filters.svg': filterGrid(model.at('conv1') as Conv2d, { scale: 8, columns: 8, title: 'conv1: the 8 learned 5×5 filters' }).svg,
      'inspect-activations.svg': activationMaps(model, 'relu1', slice(digits.x, 0, 0, 1), { scale: 2 }).svgs[0],
      'inspect-gradcam-0.svg': cams[0],
      'inspect-gradcam-1.svg': cams[1],
      'inspect-gradcam-2.svg': cams[2],
      'inspect-top-losses.svg': topLosses(model, test, 12).svg,
      'inspect-confusion.svg': confusionMatrix(noGrad(() => model.eval().call(testAll.x)), testAll.y).svg,
      'inspect-weight-change.svg': moved.changeSvg,
      'inspect-filters-before-after.svg': moved.filters!.svg,
      'inspect-transfer-weight-change.svg': transfer.changeSvg,
      'inspect-transfer-filters.svg': transfer.filters!.svg,
      'inspect-transfer-activations.svg': look.activationSvgs[0],
      'inspect-transfer-gradcam.svg': look.gradCamSvg,
    };
  })();
  return trained;
}

const describe: Record<string, string> = {
  'inspect-filters.svg': "the reference CNN's first-layer filters after one epoch on 2,000 MNIST digits",
  'inspect-activations.svg': 'the 8 activation maps of relu1 for the first MNIST test digit',
  'inspect-gradcam-0.svg': 'Grad-CAM at relu2 for the true class of MNIST test digit 0',
  'inspect-gradcam-1.svg': 'Grad-CAM at relu2 for the true class of MNIST test digit 1',
  'inspect-gradcam-2.svg': 'Grad-CAM at relu2 for the true class of MNIST test digit 2',
  'inspect-top-losses.svg': 'the 12 highest-loss digits of the first 500 MNIST test digits',
  'inspect-confusion.svg': 'confusion matrix of the same CNN on the first 500 MNIST test digits',
  'inspect-weight-change.svg': 'relative weight change per parameter, untrained → trained',
  'inspect-filters-before-after.svg': 'conv1 filters before and after training, side by side',
  'inspect-transfer-weight-change.svg': 'relative weight change of the shared layers, MNIST-pretrained → fine-tuned on 1,000 Fashion-MNIST images',
  'inspect-transfer-filters.svg': 'conv1 filters of the MNIST-pretrained and the Fashion-MNIST fine-tuned CNN, side by side',
  'inspect-transfer-activations.svg': 'relu2 activation maps of the pretrained and the fine-tuned CNN for the first Fashion-MNIST test image, side by side',
  'inspect-transfer-gradcam.svg': 'Grad-CAM at relu2 for the true class of the first 4 Fashion-MNIST test images: pretrained vs fine-tuned',
};

export const pictures = Object.entries(describe).map(([file, description]) => ({ file, description, generate: async () => (await draw())[file] }));
