import type { Module } from '@trainkit/nn';
import { ConfigError } from './errors';
import { type ParamSelector, matches } from './optimizer';

function select(model: Module, selector: ParamSelector, caller: string): string[] {
  const names = model.namedParameters().map(([n]) => n);
  if (Array.isArray(selector)) {
    const unknown = selector.filter((s: string) => !names.includes(s));
    if (unknown.length > 0) throw new ConfigError(`${caller}: no parameter named ${unknown.join(', ')} (parameters: ${names.join(', ')})`);
  }
  return names.filter((n) => matches(selector, n));
}

/**
 * Modules with buffers (BatchNorm's running statistics) whose own parameters are all frozen —
 * or, without parameters, whose buffers the selector names — with their paths.
 */
function statefulModules(model: Module): Array<{ module: Module; params: Array<{ requiresGrad: boolean }>; bufferNames: string[] }> {
  const out = [];
  for (const [path, module] of model.namedModules()) {
    const prefix = path === '' ? '' : `${path}.`;
    const bufferNames = module.namedBuffers().map(([n]) => n).filter((n) => !n.includes('.')).map((n) => prefix + n);
    if (bufferNames.length === 0) continue;
    const params = module.namedParameters().filter(([n]) => !n.includes('.')).map(([, p]) => p);
    out.push({ module, params, bufferNames });
  }
  return out;
}

/**
 * Freezes the selected parameters: no gradient is computed for them and no optimizer
 * updates them. A module with running statistics (BatchNorm) whose parameters are now all
 * frozen — or, if it has none, whose buffers the selector matches — is put in eval mode and
 * stays there when the trainer calls `model.train()` ({@link Module.evalOnly}), so its
 * statistics stay those of the pretrained network, as in Keras. Returns the names frozen.
 *
 * @example freeze(model, /^conv/)
 */
export function freeze(model: Module, selector: ParamSelector): string[] {
  const names = select(model, selector, 'freeze');
  const params = new Map(model.namedParameters());
  for (const n of names) {
    const p = params.get(n);
    if (p) {
      p.requiresGrad = false;
      p.grad = null;
    }
  }
  for (const { module, params: own, bufferNames } of statefulModules(model)) {
    const frozen = own.length > 0 ? own.every((p) => !p.requiresGrad) : bufferNames.some((n) => matches(selector, n));
    if (frozen) {
      module.evalOnly = true;
      module.training = false;
    }
  }
  return names;
}

/**
 * Undoes {@link freeze} for the selected parameters; modules with running statistics among
 * them follow the model's mode again. Returns the names unfrozen.
 */
export function unfreeze(model: Module, selector: ParamSelector): string[] {
  const names = select(model, selector, 'unfreeze');
  const params = new Map(model.namedParameters());
  for (const n of names) {
    const p = params.get(n);
    if (p) p.requiresGrad = true;
  }
  for (const { module, params: own, bufferNames } of statefulModules(model)) {
    const thawed = own.length > 0 ? own.some((p) => p.requiresGrad) : bufferNames.some((n) => matches(selector, n));
    if (module.evalOnly && thawed) {
      module.evalOnly = false;
      module.training = model.training;
    }
  }
  return names;
}
