import type { GpuContext } from './context';
import { Dispatch } from './kernel';
import { accumulateStatsKernel } from './kernels/loss';
import * as L from './layers';
import type { LayerPlan } from './plan';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The parameter buffers of a session, by Parameter: values, and gradients for trainable ones. */
export type ParamBuffers = Map<object, { value: GPUBuffer; grad: GPUBuffer | null }>;

/**
 * The recorded dispatches of a model for one batch size N, on buffers allocated once: the forward
 * pass, the loss (softmax cross-entropy, its statistics summed into a totals buffer), and the
 * backward pass down to every parameter gradient. A step replays them; nothing is allocated.
 */
export class Program {
  readonly input: GPUBuffer;
  readonly labels: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly forward: Dispatch[] = [];
  readonly loss: Dispatch[] = [];
  readonly evalLoss: Dispatch[] = [];
  readonly backward: Dispatch[] = [];
  private readonly owned: GPUBuffer[] = [];

  constructor(
    private readonly ctx: GpuContext,
    readonly N: number,
    plan: readonly LayerPlan[],
    inputShape: readonly number[],
    params: ParamBuffers,
    totals: { train: GPUBuffer; eval: GPUBuffer },
  ) {
    const alloc = (floats: number, what: string) => {
      const b = ctx.acquire(floats * 4, `${what} (batch ${N})`);
      this.owned.push(b);
      return b;
    };
    this.input = alloc(N * prod(inputShape), 'input batch');
    this.labels = alloc(N, 'labels');
    // activations and their gradients: acts[i] feeds layer i; grads[i] is d loss / d acts[i] (none for the input)
    const acts = [this.input];
    const grads: Array<GPUBuffer | null> = [null];
    for (const [i, l] of plan.entries()) {
      const n = N * outSize(l);
      if (l.kind === 'flatten') {
        acts.push(acts[i]);
        grads.push(grads[i]);
      } else {
        acts.push(alloc(n, `output of ${l.path}`));
        grads.push(alloc(n, `gradient of ${l.path}`));
      }
    }
    this.logits = acts[plan.length];
    const C = outSize(plan[plan.length - 1]);
    const stats = alloc(2 * N, 'loss rows');
    const ce = L.crossEntropy(ctx, { x: this.logits, labels: this.labels, dx: grads[plan.length] as GPUBuffer, stats }, N, C);
    this.loss.push(...ce, new Dispatch(ctx, accumulateStatsKernel, [stats, totals.train], { N }, [1, 1, 1]));
    this.evalLoss.push(...L.crossEntropy(ctx, { x: this.logits, labels: this.labels, dx: grads[plan.length] as GPUBuffer, stats }, N, C));
    this.evalLoss.push(new Dispatch(ctx, accumulateStatsKernel, [stats, totals.eval], { N }, [1, 1, 1]));
    const backward: Dispatch[][] = [];
    for (const [i, l] of plan.entries()) {
      const [x, y, dx, dy] = [acts[i], acts[i + 1], i === 0 ? null : grads[i], grads[i + 1] as GPUBuffer];
      const pb = (p: object | null) => (p === null ? null : params.get(p)!);
      if (l.kind === 'linear') {
        const [w, b] = [pb(l.weight)!, pb(l.bias)];
        this.forward.push(...L.linearForward(ctx, { x, w: w.value, bias: b?.value ?? null, y }, N, l.IN, l.OUT));
        backward.push(L.linearBackward(ctx, { x, w: w.value, dy, dx, dw: w.grad, db: b?.grad ?? null }, N, l.IN, l.OUT));
      } else if (l.kind === 'conv') {
        const [C0, H, W] = l.inShape;
        const [OC, OH, OW] = l.outShape;
        const [KH, KW] = [l.weight.shape[2], l.weight.shape[3]];
        const two = (v: number | readonly [number, number]) => (typeof v === 'number' ? [v, v] : v);
        const [[strideH, strideW], [padH, padW], [dilationH, dilationW]] = [two(l.stride), two(l.padding), two(l.dilation)];
        const g: L.ConvGeometry = { N, C: C0, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW };
        const cols = alloc(L.colsSize(g), `im2col columns of ${l.path}`);
        const cm = alloc(N * OC * OH * OW, `channel-major output of ${l.path}`);
        const [w, b] = [pb(l.weight)!, pb(l.bias)];
        this.forward.push(...L.convForward(ctx, g, { x, w: w.value, bias: b?.value ?? null, cols, ycm: cm, y }));
        // the backward pass reuses cm for dy in [OC, N·OH·OW] and cols for dcols (after dW has read them)
        backward.push(L.convBackward(ctx, g, { dy, dycm: cm, cols, w: w.value, dw: w.grad, db: b?.grad ?? null, dcols: dx === null ? null : cols, dx }));
      } else if (l.kind === 'relu') {
        this.forward.push(...L.reluForward(ctx, { x, y }, N * prod(l.shape)));
        if (dx !== null) backward.push(L.reluBackward(ctx, { y, dy, dx }, N * prod(l.shape)));
      } else if (l.kind === 'act') {
        const n = N * prod(l.shape);
        this.forward.push(...L.activationForward(ctx, l.fn, l.slope, { x, y }, n));
        if (dx !== null) backward.push(L.activationBackward(ctx, l.fn, l.slope, { x, y, dy, dx }, n));
      } else if (l.kind === 'pool') {
        const [C0, H, W] = l.inShape;
        const g = { planes: N * C0, H, W, OH: l.outShape[1], OW: l.outShape[2] };
        const arg = alloc(N * prod(l.outShape), `max-pool winners of ${l.path}`);
        this.forward.push(...L.poolForward(ctx, g, { x, y, arg }));
        if (dx !== null) backward.push(L.poolBackward(ctx, g, { arg, dy, dx }));
      }
    }
    for (const b of backward.reverse()) this.backward.push(...b);
  }

  dispose(): void {
    for (const d of [...this.forward, ...this.loss, ...this.evalLoss, ...this.backward]) d.dispose();
    for (const b of this.owned) this.ctx.release(b);
  }
}

/** Values per sample of a layer's output. */
function outSize(l: LayerPlan): number {
  switch (l.kind) {
    case 'linear': return l.OUT;
    case 'conv': case 'pool': return prod(l.outShape);
    default: return prod(l.shape);
  }
}
