// Parameter groups and their hyperparameters: resolving options into groups, finding a
// parameter's group, validating values, scaling lr, and taking saved hyperparameters back.
import { ConfigError } from '../errors';
import type { GroupSpec, Hyperparams, Optimizer, OptimizerOptions, OptimizerSpec, ParamGroup, ParamSelector } from './contract';

/**
 * Whether a parameter name is picked by a selector (a RegExp, a list of names or a predicate of
 * the name), as optimizer groups and `freeze` read it. A /g or /y pattern is read afresh each time.
 */
export function matches(select: ParamSelector, name: string): boolean {
  if (typeof select === 'function') return select(name);
  if (select instanceof RegExp) return testName(select, name);
  return select.includes(name);
}

/** Whether `v` is a {@link ParamSelector}: a RegExp, a list of names (strings) or a function. */
export function isParamSelector(v: unknown): v is ParamSelector {
  return v instanceof RegExp || typeof v === 'function' || (Array.isArray(v) && v.every((n) => typeof n === 'string'));
}

/** `re.test(name)` from the start of the name each time: a /g or /y regex keeps its lastIndex between calls, which would skip every other match (a fresh copy without g, y kept: sticky still anchors at 0). */
function testName(re: RegExp, name: string): boolean {
  return re.global || re.sticky ? new RegExp(re.source, re.flags.replace('g', '')).test(name) : re.test(name);
}

/**
 * Throws a ConfigError naming the optimizer, the hyperparameter and `where` (e.g. " (parameter
 * group 1)") when a value has the wrong kind, lr is negative, or the spec's `validate` objects.
 */
export function checkHyper<H extends Hyperparams>(spec: OptimizerSpec<H>, hyper: H, where: string): void {
  for (const [k, v] of Object.entries(hyper)) {
    const expected = typeof spec.defaults[k];
    if (expected === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`${spec.name}: ${k} must be ${expected === 'boolean' ? 'true or false' : 'a finite number'}${where}, got ${String(v)}`);
    }
  }
  if (hyper.lr < 0) throw new ConfigError(`${spec.name}: lr must be ≥ 0${where}, got ${hyper.lr}`);
  const problem = spec.validate?.(hyper);
  if (problem) throw new ConfigError(`${spec.name}: ${problem}${where}`);
}

/**
 * Resolves a factory's options into validated parameter groups: one per `groups` entry (its
 * overrides on top of the optimizer-wide values), then the default group, which matches every
 * parameter and comes last.
 */
export function resolveGroups<H extends Hyperparams>(spec: OptimizerSpec<H>, options: OptimizerOptions<H>): Array<ParamGroup<H>> {
  const { groups: groupSpecs = [], ...overrides } = options as { groups?: ReadonlyArray<GroupSpec<H>> } & Record<string, unknown>;
  for (const k of Object.keys(overrides)) {
    if (!(k in spec.defaults)) throw new ConfigError(`${spec.name}: unknown option "${k}" (known: ${Object.keys(spec.defaults).join(', ')}, groups)`);
  }
  const base = { ...spec.defaults, ...overrides } as H;
  checkHyper(spec, base, '');
  const groups: Array<ParamGroup<H>> = groupSpecs.map((g, i) => {
    const { params, ...rest } = g;
    const where = `${spec.name}: parameter group ${i}`;
    if (!isParamSelector(params)) {
      throw new ConfigError(`${where}: params must be a list of parameter names, a RegExp or a function of the name, got ${JSON.stringify(params) ?? String(params)}`);
    }
    for (const k of Object.keys(rest)) {
      if (!(k in spec.defaults)) throw new ConfigError(`${where}: unknown option "${k}" (known: ${Object.keys(spec.defaults).join(', ')}, params)`);
    }
    const hyper = { ...base, ...rest } as H;
    checkHyper(spec, hyper, ` (parameter group ${i})`);
    return { select: params, hyper, initialLr: hyper.lr };
  });
  groups.push({ select: null, hyper: base, initialLr: base.lr });
  return groups;
}

/** A lookup from parameter name to its group (the first whose selector matches), remembered per name. */
export function groupFinder<H extends Hyperparams>(groups: ReadonlyArray<ParamGroup<H>>): (name: string) => ParamGroup<H> {
  const groupOf = new Map<string, ParamGroup<H>>();
  return (name) => {
    let g = groupOf.get(name);
    if (g === undefined) {
      g = groups.find((c) => c.select === null || matches(c.select, name)) as ParamGroup<H>;
      groupOf.set(name, g);
    }
    return g;
  };
}

/** Sets the default group's lr to `value` and scales every other group's lr by the same factor (what schedules rely on). */
export function scaleLr<H extends Hyperparams>(optimizer: string, groups: ReadonlyArray<ParamGroup<H>>, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${optimizer}: lr must be a finite number ≥ 0, got ${value}`);
  const defaultGroup = groups[groups.length - 1];
  const factor = defaultGroup.initialLr === 0 ? 0 : value / defaultGroup.initialLr;
  for (const g of groups) g.hyper.lr = g === defaultGroup ? value : g.initialLr * factor;
}

/**
 * Sets each parameter group's lr (`lrs` in the order of `optimizer.groups`, the default group
 * last), as torch schedulers set every `param_group['lr']` from its own base lr. Checks them all
 * before setting any; `refusal(lr, group)` words the error for one that is not finite or is negative.
 */
export function setGroupLrs(optimizer: Optimizer, lrs: readonly number[], refusal: (lr: number, group: number) => string): void {
  lrs.forEach((lr, i) => {
    if (!Number.isFinite(lr) || lr < 0) throw new ConfigError(refusal(lr, i));
  });
  optimizer.groups.forEach((g, i) => (g.hyper.lr = lrs[i]));
}

/**
 * Validates saved group hyperparameters against these groups (same count, each value valid)
 * and returns the merged hyperparameters per group, changing nothing.
 */
export function savedHypers<H extends Hyperparams>(spec: OptimizerSpec<H>, groups: ReadonlyArray<ParamGroup<H>>, saved: unknown): H[] {
  if (!Array.isArray(saved) || saved.length !== groups.length) {
    const count = Array.isArray(saved) ? saved.length : 'no list of';
    throw new ConfigError(`${spec.name}: state has ${count} parameter groups, this optimizer has ${groups.length}`);
  }
  return saved.map((h: Record<string, number | boolean>, i) => {
    const hyper = { ...groups[i].hyper, ...h } as H;
    checkHyper(spec, hyper, ` (saved parameter group ${i})`);
    return hyper;
  });
}
