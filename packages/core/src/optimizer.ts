// The optimizer contract and `defineOptimizer`, gathered from their modules: the contract and
// its types (optimizer/contract), parameter groups and hyperparameters (optimizer/groups),
// per-parameter slots (optimizer/slots), resident WebAssembly memory (optimizer/resident) and
// the helper that assembles them (optimizer/define).
export { parameterRefs } from './optimizer/contract';
export type {
  GroupSpec,
  Hyperparams,
  Optimizer,
  OptimizerOptions,
  OptimizerSpec,
  OptimizerState,
  ParamGroup,
  ParamRef,
  ParamSelector,
  SlotNames,
  UpdateArgs,
} from './optimizer/contract';
export { isParamSelector, matches } from './optimizer/groups';
export { defineOptimizer } from './optimizer/define';
