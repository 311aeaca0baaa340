/**
 * The laws by property-factory name, each with the sentence that names its test. A failure
 * message quotes the sentence, so a report reads as the law that broke.
 */
export const LAW_TITLES = {
  isDeterministic: 'is deterministic: the same options, parameters and gradients give bit-identical steps and state',
  staysFinite: 'finite in, finite out: finite parameters and gradients never produce NaN or ±Infinity in parameters or state',
  stateRoundTrips: 'state save/restore (directly and through structuredClone) continues the bit-identical trajectory',
  isPermutationEquivariant: 'is permutation-equivariant: permuting the elements of parameters and gradients permutes the result',
  zeroGradientIsNoOp: 'a zero gradient from zero state leaves the parameters unchanged (weight decay off)',
  descendsOnConvexQuadratics: 'descends on random convex quadratics with a small learning rate',
  groupsAreIndependent: "parameter groups are independent: a group's hyperparameters affect only its parameters",
  rejectsNonFiniteGradients: 'a NaN or ±Infinity gradient throws an error naming the parameter and step, and changes nothing',
  leavesGradientsAlone: 'leaves the gradients alone: a step never writes into grad, and what the caller does to grad after a step changes no later step',
  followsHyperparameterChanges: 'a hyperparameter changed between steps (lr through the setter, as schedules do) acts exactly as in a fresh optimizer restored with that value',
  isLinearInLr: 'the first step from zero state is linear in lr: lr·c moves every parameter c times as far',
  weightDecayShrinksTowardZero: 'with a zero gradient, weight decay moves every parameter toward 0, never away and never across it (small lr)',
  momentumFollowsHeavyBall: "momentum's first two steps are torch's heavy ball: −lr·g₁, then −lr·(ρ·g₁ + (1 − dampening)·g₂)",
  momentumZeroEqualsSgd: 'momentum 0 equals plain SGD',
  momentumDecayIsCoupled: "momentum's weight decay is added to the gradient before the buffer: with a zero gradient the second step carries ρ·λ·p₀ from the first",
  nesterovFirstStepScalesSgd: "Nesterov's first step is (1 + momentum)× plain SGD's",
  adamFirstStepIsLrSign: "Adam's first step moves each coordinate by lr·sign(g) (up to eps)",
  adamIsGradientScaleInvariant: 'Adam is invariant to scaling the gradient by c > 0 (up to eps)',
  adamwZeroDecayEqualsAdam: 'AdamW with weightDecay 0 equals Adam',
  adamDecayIsCoupled: "Adam's weight decay is added to the gradient: with a zero gradient its first step is lr·sign(p) (up to eps)",
  adamwDecayIsDecoupled: "AdamW's weight decay is decoupled: with a zero gradient from zero state each step multiplies p by 1 − lr·weightDecay",
  isKernelIndependent: 'gives bit-identical steps and state on the JS loops, the WebAssembly kernels and resident WebAssembly memory',
} as const;

/** Property-factory name of a law, e.g. `'stateRoundTrips'`. */
export type LawName = keyof typeof LAW_TITLES;
