/**
 * Search spaces: `choice`, `uniform`, `logUniform`, `int`, nested objects and conditional
 * parameters (`when`). A space is plain data; {@link compileSpace} validates it (naming the
 * parameter path of any mistake) and lays its parameters out on the unit cube, one dimension
 * per parameter, so every sampler only has to produce points in [0, 1)^d.
 */
import { SweepError } from './errors';

/** A sampled configuration: JSON data, nested like the space. */
export type Config = { [key: string]: ConfigValue };
/** A value in a configuration: a sampled number or choice, or a nested object. */
export type ConfigValue = number | string | boolean | null | Config;

/** A parameter drawn from a list of values (see {@link choice}). */
export interface ChoiceParam<T extends ConfigValue = ConfigValue> { readonly kind: 'choice'; readonly values: readonly T[] }
/** A real parameter uniform in [low, high] (see {@link uniform}). */
export interface UniformParam { readonly kind: 'uniform'; readonly low: number; readonly high: number }
/** A positive real parameter uniform in log scale (see {@link logUniform}). */
export interface LogUniformParam { readonly kind: 'logUniform'; readonly low: number; readonly high: number }
/** An integer parameter on a step grid (see {@link int}). */
export interface IntParam { readonly kind: 'int'; readonly low: number; readonly high: number; readonly step: number }
/** A parameter (or sub-space) present only when `predicate` holds for the configuration sampled so far. */
export interface WhenParam { readonly kind: 'when'; readonly predicate: (config: Config) => boolean; readonly then: Param | SpaceSpec }
/** Any parameter that takes one dimension of the search space. */
export type Param = ChoiceParam | UniformParam | LogUniformParam | IntParam;
/** A search space: parameters, nested objects of parameters and conditional entries. */
export interface SpaceSpec { readonly [key: string]: Param | WhenParam | SpaceSpec }

/** One of `values`, each equally likely. */
export const choice = <T extends ConfigValue>(values: readonly T[]): ChoiceParam<T> => ({ kind: 'choice', values });
/** A real number uniform in [low, high]. */
export const uniform = (low: number, high: number): UniformParam => ({ kind: 'uniform', low, high });
/** A positive real number whose logarithm is uniform in [log low, log high] (learning rates). */
export const logUniform = (low: number, high: number): LogUniformParam => ({ kind: 'logUniform', low, high });
/** An integer in low, low + step, … ≤ high. */
export const int = (low: number, high: number, step = 1): IntParam => ({ kind: 'int', low, high, step });
/**
 * A conditional entry: `momentum: when((c) => c.optimizer === 'momentum', uniform(0.5, 0.99))`
 * is in the configuration only when the predicate, given the entries sampled before it, holds.
 */
export const when = (predicate: (config: Config) => boolean, then: Param | SpaceSpec): WhenParam => ({ kind: 'when', predicate, then });

type Node =
  | { type: 'leaf'; path: string; dim: number; param: Param }
  | { type: 'object'; path: string; children: Array<[string, Node]> }
  | { type: 'when'; path: string; predicate: (config: Config) => boolean; inner: Node };

/** A validated space: `dims` unit-cube dimensions, and the map from a point to a configuration. */
export interface CompiledSpace {
  readonly dims: number;
  /** Parameter paths (`optimizer`, `net.width`), one per dimension. */
  readonly paths: readonly string[];
  /** The configuration at a point of [0, 1]^dims. */
  fromUnits(u: ArrayLike<number>): Config;
  /** Per dimension, the unit coordinates of its grid values (`points` values for continuous parameters, or null without). */
  gridUnits(points: number | undefined): Array<number[] | null>;
}

const isParam = (v: unknown): v is Param | WhenParam => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';

function checkParam(p: Param, path: string): void {
  const where = `search space: ${p.kind} at "${path}"`;
  if (p.kind === 'choice') {
    if (!Array.isArray(p.values) || p.values.length === 0) throw new SweepError(`${where} needs at least one value`);
    return;
  }
  if (!Number.isFinite(p.low) || !Number.isFinite(p.high)) throw new SweepError(`${where}: low and high must be finite numbers, got ${p.low} and ${p.high}`);
  if (p.low >= p.high) throw new SweepError(`${where}: low must be below high, got low ${p.low} >= high ${p.high}`);
  if (p.kind === 'logUniform' && p.low <= 0) throw new SweepError(`${where}: the log of a non-positive bound is undefined, got low ${p.low}; both bounds must be > 0`);
  if (p.kind === 'int' && (!Number.isInteger(p.low) || !Number.isInteger(p.high) || !Number.isInteger(p.step) || p.step < 1)) {
    throw new SweepError(`${where}: low, high and step must be integers (step ≥ 1), got ${p.low}, ${p.high}, ${p.step}`);
  }
}

function compileNode(value: unknown, path: string, paths: string[]): Node {
  if (isParam(value)) {
    if (value.kind === 'when') {
      if (typeof value.predicate !== 'function') throw new SweepError(`search space: when at "${path}" needs a predicate function`);
      return { type: 'when', path, predicate: value.predicate, inner: compileNode(value.then, path, paths) };
    }
    if (!['choice', 'uniform', 'logUniform', 'int'].includes(value.kind)) throw new SweepError(`search space: unknown parameter kind "${value.kind}" at "${path}"`);
    checkParam(value, path);
    paths.push(path);
    return { type: 'leaf', path, dim: paths.length - 1, param: value };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SweepError(`search space: "${path}" must be a parameter (choice, uniform, logUniform, int, when) or an object of them, got ${JSON.stringify(value)}`);
  }
  const children = Object.entries(value).map(([k, v]): [string, Node] => [k, compileNode(v, path === '' ? k : `${path}.${k}`, paths)]);
  return { type: 'object', path, children };
}

/** The number of values of a discrete parameter. */
const intCount = (p: IntParam) => Math.floor((p.high - p.low) / p.step) + 1;

/** A continuous parameter's value `x` at unit coordinate `c`: exactly low at 0 and high at 1, and never outside [low, high] however it rounds. */
const inBounds = (p: UniformParam | LogUniformParam, c: number, x: number) => (c === 0 ? p.low : c === 1 ? p.high : Math.min(Math.max(x, p.low), p.high));

function valueAt(p: Param, u: number): ConfigValue {
  const c = Math.min(Math.max(u, 0), 1);
  switch (p.kind) {
    case 'choice':
      return p.values[Math.min(Math.floor(c * p.values.length), p.values.length - 1)];
    case 'int':
      return p.low + p.step * Math.min(Math.floor(c * intCount(p)), intCount(p) - 1);
    case 'uniform':
      return inBounds(p, c, p.low + c * (p.high - p.low));
    case 'logUniform':
      // exp(log x) is not x: logUniform(1e-5, 1e-1) gave 9.999999999999999e-6 and 0.10000000000000006 at its ends
      return inBounds(p, c, Math.exp(Math.log(p.low) + c * (Math.log(p.high) - Math.log(p.low))));
  }
}

function build(node: Node, u: ArrayLike<number>, root: Config, target: Config, key: string): void {
  if (node.type === 'leaf') target[key] = valueAt(node.param, u[node.dim]);
  else if (node.type === 'object') {
    const obj: Config = key === '' ? target : (target[key] = {});
    for (const [k, child] of node.children) build(child, u, root, obj, k);
  } else {
    let active: boolean;
    try {
      active = node.predicate(root);
    } catch (e) {
      throw new SweepError(`search space: the predicate of when at "${node.path}" threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (active) build(node.inner, u, root, target, key);
  }
}

/**
 * Validates a search space and lays it out on the unit cube.
 * @throws {@link SweepError} naming the parameter path: an empty choice, low ≥ high, a log
 * bound ≤ 0, a non-integer int, an unknown entry, or a space without parameters.
 */
export function compileSpace(spec: SpaceSpec): CompiledSpace {
  if (typeof spec !== 'object' || spec === null || isParam(spec)) throw new SweepError('search space: must be an object of parameters, e.g. { lr: logUniform(1e-4, 1e-1) }');
  const paths: string[] = [];
  const root = compileNode(spec, '', paths);
  if (paths.length === 0) throw new SweepError('search space: has no parameters; add at least one (choice, uniform, logUniform or int)');
  const leaves: Array<Extract<Node, { type: 'leaf' }>> = [];
  const collect = (n: Node): void => {
    if (n.type === 'leaf') leaves.push(n);
    else if (n.type === 'object') n.children.forEach(([, c]) => collect(c));
    else collect(n.inner);
  };
  collect(root);
  return {
    dims: paths.length,
    paths,
    fromUnits(u) {
      const config: Config = {};
      build(root, u, config, config, '');
      return config;
    },
    gridUnits: (points) =>
      leaves.map(({ param: p }) => {
        if (p.kind === 'choice' || p.kind === 'int') {
          const n = p.kind === 'choice' ? p.values.length : intCount(p);
          return Array.from({ length: n }, (_, i) => (i + 0.5) / n);
        }
        if (points === undefined) return null;
        return points === 1 ? [0.5] : Array.from({ length: points }, (_, i) => i / (points - 1));
      }),
  };
}
