import { Parameter } from '@trainkit/nn';
import { type Tensor, formatShape } from '@trainkit/tensor';
import { type GraphBuilder, OnnxExportError } from './graph';
import { type CallRecord, type Trace, describeOwner, ownerOf } from './trace';

/** What a mapper sees: the graph being written and the traced values it reads. */
export interface EmitContext {
  readonly graph: GraphBuilder;
  readonly trace: Trace;
  /** The batch dimension (axis 0 of the input) is a named, run-time size. */
  readonly dynamicBatch: boolean;
  /** The ONNX name of a traced value, writing the nodes that compute it first. */
  value(t: Tensor): string;
}

/** Writes a module call as ONNX nodes; `x` names its input; returns the name of its output. */
export type LayerMapper = (ctx: EmitContext, call: CallRecord, x: string, out: string) => string;

/**
 * Writes the op that produced `t` (its inputs are `t._parents`); `out` is the name to give its
 * output and `where` describes the layer it ran in, for errors. Returns the output's name.
 */
export type OpMapper = (ctx: EmitContext, t: Tensor, out: string, where: string) => string;

/**
 * Walks the autograd graph back from the output and writes each value once: the traced input
 * becomes the graph input, values that do not depend on it become initializers (parameters
 * and buffers under their state-dict names, anything computed from them folded to its value),
 * a call of a layer with a {@link LayerMapper} becomes that layer's nodes, and every other value
 * is written by the {@link OpMapper} of the op that produced it.
 */
export class Emitter implements EmitContext {
  private readonly names = new Map<Tensor, string>();
  private readonly dependent = new Map<Tensor, boolean>();
  /** Module calls written by their layer's mapper, by output. */
  private readonly layerCalls = new Map<Tensor, { call: CallRecord; mapper: LayerMapper }>();
  /** The innermost module path that returned each value, for readable value names. */
  private readonly paths = new Map<Tensor, string>();

  constructor(
    readonly graph: GraphBuilder,
    readonly trace: Trace,
    readonly dynamicBatch: boolean,
    inputName: string,
    private readonly layers: (m: CallRecord['module']) => LayerMapper | undefined,
    private readonly ops: Readonly<Record<string, OpMapper>>,
    private readonly unsupported: (op: string, where: string) => OnnxExportError,
  ) {
    this.names.set(trace.input, inputName);
    for (const call of trace.calls) {
      if (!this.paths.has(call.output) && call.path !== '') this.paths.set(call.output, call.path);
      const mapper = call.hooked || call.output === call.input ? undefined : this.layers(call.module);
      if (mapper !== undefined && !this.layerCalls.has(call.output)) this.layerCalls.set(call.output, { call, mapper });
    }
  }

  value(t: Tensor): string {
    let name = this.names.get(t);
    if (name === undefined) {
      name = this.write(t);
      this.names.set(t, name);
    }
    return name;
  }

  /** True when `t` is computed from the traced input. */
  dependsOnInput(t: Tensor): boolean {
    let d = this.dependent.get(t);
    if (d === undefined) {
      // a layer that reads its input as data (Embedding's indices) leaves no autograd edge to it
      const layer = this.layerCalls.get(t);
      d = t === this.trace.input || t._parents.some((p) => this.dependsOnInput(p)) || (layer !== undefined && this.dependsOnInput(layer.call.input));
      this.dependent.set(t, d);
    }
    return d;
  }

  /**
   * Looked-up rows depend on their ids through no autograd edge: only the layer mapper ties them to
   * the input. Ids from the input without a mapper (a hooked layer, a subclass) or from the
   * embedding() function would be frozen into a constant of the example; this names the lookup.
   */
  unmappedLookup(): Tensor | undefined {
    return this.trace.calls.find((c) => c.output.op === 'embedding' && !this.layerCalls.has(c.output) && this.dependsOnInput(c.input))?.output;
  }

  frozenLookup(t: Tensor): OnnxExportError {
    return new OnnxExportError(
      `exportOnnx: ${describeOwner(this.trace, t)} looks up rows of an embedding without a plain Embedding layer to tie them to the input ` +
        '(a forward hook on the layer, a subclass of it, or the embedding() function): remove the hook or call an Embedding layer with .call(ids)',
    );
  }

  /**
   * A layer with a mapper that was traced op by op because it has forward hooks of its own (a
   * hook may change its output): the reason its op has no mapping, rather than the op itself.
   */
  private hookedLayer(t: Tensor): OnnxExportError | undefined {
    const owner = ownerOf(this.trace, t);
    if (owner === undefined || !owner.hooked || this.layers(owner.module) === undefined) return undefined;
    return new OnnxExportError(
      `exportOnnx: ${describeOwner(this.trace, t)} has forward hooks of its own, so the export cannot write it from the layer: ` +
        `remove its hooks before exporting (its op "${t.op}" has no ONNX mapping as a bare op)`,
    );
  }

  /**
   * A value computed without the input whose shape still follows the batch size (zeros([x.shape[0], …]))
   * would be frozen at the example's batch size, so the file would fail on any other: refused, naming where.
   */
  private checkBatchFree(t: Tensor): void {
    const next = this.dynamicBatch ? this.trace.nextBatch?.get(t) : undefined;
    if (next === undefined || next.every((d, i) => d === t.shape[i])) return;
    throw new OnnxExportError(
      `exportOnnx: ${describeOwner(this.trace, t)} computes a value of shape ${formatShape(t.shape)} from the batch size but not from the input's values ` +
        `(e.g. zeros([x.shape[0], …])); it would be frozen at the example's batch size: build it from the input (e.g. mul(x, 0)), or export with { dynamicBatch: false }`,
    );
  }

  private write(t: Tensor): string {
    if (!this.dependsOnInput(t)) {
      if (t.op === 'embedding') {
        const call = this.trace.calls.find((c) => c.output === t);
        if (call === undefined || this.dependsOnInput(call.input)) throw this.frozenLookup(t);
      }
      const stateName = this.trace.names.get(t);
      if (stateName !== undefined) checkFinite(t, stateName);
      this.checkBatchFree(t);
      return this.graph.floats(stateName ?? `${this.paths.get(t) ?? t.op}.const`, t.data, t.shape);
    }
    const layer = this.layerCalls.get(t);
    if (layer !== undefined) {
      const { call, mapper } = layer;
      return mapper(this, call, this.value(call.input), call.path === '' ? call.module.constructor.name : call.path);
    }
    const where = `op "${t.op}" in ${describeOwner(this.trace, t)}`;
    const op = Object.hasOwn(this.ops, t.op) ? this.ops[t.op] : undefined;
    if (op === undefined) throw this.hookedLayer(t) ?? this.unsupported(t.op, where);
    return op(this, t, this.paths.get(t) ?? t.op, where);
  }
}

/**
 * Refuses a parameter holding NaN or ±Infinity, or a buffer holding NaN (a diverged run): the
 * file would compute NaN. Buffers may hold ±Infinity on purpose (an additive mask).
 */
function checkFinite(t: Tensor, name: string): void {
  const parameter = t instanceof Parameter;
  const bad = t.data.findIndex((v) => (parameter ? !Number.isFinite(v) : Number.isNaN(v)));
  if (bad === -1) return;
  throw new OnnxExportError(
    `exportOnnx: ${parameter ? 'parameter' : 'buffer'} "${name}" holds ${t.data[bad]} (element ${bad} of ${t.size}); ` +
      'the exported file would compute non-finite outputs: export a model whose weights are finite (e.g. from an earlier checkpoint)',
  );
}
