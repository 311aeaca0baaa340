import { getDefaultRng, Module, type Stochastic } from '@trainkit/nn';
import type { Rng, Tensor } from '@trainkit/tensor';
import { checkP, dropoutMask, dropoutOp } from './dropoutOp';

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode each unit is zeroed with
 * probability `p` and the survivors are scaled by 1/(1−p); in evaluation mode it is the
 * identity. Masks come from the Trainer's seeded RNG (stream `modules/<layer path>`), bound at
 * fit start, so runs are reproducible and resumable; outside a Trainer it draws from the
 * generator seeded by `manualSeed` unless you pass `rng`.
 *
 * @param p probability of zeroing a unit, in [0, 1] (default 0.5; 1 zeroes every unit, as in torch)
 * @see https://jmlr.org/papers/v15/srivastava14a.html
 * @example
 * const mlp = new Sequential(new Flatten(), new Linear(784, 512), new ReLU(), new Dropout(0.5), new Linear(512, 10));
 */
export class Dropout extends Module implements Stochastic {
  readonly p: number;
  private _rng: Rng | null;
  protected readonly perChannel: boolean = false;

  constructor(p = 0.5, options: { rng?: Rng } = {}) {
    super();
    checkP(this.constructor.name, p);
    this.p = p;
    this._rng = options.rng ?? null;
  }

  bindRng(rng: Rng): void {
    this._rng = rng;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    this._rng ??= getDefaultRng().stream('dropout');
    return dropoutOp(x, this.p, this._rng, this.perChannel);
  }

  /** Whether whole channels share one mask value (Dropout2d). */
  get channelwise(): boolean {
    return this.perChannel;
  }

  /**
   * The mask the next training-mode forward pass on an input of `shape` would draw (1/(1−p) or 0
   * per unit), drawn now from this layer's generator. For devices that run the layer themselves:
   * masks drawn here are those of a CPU run, and the generator's state is checkpointed as usual.
   */
  drawMask(shape: readonly number[]): Float32Array {
    this._rng ??= getDefaultRng().stream('dropout');
    return dropoutMask(shape, this.p, this._rng, this.perChannel);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Channel-wise dropout for convolutional features: zeroes whole channels of an [N, C, H, W]
 * input (the same mask value for every pixel of a channel), scaling survivors by 1/(1−p). A 3-D
 * input is read as [N, C, L], as torch 1.13's Dropout2d does; fewer dimensions are an error.
 */
export class Dropout2d extends Dropout {
  protected override readonly perChannel = true;
}
