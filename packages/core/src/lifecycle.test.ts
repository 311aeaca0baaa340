import { describe, expect, test } from 'vitest';
import { Tensor } from '@trainkit/tensor';
import { CleanupError, PluginError, Trainer, sgd, type Plugin } from './index';
import { toyLoader, toyModel } from './__tests__/fixtures';

/** Like reg-dropout's plugin: a forward hook attached at setup that must be removed at teardown. */
function dropoutLike(calls: string[]): Plugin {
  let remove: (() => void) | null = null;
  return {
    name: 'dropout-like',
    setup: (ctx) => void (remove = ctx.model.registerForwardHook(() => undefined)), // the mask itself does not matter here
    onException: () => void calls.push('dropout-like onException'),
    teardown: () => {
      calls.push('dropout-like teardown');
      remove?.();
    },
  };
}

const throwsIn = (name: string, hooks: string[], calls: string[]): Plugin => {
  const p: Record<string, unknown> = { name };
  for (const h of hooks) {
    p[h] = () => {
      calls.push(`${name} ${h}`);
      throw new Error(`${name} broke in ${h}`);
    };
  }
  return p as unknown as Plugin;
};

describe('cleanup hooks', () => {
  test('every teardown runs when earlier ones throw, and their errors come back together naming each plugin and hook', async () => {
    const calls: string[] = [];
    const model = toyModel();
    const trainer = new Trainer({ optimizer: sgd(), plugins: [throwsIn('logger', ['teardown'], calls), dropoutLike(calls), throwsIn('uploader', ['teardown'], calls)] });
    const err = await trainer.fit(model, { train: toyLoader(8, 8), epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupError);
    const cleanup = err as CleanupError;
    expect(cleanup.failure).toBeNull();
    expect(cleanup.errors.map((e: PluginError) => `${e.plugin}.${e.hook}`)).toEqual(['logger.teardown', 'uploader.teardown']);
    expect(cleanup.message).toBe('fit: 2 cleanup hooks failed: plugin "logger" threw in teardown: logger broke in teardown; plugin "uploader" threw in teardown: uploader broke in teardown');
    expect(calls).toEqual(['logger teardown', 'dropout-like teardown', 'uploader teardown']);
    expect(model.hasForwardHooks).toBe(false);
  });

  test('after a failed run every onException and every teardown runs; the run error leads the list and is the cause', async () => {
    const calls: string[] = [];
    const model = toyModel();
    const crash: Plugin = { name: 'crash', onTrainBatchEnd: () => { throw new Error('disk full'); } };
    const trainer = new Trainer({ optimizer: sgd(), plugins: [throwsIn('logger', ['onException', 'teardown'], calls), dropoutLike(calls), crash] });
    const err = (await trainer.fit(model, { train: toyLoader(16, 8), epochs: 1 }).catch((e: unknown) => e)) as CleanupError;
    expect(err).toBeInstanceOf(CleanupError);
    expect(err.cause).toBeInstanceOf(PluginError);
    expect((err.cause as Error).message).toBe('plugin "crash" threw in onTrainBatchEnd: disk full');
    expect(err.errors).toHaveLength(3);
    expect(err.errors[0]).toBe(err.cause);
    expect(err.message).toMatch(/^fit failed \(plugin "crash" threw in onTrainBatchEnd: disk full\) and 2 cleanup hooks failed: plugin "logger" threw in onException: .*; plugin "logger" threw in teardown: /);
    expect(calls).toEqual(['logger onException', 'dropout-like onException', 'logger teardown', 'dropout-like teardown']);
    expect(model.hasForwardHooks).toBe(false);
  });

  test('a throwing teardown listener does not skip the plugins or the other listeners', async () => {
    const calls: string[] = [];
    const trainer = new Trainer({ plugins: [dropoutLike(calls)] });
    trainer.on('teardown', () => { throw new Error('first listener'); });
    trainer.on('teardown', () => void calls.push('second listener'));
    const model = toyModel();
    const err = await trainer.evaluate(model, toyLoader(8, 8)).catch((e: unknown) => e);
    expect((err as Error).message).toBe('evaluate: 1 cleanup hook failed: listener of "teardown" threw in teardown: first listener');
    expect(calls).toEqual(['dropout-like teardown', 'second listener']);
    expect(model.hasForwardHooks).toBe(false);
  });

  test('a run error with clean cleanup hooks is thrown as it is', async () => {
    const trainer = new Trainer({ plugins: [dropoutLike([])] });
    const err = await trainer.predict(toyModel(), new Tensor(new Float32Array(4 * 3), [4, 3])).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(CleanupError);
    expect((err as Error).message).toMatch(/linear: input has 3 features/);
  });
});
