// CIFAR-10 from the binary files of the download. The example writes a tiny stand-in for
// cifar-10-batches-bin/ first: 5 train batches and a test batch of 4 records each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_CLASS_NAMES, loadCifar } from '@trainkit/data/node';

const folder = mkdtempSync(join(tmpdir(), 'cifar-10-batches-bin-'));
const batch = (labels: number[]) => Buffer.concat(labels.map((label) => Buffer.concat([Buffer.of(label), Buffer.alloc(3072, label * 25)])));
for (let b = 1; b <= 5; b++) writeFileSync(join(folder, `data_batch_${b}.bin`), batch([0, 1, 2, b]));
writeFileSync(join(folder, 'test_batch.bin'), batch([9, 8, 7, 6]));

// #region load
const train = await loadCifar(folder, { variant: 10 }); // data_batch_1.bin … data_batch_5.bin (50,000 images in the real download)
const test = await loadCifar(folder, { variant: 10, split: 'test' }); // test_batch.bin
console.log(`train ${train.length} × [${train.sampleShape.join(', ')}], test ${test.length}; first test label: ${CIFAR10_CLASS_NAMES[test.y[0]]}`);
// CIFAR-100 (train.bin / test.bin): { variant: 100 } gives the 100 fine labels, { variant: 100, label: 'coarse' } the 20 superclasses.
// #endregion load

// #region truncated
writeFileSync(join(folder, 'test_batch.bin'), batch([1, 2]).subarray(0, 5000)); // a download cut short
await loadCifar(folder, { variant: 10, split: 'test' }).catch((e: Error) => console.log(e.message));
// #endregion truncated
rmSync(folder, { recursive: true, force: true });
