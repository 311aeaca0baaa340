import { Trainer, cosineAnnealing, scheduler, type BaseContext, type Plugin } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { describe, expect, test } from 'vitest';
import { Checkpointer, type CheckpointOptions, decodeCheckpoint, encodeCheckpoint, memoryStore } from './index';
import { bnCnn, imageLoader, snapshot } from './__tests__/models';

type Store = ReturnType<typeof memoryStore>;

/** Logs `values[epoch]` as the metric `score` on every batch, so the epoch's mean is exactly that value. */
function scripted(values: number[], name = 'score'): Plugin {
  return { name: `scripted-${name}`, onTrainBatchEnd: (ctx) => ctx.log(name, values[ctx.epoch]) };
}

async function fit(store: Store, options: Omit<CheckpointOptions, 'store'>, run: { epochs: number; plugins?: Plugin[]; resume?: string; val?: boolean; model?: ReturnType<typeof bnCnn> }) {
  const ckpt = new Checkpointer({ store, ...options });
  const model = run.model ?? bnCnn(0);
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 5, plugins: [ckpt, ...(run.plugins ?? [])] });
  const result = await trainer.fit(model, { train: imageLoader(24, 8), val: run.val ? imageLoader(8, 8, 2) : undefined, epochs: run.epochs, resume: run.resume });
  return { ckpt, model, trainer, result };
}

const read = (store: Store, file: string) => decodeCheckpoint(store.files.get(file)!, { requireChecksum: true });
const files = (store: Store) => [...store.files.keys()].sort();

describe('Checkpointer: what it saves', () => {
  test('latest.safetensors after every epoch holds the weights and the trainer state of that moment', async () => {
    const store = memoryStore();
    const epochs: number[] = [];
    const watch: Plugin = { name: 'watch', onTrainEpochStart: (ctx) => void (ctx.epoch > 0 && epochs.push(read(store, 'latest.safetensors').trainer!.epoch)) };
    const { model } = await fit(store, {}, { epochs: 3, plugins: [watch] });
    expect(epochs).toEqual([1, 2]);
    expect(files(store)).toEqual(['latest.safetensors']);
    const last = read(store, 'latest.safetensors');
    expect([last.trainer!.epoch, last.trainer!.batchIndex, last.trainer!.step, last.trainer!.history.length]).toEqual([3, 0, 9, 3]);
    expect(Object.fromEntries(Object.entries(last.model).map(([k, t]) => [k, Array.from(t.data)]))).toEqual(snapshot(model));
    expect(last.metadata).toMatchObject({ epoch: '2', step: '9' });
  });

  test('best.safetensors follows the monitored metric; min for losses, max for accuracies by default', async () => {
    for (const [monitor, values, bestEpoch] of [['score', [3, 1, 2, 0.5, 0.7], 3], ['scoreAccuracy', [0.25, 0.75, 0.5, 0.875, 0.125], 3], ['valLoss', null, null]] as const) {
      const store = memoryStore();
      const { ckpt } = await fit(store, { monitor }, { epochs: 5, val: true, plugins: values ? [scripted([...values], monitor)] : [] });
      const best = read(store, 'best.safetensors');
      if (bestEpoch !== null) expect([ckpt.best!.epoch, ckpt.best!.score]).toEqual([bestEpoch, values![bestEpoch]]);
      expect(best.trainer!.epoch).toBe(ckpt.best!.epoch + 1);
      expect(best.metadata[`score.${monitor}`]).toBe(String(ckpt.best!.score));
    }
  });

  test('topK keeps the k best as epoch=E-step=S-<monitor>=V files and deletes those that drop out', async () => {
    const store = memoryStore();
    const { ckpt } = await fit(store, { monitor: 'score', mode: 'min', topK: 2 }, { epochs: 5, plugins: [scripted([3, 1, 2, 0.5, 4])] });
    expect(files(store)).toEqual(['best.safetensors', 'epoch=1-step=6-score=1.0000.safetensors', 'epoch=3-step=12-score=0.5000.safetensors', 'latest.safetensors']);
    expect(ckpt.ranked.map((f) => f.score)).toEqual([0.5, 1]);
  });

  test('keepLast keeps the k most recent as epoch=E-step=S files', async () => {
    const store = memoryStore();
    await fit(store, { keepLast: 2, saveLatest: false }, { epochs: 4 });
    expect(files(store)).toEqual(['epoch=2-step=9.safetensors', 'epoch=3-step=12.safetensors']);
  });

  test('everyNSteps also saves within epochs; latest then records the position inside the epoch', async () => {
    const store = memoryStore();
    const seen: Array<[number, number]> = [];
    const watch: Plugin = { name: 'watch', onTrainBatchStart: () => { const t = store.files.get('latest.safetensors'); if (t) seen.push([read(store, 'latest.safetensors').trainer!.epoch, read(store, 'latest.safetensors').trainer!.batchIndex]); } };
    await fit(store, { everyNSteps: 2, everyNEpochs: 0 }, { epochs: 2, plugins: [watch] });
    // 3 batches per epoch: saves after steps 2, 4, 6 = (epoch 0, batch 2), (epoch 1, batch 1), (epoch 1, batch 3 = end) and at the end of fit
    expect([...new Set(seen.map(String))]).toEqual(['0,2', '1,1']);
    expect(read(store, 'latest.safetensors').trainer!.step).toBe(6);
  });

  test('everyNEpochs: 2 saves at the end of every second epoch (and the final state at the end of fit)', async () => {
    const store = memoryStore();
    const steps: number[] = [];
    const spy = { ...store, write: async (name: string, bytes: Uint8Array) => { steps.push(Number(decodeCheckpoint(bytes).metadata.step)); await store.write(name, bytes); } };
    await new Trainer({ optimizer: adam(), plugins: [new Checkpointer({ store: spy, everyNEpochs: 2 })] }).fit(bnCnn(), { train: imageLoader(24, 8), epochs: 5 });
    expect(steps).toEqual([6, 12, 15]);
  });

  test('it saves after every plugin has run its epoch-end hook, whatever the registration order', async () => {
    const store = memoryStore();
    let counter = 0;
    const after: Plugin = { name: 'counts-epochs', onTrainEpochEnd: () => void counter++, stateDict: () => ({ counter }), loadStateDict: () => {} };
    await fit(store, {}, { epochs: 2, plugins: [after] });
    expect(read(store, 'latest.safetensors').trainer!.plugins['counts-epochs']).toEqual({ counter: 2 });
  });
});

describe('Checkpointer: resume', () => {
  test("resume: 'latest' starts fresh on an empty store, then continues a finished or stopped run", async () => {
    const store = memoryStore();
    const first = await fit(store, {}, { epochs: 2, resume: 'latest' });
    expect(first.ckpt.resumedFrom).toBeNull();
    const second = await fit(store, {}, { epochs: 3, resume: 'latest', model: bnCnn(42) });
    expect(second.ckpt.resumedFrom).toBe('latest.safetensors');
    expect(second.result.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
  });

  test('an interrupted run resumed from latest ends bit-identical to an uninterrupted one (in process; see resume.process.test.ts for new processes)', async () => {
    const straight = await fit(memoryStore(), {}, { epochs: 3, val: true, plugins: [scheduler(cosineAnnealing({ tMax: 3 }))] });
    for (const crashAt of [[1, 0], [1, 2], [2, 1]]) {
      const store = memoryStore();
      const crash: Plugin = { name: 'crash', onTrainBatchStart: (ctx) => { if (ctx.epoch === crashAt[0] && ctx.batchIndex === crashAt[1]) throw new Error('power cut'); } };
      await expect(fit(store, { everyNSteps: 2 }, { epochs: 3, val: true, plugins: [scheduler(cosineAnnealing({ tMax: 3 })), crash] })).rejects.toThrow('power cut');
      const resumed = await fit(store, { everyNSteps: 2 }, { epochs: 3, val: true, resume: 'latest', model: bnCnn(7), plugins: [scheduler(cosineAnnealing({ tMax: 3 }))] });
      expect(snapshot(resumed.model), `crash at ${crashAt}`).toEqual(snapshot(straight.model));
      const metrics = (r: typeof straight) => r.result.history.map((h) => ({ ...h.metrics, time: 0, samplesPerSec: 0 }));
      expect(metrics(resumed)).toEqual(metrics(straight));
    }
  });

  test('the best score and the ranked files carry over into the resumed run', async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', topK: 2 }, { epochs: 2, plugins: [scripted([1, 2, 0.5, 3])] });
    const { ckpt } = await fit(store, { monitor: 'score', mode: 'min', topK: 2 }, { epochs: 4, resume: 'latest', plugins: [scripted([1, 2, 0.5, 3])] });
    expect([ckpt.best!.epoch, ckpt.ranked.map((f) => f.epoch)]).toEqual([2, [2, 0]]);
    expect(files(store)).toEqual(['best.safetensors', 'epoch=0-step=3-score=1.0000.safetensors', 'epoch=2-step=9-score=0.5000.safetensors', 'latest.safetensors']);
  });

  test('resolveResume hands the trainer the state, the weights (model) and the file (source), and touches no model itself', async () => {
    const store = memoryStore();
    const { model } = await fit(store, {}, { epochs: 1 });
    const state = await new Checkpointer({ store }).resolveResume('latest');
    expect([state!.source, state!.epoch]).toEqual(['memory/latest.safetensors', 1]);
    expect(Object.fromEntries(Object.entries(state!.model!).map(([k, t]) => [k, Array.from(t.data)]))).toEqual(snapshot(model));
  });

  test("resume: 'best' or a file name loads that checkpoint", async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', keepLast: 3 }, { epochs: 3, plugins: [scripted([1, 0.5, 2])] });
    expect((await fit(store, {}, { epochs: 3, resume: 'best' })).result.history).toHaveLength(3);
    const fromFile = await fit(store, {}, { epochs: 1, resume: 'epoch=0-step=3.safetensors' });
    expect(fromFile.ckpt.resumedFrom).toBe('epoch=0-step=3.safetensors');
  });
});

describe('Checkpointer: clear errors', () => {
  const plugin = (e: unknown) => (e as Error).message;

  test('a monitor that is never logged names the metrics that exist (and how to get val… metrics)', async () => {
    const err = await fit(memoryStore(), { monitor: 'valAcc' }, { epochs: 2 }).catch(plugin);
    expect(err).toBe(
      'plugin "checkpoint" threw in onTrainEpochEnd: checkpoint({ monitor: \'valAcc\' }) found no metric "valAcc" at the end of epoch 0; the metrics are: loss, accuracy, time, samplesPerSec (val… metrics need val data: fit(model, { train, val, … }))',
    );
    expect(await fit(memoryStore(), { monitor: 'valAcc' }, { epochs: 1, val: true }).catch(plugin)).toMatch(/the metrics are: loss, accuracy, time, samplesPerSec, valLoss, valAccuracy$/);
  });

  test('a checkpoint of a different model is refused by the trainer, naming the file; the model keeps its weights', async () => {
    const store = memoryStore();
    await fit(store, {}, { epochs: 1 });
    const model = bnCnn();
    const other = new (model.constructor as typeof import('@trainkit/nn').Sequential)({ fc: model.at('fc') });
    const before = snapshot(other);
    const err = await new Trainer({ optimizer: adam(), seed: 5, plugins: [new Checkpointer({ store })] }).fit(other, { train: imageLoader(), epochs: 2, resume: 'latest' }).catch(plugin);
    expect(err).toBe(`fit({ resume: 'latest' }) from memory/latest.safetensors: the optimizer state has slots for "conv1.weight", which is not a parameter of this model`);
    expect(snapshot(other)).toEqual(before);
  });

  test('a resume the trainer refuses (another seed) names the file and leaves the model as it was', async () => {
    const store = memoryStore();
    await fit(store, {}, { epochs: 1 });
    const model = bnCnn(3);
    const before = snapshot(model);
    const err = await new Trainer({ optimizer: adam(), seed: 6, plugins: [new Checkpointer({ store })] }).fit(model, { train: imageLoader(), epochs: 2, resume: 'latest' }).catch(plugin);
    expect(err).toBe("fit({ resume: 'latest' }) from memory/latest.safetensors: the state was saved by a trainer with seed 5, this trainer has seed 6; continue that run with new Trainer({ seed: 5, … })");
    expect(snapshot(model)).toEqual(before);
  });

  test('a checkpoint written by a newer trainkit is refused, saying so', async () => {
    const store = memoryStore();
    const { serializeSafetensors } = await import('@trainkit/safetensors');
    await store.write('latest.safetensors', serializeSafetensors({}, { metadata: { 'trainkit.format': 'checkpoint', 'trainkit.version': '7' }, checksum: true }));
    expect(await fit(store, {}, { epochs: 1, resume: 'latest' }).catch(plugin)).toMatch(/memory\/latest.safetensors: checkpoint: the file was written by a newer trainkit \(checkpoint format version 7; this @trainkit\/checkpoint reads versions up to 1\)/);
  });

  test('a corrupt latest is refused (checksum), naming the file', async () => {
    const store = memoryStore();
    await fit(store, {}, { epochs: 1 });
    store.files.get('latest.safetensors')![500] ^= 4;
    expect(await fit(store, {}, { epochs: 2, resume: 'latest' }).catch(plugin)).toMatch(/checkpoint: memory\/latest.safetensors: safetensors: checksum mismatch/);
  });

  test('missing files, weights-only files and an earlier run in the store are explained', async () => {
    const store = memoryStore();
    expect(await fit(store, {}, { epochs: 1, resume: 'best' }).catch(plugin)).toMatch(/fit\(\{ resume: 'best' \}\): no checkpoint best.safetensors in memory \(best.safetensors is written when `monitor` is set\)/);
    expect(await fit(store, {}, { epochs: 1, resume: 'run7.safetensors' }).catch(plugin)).toMatch(/no checkpoint run7.safetensors in memory$/);
    await store.write('weights.safetensors', encodeCheckpoint({ model: bnCnn().stateDict() }));
    expect(await fit(store, {}, { epochs: 1, resume: 'weights.safetensors' }).catch(plugin)).toMatch(/weights.safetensors holds weights only, no trainer state; load it with model.loadStateDict or loadPretrained/);
    await fit(store, {}, { epochs: 1 });
    expect(await fit(store, {}, { epochs: 1 }).catch(plugin)).toBe(
      "plugin \"checkpoint\" threw in onFitStart: checkpoint: memory already holds checkpoints of an earlier run (latest.safetensors); continue it with fit(model, { …, resume: 'latest' }), or pass checkpoint({ overwrite: true }) to delete them and start over",
    );
    await fit(store, { overwrite: true, keepLast: 1 }, { epochs: 1 });
    expect(files(store)).toEqual(['epoch=0-step=3.safetensors', 'latest.safetensors', 'weights.safetensors']);
  });

  test('a store that cannot be written stops fit before training, naming the location', async () => {
    const broken = { ...memoryStore(), location: '/readonly/runs', prepare: async () => { throw new Error('EACCES: permission denied, mkdir \'/readonly/runs\''); } };
    let trained = false;
    const spy: Plugin = { name: 'spy', onTrainBatchStart: () => { trained = true; } };
    const err = await new Trainer({ optimizer: adam(), plugins: [new Checkpointer({ store: broken }), spy] }).fit(bnCnn(), { train: imageLoader(), epochs: 1 }).catch(plugin);
    expect(err).toBe("plugin \"checkpoint\" threw in setup: checkpoint: cannot write checkpoints to /readonly/runs: EACCES: permission denied, mkdir '/readonly/runs'");
    expect(trained).toBe(false);
  });

  test.each([
    [{ topK: 2 }, 'checkpoint({ topK: 2 }): ranks checkpoints by a metric; set monitor as well'],
    [{ monitor: 'valLoss', mode: 'lowest' }, `checkpoint({ mode: "lowest" }): must be 'min' or 'max'`],
    [{ everyNSteps: -5 }, 'checkpoint({ everyNSteps: -5 }): must be an integer ≥ 0'],
    [{ keepLast: 1.5 }, 'checkpoint({ keepLast: 1.5 }): must be an integer ≥ -1 (-1 keeps all)'],
    [{ everyNEpochs: 0 }, 'checkpoint({ everyNEpochs: 0 }): with everyNSteps 0 nothing would ever be saved'],
    [{ saveLatest: false }, 'checkpoint({ saveLatest: false }): with no best, top-k or keep-last files nothing would ever be saved'],
    [{ saveBest: true }, 'checkpoint({ saveBest: true }): needs monitor'],
  ])('invalid options %j are refused', (options, message) => {
    expect(() => new Checkpointer({ store: memoryStore(), ...(options as object) })).toThrow(message);
  });

  test.each([
    ['valLoss', 'min'], ['valAccuracy', 'max'], ['valAcc', 'max'], ['valIoU', 'max'], ['valMeanIou', 'max'], ['valMAP', 'max'], ['val_mAP', 'max'],
    ['valAp', 'max'], ['valDice', 'max'], ['valF1', 'max'], ['valAuc', 'max'], ['valR2', 'max'], ['heatmapLoss', 'min'], ['valErrorRate', 'min'],
    ['valMse', 'min'], ['valNll', 'min'], ['valEce', 'min'], ['valPerplexity', 'min'], ['valMape', 'min'], ['valSmape', 'min'], ['valGeneralizationGap', 'min'],
    ['valAP', 'max'], ['val_ap', 'max'],
  ])('without mode, monitor %s ranks with mode %s, silently', (monitor, mode) => {
    const warnings: string[] = [];
    const c = new Checkpointer({ store: memoryStore(), monitor, warn: (m) => warnings.push(m) });
    expect([c.mode, warnings]).toEqual([mode, []]);
  });

  test('a monitor whose name says neither lower nor higher is better gets mode min and a warning that asks for mode; an explicit mode is taken silently', () => {
    const warnings: string[] = [];
    const guessed = new Checkpointer({ store: memoryStore(), monitor: 'valMargin', warn: (m) => warnings.push(m) });
    expect(guessed.mode).toBe('min');
    expect(warnings).toEqual([`checkpoint({ monitor: 'valMargin' }): no mode given and the name does not say whether lower or higher is better; assuming 'min' (lower is better). Pass mode: 'max' if higher is better`]);
    const chosen = new Checkpointer({ store: memoryStore(), monitor: 'valMargin', mode: 'max', warn: (m) => warnings.push(m) });
    expect([chosen.mode, warnings.length]).toEqual(['max', 1]);
  });

  test('the plugin does nothing during evaluate and predict', async () => {
    const store = memoryStore();
    const ctxSeen: BaseContext[] = [];
    const trainer = new Trainer({ plugins: [new Checkpointer({ store }), { name: 'spy', setup: (ctx) => void ctxSeen.push(ctx) }] });
    await trainer.evaluate(bnCnn(), imageLoader(8, 8));
    expect([store.files.size, ctxSeen.length]).toEqual([0, 1]);
  });
});
