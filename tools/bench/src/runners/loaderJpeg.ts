// The JPEG row of the loader bench: 64×64 RGB JPEGs decoded on one decoding thread by
// imageFolder (one worker) and by plain sharp loops (1, 4, 16 and 64 images in flight),
// measured per CPU second (process.cpuUsage: every thread of the process) and per wall second.
// One decoding thread: the process runs with UV_THREADPOOL_SIZE=1 (sharp decodes on libuv's
// pool, which the main thread and the workers share) and libvips on one thread.
import { imageFolder } from '@trainkit/data/node';
import { Rng } from '@trainkit/tensor';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import type { LoaderRow } from './loader';

const SIDE = 64;

/** `count` noisy 64×64 RGB JPEGs (quality 90) in 3 class folders. */
async function writeJpegs(dir: string, count: number): Promise<void> {
  const rng = new Rng(5);
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(SIDE * SIDE * 3);
    const tint = [0, 1, 2].map(() => rng.uniform(0, 200));
    for (let p = 0; p < raw.length; p++) raw[p] = tint[p % 3] + rng.uniform(0, 55);
    const path = join(dir, `c${i % 3}`, `${i}.jpg`);
    await mkdir(join(dir, `c${i % 3}`), { recursive: true });
    await writeFile(path, await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
}

/** Seconds of wall time and of CPU time (all threads of the process) that `run` takes. */
async function timed(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const [t, c] = [performance.now(), process.cpuUsage()];
  await run();
  const { user, system } = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (user + system) / 1e6 };
}

/** What a user writes without trainkit: list the class folders, decode every file with the same pipeline as imageFolder's worker, `inFlight` at a time. */
async function plainLoop(dir: string, inFlight: number): Promise<void> {
  const files: string[] = [];
  for (const c of (await readdir(dir)).sort()) for (const f of (await readdir(join(dir, c))).sort()) files.push(join(dir, c, f));
  const decode = (p: string): Promise<Buffer> => sharp(p, { pages: 1 }).removeAlpha().toColourspace('srgb').resize(SIDE, SIDE, { fit: 'cover', background: { r: 0, g: 0, b: 0 } }).raw().toBuffer();
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) await decode(files[i]);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/** What imageFolder does besides decoding, alone: write `count` CHW images into a new file in ~0.5 MB chunks, fsync it and rename it into place. */
function writeCache(path: string, count: number): void {
  const bytes = 3 * SIDE * SIDE;
  const chunk = Buffer.alloc(Math.floor(2 ** 19 / bytes) * bytes, 7);
  const fd = openSync(`${path}.tmp`, 'wx');
  for (let at = 0; at < count * bytes; at += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, count * bytes - at), at);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
}

/** Also alone: a worker thread that loads sharp (imageFolder's decoding worker boots so), then ends. */
function bootWorker(): Promise<unknown> {
  const worker = new Worker(`require(require('node:worker_threads').workerData); require('node:worker_threads').parentPort.postMessage(0)`, { eval: true, execArgv: [], workerData: createRequire(import.meta.url).resolve('sharp') });
  return new Promise((resolve, reject) => worker.once('message', () => resolve(worker.terminate())).once('error', reject));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function jpegRow(scratch: string, count: number, repetitions = 9): Promise<LoaderRow> {
  if (process.env.UV_THREADPOOL_SIZE !== '1') throw new Error('loader bench: run the loader-jpeg64 row with UV_THREADPOOL_SIZE=1 (one decoding thread for every loop compared)');
  const dir = join(scratch, 'jpeg64');
  await writeJpegs(dir, count);
  const threads = sharp.concurrency();
  sharp.concurrency(1); // libvips is shared by the process and its worker threads: one thread for both
  try {
    let caches = 0;
    let written: string | undefined; // what the last run wrote, removed before the next (the page cache holds one at a time)
    const scratchFile = (name: string): string => (written = join(scratch, `${name}-${caches++}`));
    const runs: Record<string, () => Promise<unknown>> = {
      plain1: () => plainLoop(dir, 1),
      plain4: () => plainLoop(dir, 4),
      plain16: () => plainLoop(dir, 16),
      plain64: () => plainLoop(dir, 64),
      imageFolder: () => imageFolder(dir, { size: SIDE, workers: 1, cacheDir: scratchFile('jpeg-cache') }),
      cacheWriteAlone: async () => writeCache(scratchFile('cache-write'), count),
      workerBootAlone: bootWorker,
    };
    const names = Object.keys(runs);
    const clean = async (): Promise<void> => {
      if (written !== undefined) await rm(written, { recursive: true, force: true });
      written = undefined;
    };
    for (const name of names) await runs[name]().then(clean); // warm the page cache, libvips and the code paths
    const seconds: Record<string, { wall: number; cpu: number }[]> = Object.fromEntries(names.map((n) => [n, []]));
    const loads: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      loads.push(loadavg()[0]);
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length]; // interleaved, each in every position of the order
        seconds[name].push(await timed(runs[name]));
        await clean();
      }
    }
    const rate = (name: string, of: 'wall' | 'cpu'): number => count / median(seconds[name].map((s) => s[of]));
    const plain = names.filter((n) => n.startsWith('plain'));
    const best = (of: 'wall' | 'cpu'): string => plain.reduce((a, b) => (rate(b, of) > rate(a, of) ? b : a));
    const [bestCpu, bestWall] = [best('cpu'), best('wall')];
    // each repetition's imageFolder against the same repetition's best plain loop (run within a minute of each other, so under about the same load)
    const paired = (of: 'wall' | 'cpu', plainName: string): number => 100 * (1 - median(seconds[plainName].map((p, r) => p[of] / seconds.imageFolder[r][of])));
    const overhead = { perCpuSecond: paired('cpu', bestCpu), perWallSecond: paired('wall', bestWall) };
    const fromMedians = { perCpuSecond: 100 * (1 - rate('imageFolder', 'cpu') / rate(bestCpu, 'cpu')), perWallSecond: 100 * (1 - rate('imageFolder', 'wall') / rate(bestWall, 'wall')) };
    const compared = [...plain, 'imageFolder'];
    const perCpuSecond = Object.fromEntries(compared.map((n) => [n, rate(n, 'cpu')]));
    const perWallSecond = Object.fromEntries(compared.map((n) => [n, rate(n, 'wall')]));
    const parts = ['cacheWriteAlone', 'workerBootAlone'].map((n) => [n, (100 * median(seconds[n].map((x) => x.cpu))) / median(seconds[bestCpu].map((x) => x.cpu))]);
    return {
      id: 'loader-jpeg64',
      value: perCpuSecond.imageFolder,
      target: { text: 'overhead < 10 % per CPU second against the best plain sharp loop', met: overhead.perCpuSecond < 10 },
      details: {
        images: count,
        repetitions,
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE,
        sharpConcurrency: sharp.concurrency(),
        imagesPerCpuSecond: perCpuSecond,
        imagesPerWallSecond: perWallSecond,
        bestPlainLoop: { perCpuSecond: bestCpu, perWallSecond: bestWall },
        overheadPercent: overhead,
        overheadPercentFromMedianRates: fromMedians,
        partsCpuPercentOfBestPlainLoop: Object.fromEntries(parts),
        loadAverageAtEachRepetition: loads,
        seconds,
        note:
          'Both sides decode on one thread (UV_THREADPOOL_SIZE=1, sharp.concurrency(1)) with the same sharp pipeline. Rates are medians of interleaved repetitions; ' +
          'overheadPercent is 1 − the median over repetitions of (best plain loop seconds / imageFolder seconds), the best plain loop chosen by median rate. ' +
          'plainN: list the class folders (readdir), decode each file to raw RGB bytes, N at a time, on the main thread; keep nothing. ' +
          'imageFolder: { size: 64, workers: 1 } into a fresh cache folder — lists and stats the files, hashes the cache key, boots one worker thread (which loads sharp) that keeps 16 decodes in flight (the default prefetch), ' +
          'turns HWC into CHW, writes each ~0.5 MB chunk into the temporary cache file, then the footer, fsync, rename and directory fsync. ' +
          'CPU seconds are process.cpuUsage (user + system) over all threads of the process. ' +
          'cacheWriteAlone and workerBootAlone time two parts of imageFolder on their own (writing and fsyncing a cache file of the same size; booting a worker that loads sharp), to show where its overhead goes.',
      },
    };
  } finally {
    sharp.concurrency(threads);
  }
}
