/**
 * "Learns the same", end to end through the Trainer: the reference CNN trained for one full epoch
 * of MNIST (60,000 digits, batch 64, Adam, shuffled by the seeded DataLoader) with
 * `new Trainer({ device: 'webgpu' })` and with the default CPU Trainer, from the same seed, then
 * both tested on the 10,000 test digits. Writes results/webgpu-epoch.md and .jsonl.
 *
 * On SwiftShader (a software adapter) the GPU epoch takes about half an hour of CPU time.
 * Run (Dawn needs a Vulkan driver; here SwiftShader's, shipped with Debian's Chromium):
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     node --conditions=@trainkit/source --import tsx tools/bench/src/webgpuEpoch.ts [--limit N]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { requestGpu, webgpuDevice } from '@trainkit/webgpu';
import { ADAM, BATCH } from './spec';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const at = process.argv.indexOf('--limit');
const limit = at > 0 ? Number(process.argv[at + 1]) : 60_000;
const gpu = await requestGpu();
const train = await loadMnist({ split: 'train', limit });
const test = await loadMnist({ split: 'test' });

async function run(device: 'cpu' | 'webgpu') {
  manualSeed(2);
  const model = mnistCnn();
  const trainer = new Trainer({ optimizer: adam(ADAM), seed: 0, device: device === 'cpu' ? 'cpu' : webgpuDevice({ context: gpu }), metricsEvery: 100 });
  const t0 = performance.now();
  const { history } = await trainer.fit(model, { train: new DataLoader(train, { batchSize: BATCH, shuffle: true }), epochs: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const { accuracy, loss } = await trainer.evaluate(model, new DataLoader(test, { batchSize: 500 }));
  const row = { device: trainer.deviceName, adapter: device === 'cpu' ? 'CPU (1 thread)' : gpu.adapterName, trainLoss: history[0].metrics.loss, testAccuracy: accuracy, testLoss: loss, seconds, samples: limit };
  console.error(row);
  return row;
}

const rows = [await run('cpu'), await run('webgpu')];
const gap = 100 * (rows[1].testAccuracy - rows[0].testAccuracy);
const md = [
  `# The reference CNN for one epoch on WebGPU and on the CPU, through the Trainer (Node ${process.version})`,
  '',
  `${limit.toLocaleString('en')} MNIST training digits, batch ${BATCH}, Adam (lr ${ADAM.lr}), the seeded DataLoader's shuffle, the same initial weights (seed 2) on both devices;`,
  'tested on the 10,000 test digits. Written by `tools/bench/src/webgpuEpoch.ts`.',
  '',
  '| device | adapter | train loss (epoch mean) | test accuracy | test loss | seconds |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.device} | ${r.adapter} | ${r.trainLoss.toFixed(4)} | ${(100 * r.testAccuracy).toFixed(2)} % | ${r.testLoss.toFixed(4)} | ${r.seconds.toFixed(0)} |`),
  '',
  `WebGPU minus CPU: ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} points of test accuracy (the issue's bound: within 0.3).`,
  '',
];
writeFileSync(join(RESULTS, 'webgpu-epoch.md'), md.join('\n'));
appendFileSync(join(RESULTS, 'webgpu-epoch.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(md.join('\n'));
process.exit(0);
