import { BatchNorm2d, Conv2d, Flatten, Linear, type Module, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { TransferError, loadPretrained } from './index';

const values = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

/** conv + BatchNorm backbone and a linear head, on 1×4×4 images. */
function net(seed: number): Sequential {
  const rng = new Rng(seed).stream('init');
  return new Sequential({ conv1: new Conv2d(1, 2, 3, { padding: 1, rng }), bn1: new BatchNorm2d(2), flatten: new Flatten(), fc: new Linear(32, 3, { rng }) });
}

describe('loadPretrained: what a source may lack or hold', () => {
  test('a state dict without BatchNorm’s num_batches_tracked (an older PyTorch export) loads under strict, as Module.loadStateDict and torch do; the counter keeps its value', () => {
    const source = net(1);
    source.stateDict()['bn1.running_mean'].data.set([0.5, -0.5]);
    const state = Object.fromEntries(Object.entries(source.stateDict()).filter(([k]) => k !== 'bn1.num_batches_tracked'));
    const target = net(2);
    target.stateDict()['bn1.num_batches_tracked'].data[0] = 7;
    const report = loadPretrained(target, state);
    expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
    expect(report.loaded).not.toContain('bn1.num_batches_tracked');
    expect(values(target)['bn1.running_mean']).toEqual([0.5, -0.5]);
    expect(values(target)['bn1.num_batches_tracked']).toEqual([7]);
    // any other missing key is still an error
    const partial = Object.fromEntries(Object.entries(state).filter(([k]) => k !== 'bn1.running_var'));
    expect(() => loadPretrained(net(2), partial)).toThrow('missing from the pretrained weights: bn1.running_var;');
  });

  test('a value that is not a Tensor is refused naming its key, before anything loads', () => {
    const target = net(2);
    const before = values(target);
    const state = { ...net(1).stateDict(), 'fc.bias': [1, 2, 3] } as unknown as Record<string, Tensor>;
    expect(() => loadPretrained(target, state)).toThrow(new TransferError('loadPretrained: source key "fc.bias" is not a Tensor (got Array); pass a state dict of tensors, a decoded checkpoint or a safetensors file’s bytes'));
    expect(() => loadPretrained(target, null as never)).toThrow('loadPretrained: source must be a safetensors file’s bytes, a decoded checkpoint or a state dict, got null');
    expect(values(target)).toEqual(before);
  });

  test('a module passed as the source is refused with the fix (its stateDict())', () => {
    expect(() => loadPretrained(net(2), net(1) as never)).toThrow(new TransferError('loadPretrained: the source is a Sequential (a module); pass its weights: loadPretrained(model, pretrained.stateDict())'));
  });

  test('non-finite pretrained values are refused naming the keys, whatever strict says, and nothing is loaded', () => {
    const target = net(2);
    const before = values(target);
    const state = { ...net(1).stateDict() };
    const w = state['conv1.weight'].data.slice();
    w[4] = NaN;
    const rv = state['bn1.running_var'].data.slice();
    rv[1] = Infinity;
    Object.assign(state, { 'conv1.weight': new Tensor(w, [2, 1, 3, 3]), 'bn1.running_var': new Tensor(rv, [2]) });
    const message = 'loadPretrained: the pretrained weights hold non-finite values — conv1.weight (NaN at index 4), bn1.running_var (Infinity at index 1); the checkpoint is damaged or was saved after training diverged';
    expect(() => loadPretrained(target, state)).toThrow(new TransferError(message));
    expect(() => loadPretrained(target, state, { strict: false })).toThrow(new TransferError(message));
    expect(values(target)).toEqual(before);
    // excluded keys are not loaded, so their values do not matter
    state['fc.weight'] = new Tensor(new Float32Array(96).fill(NaN), [3, 32]);
    expect(() => loadPretrained(net(2), { ...net(1).stateDict(), 'fc.weight': state['fc.weight'] }, { exclude: /^fc\./ })).not.toThrow();
  });

  test('an exclude that is not a selector (a plain string) is refused before anything loads', () => {
    const target = net(2);
    const before = values(target);
    expect(() => loadPretrained(target, net(1).stateDict(), { exclude: 'fc' as never })).toThrow(new TransferError('loadPretrained: exclude must be a RegExp, a list of names or a predicate, got the string "fc"; e.g. { exclude: /^fc\\./ }'));
    expect(values(target)).toEqual(before);
  });

  test('an exclude written for the source’s names (before rename) also explains the model keys they would have filled', () => {
    const source = Object.fromEntries(Object.entries(net(1).stateDict()).map(([k, t]) => [`module.${k}`, t]));
    const target = net(2);
    const head = values(target)['fc.weight'];
    const report = loadPretrained(target, source, { rename: (k) => k.replace(/^module\./, ''), exclude: /^module\.fc\./ });
    expect([report.excluded, report.missing, report.unexpected]).toEqual([['module.fc.weight', 'module.fc.bias'], ['fc.weight', 'fc.bias'], []]);
    expect(values(target)['fc.weight']).toEqual(head);
  });
});

describe('loadPretrained: keys that differ by a prefix', () => {
  const prefixed = (prefix: string, state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [`${prefix}${k}`, t]));

  test('a state dict saved from DataParallel (keys under "module.") is refused under strict with the rename that strips the prefix, not a hint to exclude every layer', () => {
    const model = net(2);
    const before = values(model);
    const message = (() => { try { loadPretrained(model, prefixed('module.', net(1).stateDict())); } catch (e) { return (e as Error).message; } })();
    expect(message).toMatch(/; the pretrained keys carry a prefix the model's lack \("module\.", as saved from DataParallel\): pass \{ rename: \(k\) => k\.replace\(\/\^module\\\.\/, ''\) \}$/);
    expect(values(model)).toEqual(before);
    expect(loadPretrained(model, prefixed('module.', net(1).stateDict()), { rename: (k) => k.replace(/^module\./, '') }).loaded).toHaveLength(9);
  });

  test('a model that wraps the pretrained network one level down (keys under "backbone.") gets the rename that adds the prefix', () => {
    const wrapped = new Sequential({ backbone: net(2) });
    expect(() => loadPretrained(wrapped, net(1).stateDict())).toThrow(/the model's keys carry a prefix the pretrained ones lack \("backbone\."\): pass \{ rename: \(k\) => 'backbone\.' \+ k \}$/);
  });

  test('two source keys that rename maps onto one name are both named, and nothing loads', () => {
    const model = net(2);
    const before = values(model);
    const source = { ...net(1).stateDict(), ...prefixed('module.', { 'fc.bias': net(1).stateDict()['fc.bias'] }) };
    expect(() => loadPretrained(model, source, { rename: (k) => k.replace(/^module\./, '') })).toThrow('loadPretrained: source keys "fc.bias" and "module.fc.bias" both map to "fc.bias" (rename made them collide); nothing was loaded');
    expect(values(model)).toEqual(before);
  });
});
