// ReLU6 moved to @trainkit/nn (beside Hardtanh, which it is on [0, 6]); re-exported here so
// `import { ReLU6 } from '@trainkit/models'` keeps working.
export { ReLU6 } from '@trainkit/nn';
