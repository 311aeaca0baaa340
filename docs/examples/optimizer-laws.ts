// The example optimizer against @trainkit/optim-testkit's laws, as plain fast-check checks.
// (Inside a vitest suite, `describeOptimizerLaws(name, make, config)` gives one test per law.)
import fc from 'fast-check';
import {
  assertLaw,
  isDeterministic,
  isPermutationEquivariant,
  stateRoundTrips,
  staysFinite,
  zeroGradientIsNoOp,
  type OptimizerFactory,
} from '@trainkit/optim-testkit';
import { signum } from './signum';

const numRuns = Number(process.env.NUM_RUNS ?? 100);

// #region laws
const make: OptimizerFactory = (options) => signum(options);
// explore the hyperparameters too, not only the defaults
const config = { options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2, 0.1), beta: fc.double({ min: 0, max: 0.99, noNaN: true }) }) };

assertLaw('same input, same output', isDeterministic(make, config), { numRuns });
assertLaw('finite input, finite output', staysFinite(make, config), { numRuns });
assertLaw('a zero gradient from a zero state moves nothing', zeroGradientIsNoOp(make, config), { numRuns });
assertLaw('save, restore, step = step', stateRoundTrips(make, config), { numRuns });
assertLaw('element-wise: permuting the coordinates permutes the update', isPermutationEquivariant(make, config), { numRuns });
// #endregion laws

console.log(`signum keeps the 5 laws (${numRuns} random cases each)`);
