import { Embedding, type Module } from '@trainkit/nn';
import { Tensor, formatShape, isGradEnabled } from '@trainkit/tensor';
import { OnnxExportError } from './graph';

/** One module call seen while tracing: which module, under which path, from what to what. */
export interface CallRecord {
  readonly module: Module;
  /** Dotted path in the model ("" for the model itself). */
  readonly path: string;
  readonly input: Tensor;
  readonly output: Tensor;
  /** The module had forward hooks of its own (its output may not be its forward's). */
  readonly hooked: boolean;
}

/** A recorded forward pass: the autograd graph from `input` to `output`, and the module calls on the way. */
export interface Trace {
  readonly input: Tensor;
  readonly output: Tensor;
  /** In completion order: a module's call comes after the calls of the modules inside it. */
  readonly calls: readonly CallRecord[];
  /** State-dict names of the model's parameters and buffers. */
  readonly names: ReadonlyMap<Tensor, string>;
  /** With a dynamic batch: each value's shape for a batch one larger (see batch.ts), when the model could be traced alike. */
  readonly nextBatch?: ReadonlyMap<Tensor, readonly number[]>;
}

/**
 * Runs `model` once in evaluation mode on a copy of `example` that requires gradients, so the
 * autograd graph records every op from the input to the output (not only those after the
 * first parameter). A forward hook on every module records its calls; hooks also turn off
 * Sequential's op fusion, so each layer's output is its own. The training flags and hooks are
 * restored afterwards.
 */
export function trace(model: Module, example: Tensor): Trace {
  if (!isGradEnabled()) {
    throw new OnnxExportError('exportOnnx: called inside noGrad(); tracing reads the autograd graph, so call it outside noGrad');
  }
  const modules = model.namedModules();
  const training = modules.map(([, m]) => m.training);
  const calls: CallRecord[] = [];
  const removers = modules.map(([path, m]) => {
    const hooked = m.hasForwardHooks;
    return m.registerForwardHook((module, input, output) => {
      calls.push({ module, path, input, output, hooked });
    });
  });
  const input = new Tensor(example.data.slice(), example.shape, { requiresGrad: true });
  // Embedding reads its input as indices (data, not a differentiable value): it sees a detached copy
  const embeddings = modules.map(([, m]) => m).filter((m) => m instanceof Embedding);
  for (const m of embeddings) {
    const forward = m.forward;
    m.forward = (x: Tensor) => forward.call(m, x.detach());
  }
  let output: Tensor;
  try {
    model.eval();
    output = model.call(input);
  } catch (e) {
    // the model's own message (a shape error, most often) says what; this says it was the example
    const message = e instanceof Error ? e.message : String(e);
    throw new OnnxExportError(`exportOnnx: the model's forward failed on exampleInput ${formatShape(example.shape)}: ${message}`, { cause: e });
  } finally {
    for (const remove of removers) remove();
    for (const m of embeddings) delete (m as Partial<Embedding>).forward;
    modules.forEach(([, m], i) => (m.training = training[i]));
  }
  const names = new Map<Tensor, string>();
  for (const [name, t] of Object.entries(model.stateDict())) if (!names.has(t)) names.set(t, name);
  return { input, output, calls, names };
}

/**
 * The innermost module call that computed `t` (for error messages): the first call, in
 * completion order, whose output is `t` or depends on `t` through values computed inside it.
 */
export function ownerOf(tr: Trace, t: Tensor): CallRecord | undefined {
  return tr.calls.find((c) => computedInside(c, t));
}

function computedInside(call: CallRecord, t: Tensor): boolean {
  const seen = new Set<Tensor>();
  const stack = [call.output];
  while (stack.length > 0) {
    const v = stack.pop() as Tensor;
    if (v === call.input || seen.has(v)) continue;
    if (v === t) return true;
    seen.add(v);
    stack.push(...v._parents);
  }
  return false;
}

/** Describes where `t` was computed: `layer "block1.conv" (Conv2d)`, or `the model's forward`. */
export function describeOwner(tr: Trace, t: Tensor): string {
  const owner = ownerOf(tr, t);
  if (owner === undefined || owner.path === '') return `the forward of ${owner?.module.constructor.name ?? 'the model'}`;
  return `layer "${owner.path}" (${owner.module.constructor.name})`;
}
