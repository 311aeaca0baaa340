import type { RunContext } from './context';
import { CleanupError, ConfigError, PluginError } from './errors';
import { type ContextOf, type HookName, type Plugin, eventName } from './hooks';
import type { Trainer } from './trainer';

type Handler<K extends HookName> = [owner: string, fn: (ctx: ContextOf<K>) => unknown];

/** The plugins' methods for `hook`, in registration order, then the emitter's listeners (read after the plugins ran). */
function* handlers<K extends HookName>(trainer: Trainer, hook: K): Generator<Handler<K>> {
  for (const p of trainer.plugins) {
    const fn = p[hook] as ((c: ContextOf<K>) => unknown) | undefined;
    if (fn !== undefined) yield [p.name, (c) => fn.call(p, c)];
  }
  const ev = eventName(hook);
  if (trainer.listenerCount(ev) === 0) return;
  for (const l of trainer.listeners(ev) as Array<(c: ContextOf<K>) => unknown>) yield [`listener of "${ev}"`, l];
}

async function call<K extends HookName>([owner, fn]: Handler<K>, hook: K, ctx: ContextOf<K>): Promise<void> {
  try {
    const r = fn(ctx);
    if (r instanceof Promise) await r; // no microtask per synchronous hook
  } catch (e) {
    throw e instanceof PluginError ? e : new PluginError(owner, hook, e);
  }
}

/** Awaits `hook` on every plugin, then every listener; the first error stops it, as a {@link PluginError} naming who threw. */
export async function emitHook<K extends HookName>(trainer: Trainer, hook: K, ctx: ContextOf<K>): Promise<void> {
  for (const h of handlers(trainer, hook)) await call(h, hook, ctx);
}

/** Awaits `hook` on every plugin and listener even when some throw (cleanup hooks); returns their errors. */
export async function emitAll<K extends HookName>(trainer: Trainer, hook: K, ctx: ContextOf<K>): Promise<PluginError[]> {
  const errors: PluginError[] = [];
  for (const h of handlers(trainer, hook)) {
    try {
      await call(h, hook, ctx);
    } catch (e) {
      errors.push(e as PluginError);
    }
  }
  return errors;
}

/**
 * Runs `body` (fit, evaluate or predict) between `setup` and `teardown`; after an error, a
 * device's newer state is copied back and then `onException` runs. Every plugin's cleanup hook runs even when another one throws:
 * their errors, with the error that stopped the run, come back together in a {@link CleanupError}.
 */
export async function runStage<T>(trainer: Trainer, ctx: RunContext, body: () => Promise<T>): Promise<T> {
  let failure: { error: unknown } | null = null;
  let result: T | undefined;
  try {
    await emitHook(trainer, 'setup', ctx);
    result = await body();
  } catch (error) {
    failure = { error };
    ctx.error = error;
  }
  if (failure !== null) await trainer.device.recover(); // a fit on a device: its state comes back (or a notice says why not) before onException
  const cleanup = failure === null ? [] : await emitAll(trainer, 'onException', ctx);
  cleanup.push(...(await emitAll(trainer, 'teardown', ctx)));
  if (cleanup.length > 0) throw new CleanupError(ctx.stage === 'validate' ? 'evaluate' : ctx.stage, failure, cleanup);
  if (failure !== null) throw failure.error;
  return result as T;
}

/**
 * `plugin`, checked for `Trainer.use`: an object with a non-empty name, not registered already,
 * and, when it keeps state, under a state key no other stateful plugin in `plugins` has (the
 * key names its state in a checkpoint). Stateless plugins may share a name: two penalties on
 * different parameters, say.
 */
export function checkPlugin(plugin: Plugin, plugins: readonly Plugin[]): Plugin {
  if (plugin === null || typeof plugin !== 'object' || typeof plugin.name !== 'string' || plugin.name === '') {
    throw new ConfigError('Trainer.use: a plugin must be an object with a non-empty `name`');
  }
  if (plugins.includes(plugin)) throw new ConfigError(`Trainer.use: plugin "${plugin.name}" is already registered (the same object twice)`);
  const key = plugin.stateKey ?? plugin.name;
  const stateful = (p: Plugin) => typeof p.stateDict === 'function' || typeof p.loadStateDict === 'function';
  if (stateful(plugin) && plugins.some((p) => stateful(p) && (p.stateKey ?? p.name) === key)) {
    throw new ConfigError(`Trainer.use: a plugin with state key "${key}" is already registered; give the second one a distinct stateKey`);
  }
  return plugin;
}
