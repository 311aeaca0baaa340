import type { Module } from '@trainkit/nn';
import type { ParamSelector } from './optimizer';

function select(model: Module, selector: ParamSelector): string[] {
  const names = model.namedParameters().map(([n]) => n);
  const hit = names.filter((n) => (typeof selector === 'function' ? selector(n) : selector instanceof RegExp ? selector.test(n) : selector.includes(n)));
  if (Array.isArray(selector)) {
    const unknown = selector.filter((s: string) => !names.includes(s));
    if (unknown.length > 0) throw new Error(`freeze: no parameter named ${unknown.join(', ')} (parameters: ${names.join(', ')})`);
  }
  return hit;
}

/**
 * Freezes the selected parameters: no gradient is computed for them and no optimizer
 * updates them. Returns the names frozen.
 * @example freeze(model, /^conv/)
 */
export function freeze(model: Module, selector: ParamSelector): string[] {
  const names = select(model, selector);
  const params = new Map(model.namedParameters());
  for (const n of names) {
    const p = params.get(n);
    if (p) {
      p.requiresGrad = false;
      p.grad = null;
    }
  }
  return names;
}

/** Undoes {@link freeze} for the selected parameters. Returns the names unfrozen. */
export function unfreeze(model: Module, selector: ParamSelector): string[] {
  const names = select(model, selector);
  const params = new Map(model.namedParameters());
  for (const n of names) {
    const p = params.get(n);
    if (p) p.requiresGrad = true;
  }
  return names;
}
