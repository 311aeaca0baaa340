// A deliberately broken example (for the runner's own test): the option name is wrong,
// as it would be after an API change that the docs missed. It must fail the runner.
import { sgd } from '@trainkit/core';

const optimizer = sgd({ learningRate: 0.1 } as never);
console.log(`created ${optimizer.name}`);
