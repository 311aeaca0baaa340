import { Module } from '@trainkit/nn';
import { type Tensor, noGrad, softmax } from '@trainkit/tensor';
import { type CombineMethod, type CombineOptions, checkMethod, combine, normalizeWeights } from './combine';
import { EnsembleError } from './errors';

/** Options of {@link Ensemble}: how to combine (default: average probabilities) and optional member weights. */
export type EnsembleOptions = CombineOptions;

/**
 * Several trained models used as one: its forward runs every member on the input and
 * {@link combine}s their outputs (by default the mean of their softmax probabilities, returned
 * as log-probabilities). An `Ensemble` is a {@link Module}, so it goes wherever a model goes
 * for inference: `trainer.evaluate(ensemble, test)` reports its accuracy and NLL,
 * `trainer.predict(ensemble, x)` returns its outputs. Its state dict holds every member's,
 * under `members.<i>.`.
 *
 * It is for inference: it starts in eval mode, and a forward in training mode is an error
 * (train the members, e.g. with `trainMembers`, then combine them).
 *
 * @see https://cs231n.github.io/neural-networks-3/#ensemble (CS231n: model ensembles)
 * @example
 * const ensemble = new Ensemble([model0, model1, model2]);               // average probabilities
 * const voted = new Ensemble(models, { method: 'vote', weights: [2, 1, 1] });
 * const { accuracy, loss } = await new Trainer().evaluate(ensemble, testLoader); // loss = ensemble NLL
 */
export class Ensemble extends Module {
  /** The members, in order. */
  readonly members: readonly Module[];
  /** How the outputs are combined. */
  readonly method: CombineMethod;
  /** Normalized member weights (sum to 1). */
  readonly weights: readonly number[];

  /**
   * @param members - at least one trained model; all must output [samples, classes] with the same classes
   * @param options - `method` (`'probs'` default, `'logits'`, `'vote'`) and `weights` (one per member, ≥ 0)
   * @throws EnsembleError when there are no members, a member is not a Module, or a weight is invalid
   */
  constructor(members: readonly Module[], options: EnsembleOptions = {}) {
    super();
    if (!Array.isArray(members) || members.length < 1) {
      throw new EnsembleError(`Ensemble: needs at least 1 member, got ${Array.isArray(members) ? members.length : typeof members}`);
    }
    const bad = members.findIndex((m) => !(m instanceof Module));
    if (bad >= 0) throw new EnsembleError(`Ensemble: member ${bad} is not a Module (got ${typeof members[bad]})`);
    this.members = [...members];
    this.method = checkMethod(options.method, 'Ensemble');
    this.weights = [...normalizeWeights(options.weights, members.length, 'Ensemble')];
    this.eval();
  }

  /** The members as children named `members.0`, `members.1`, … (PyTorch's ModuleList naming). */
  override namedChildren(): Array<[string, Module]> {
    return this.members.map((m, i) => [`members.${i}`, m]);
  }

  /** Every member's output for `x` (their logits), in eval mode as the ensemble is. */
  memberOutputs(x: Tensor): Tensor[] {
    if (this.training) {
      throw new EnsembleError('Ensemble: an ensemble is for inference; call ensemble.eval() (Trainer.evaluate/predict do) and train its members one by one');
    }
    return noGrad(() => this.members.map((m) => m.call(x)));
  }

  /** The combined output: log-probabilities for `'probs'` and `'vote'`, mean logits for `'logits'`. */
  forward(x: Tensor): Tensor {
    return combine(this.memberOutputs(x), { method: this.method, weights: [...this.weights] });
  }

  /** The ensemble's predicted distribution, softmax of {@link Ensemble.forward} ([samples, classes], rows sum to 1). */
  probabilities(x: Tensor): Tensor {
    return noGrad(() => softmax(this.call(x)));
  }

  protected override extraRepr(): string {
    return `${this.members.length} members, method=${this.method}`;
  }
}
