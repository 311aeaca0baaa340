import { afterAll, describe, expect, test } from 'vitest';
import { mnistCnn, mnistMlp, manualSeed } from '@trainkit/nn';
import { resnet, vitTiny } from '@trainkit/models';
import { adam, adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { installAllocationCounter } from './allocCounter';
import { trainStep } from './trainStep';
import { ADAM, ADAMW, MOMENTUM, ZOO } from './spec';

// The bound, kept by a test and not only by the bench page: once warmed up, a training
// step run as the Trainer runs it (in an activation arena) creates no typed array at all. A
// regression (an op's scratch made with `new Float64Array` again) names its call site here.
const counter = installAllocationCounter();
afterAll(() => counter.uninstall());

const models = {
  'MLP 784-256-10, Adam': () => trainStep(mnistMlp(), adam({ lr: ADAM.lr })),
  'reference CNN, Adam': () => trainStep(mnistCnn(), adam({ lr: ADAM.lr })),
  'ResNet-8 (width 16), momentum': () => trainStep(resnet({ ...ZOO.resnet8 }), momentum(MOMENTUM)),
  'ViT-tiny, AdamW': () => trainStep(vitTiny({ ...ZOO.vit }), adamw(ADAMW)),
};

describe('a warmed-up training step allocates 0 bytes of new typed arrays', () => {
  for (const [name, make] of Object.entries(models)) {
    test(name, () => {
      manualSeed(0);
      const step = make();
      for (let i = 0; i < 5; i++) step(); // the four batches come round, every buffer is made once
      counter.reset();
      counter.on = true;
      try {
        step();
        step();
      } finally {
        counter.on = false;
      }
      expect(counter.bytes, JSON.stringify([...counter.sites])).toBe(0);
    }, 120_000);
  }
});
