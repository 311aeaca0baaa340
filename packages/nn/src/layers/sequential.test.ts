import { Rng, ValueError, tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import type { Module } from '../module';
import { Linear } from './linear';
import { Sequential } from './sequential';
import { Identity, ReLU } from './simple';

describe('Sequential', () => {
  test('calls its children in order, feeding each output to the next', () => {
    const fc1 = new Linear(2, 2, { rng: new Rng(0) });
    fc1.weight.data.set([1, 0, 0, -1]);
    fc1.bias?.data.set([0, 0]);
    const seq = new Sequential(fc1, new ReLU());
    // [3, 4]·diag(1, −1) = [3, −4]; relu → [3, 0]
    expect(seq.call(tensor([[3, 4]])).toArray()).toEqual([3, 0]);
  });

  test('an empty Sequential returns its input', () => {
    const x = tensor([1, 2]);
    expect(new Sequential().call(x)).toBe(x);
    expect(new Sequential().length).toBe(0);
  });

  test('at() finds a child by position or by name; set() replaces it under the same name', () => {
    const head = new Linear(3, 2);
    const seq = new Sequential({ body: new Identity(), head });
    expect(seq.length).toBe(2);
    expect(seq.at(1)).toBe(head);
    expect(seq.at('head')).toBe(head);
    const newHead = new Linear(3, 5);
    seq.set('head', newHead);
    expect(seq.at(1)).toBe(newHead);
    expect(seq.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['head.weight', [5, 3]],
      ['head.bias', [5]],
    ]);
  });

  test('at() and set() with an unknown key throw a ValueError listing the children', () => {
    const seq = new Sequential({ a: new Identity(), b: new ReLU() });
    expect(() => seq.at('c')).toThrow(ValueError);
    expect(() => seq.at('c')).toThrow('Sequential.at: no child "c" (children: a, b)');
    expect(() => seq.at(5)).toThrow('no child 5');
    expect(() => seq.set(-1, new ReLU())).toThrow('Sequential.set: no child -1');
  });

  test('a child name that is empty or holds a "." is refused (its state-dict keys would be ambiguous, as PyTorch refuses)', () => {
    expect(() => new Sequential({ 'a.b': new ReLU() })).toThrow('Sequential: child name "a.b" must be non-empty and contain no "."');
    expect(() => new Sequential({ '': new ReLU() })).toThrow('Sequential: child name "" must be non-empty');
  });

  test('a record entry that is not a Module throws naming the child', () => {
    const bad = { ok: new ReLU(), oops: 3 } as unknown as Record<string, Module>;
    expect(() => new Sequential(bad)).toThrow('Sequential: child "oops" is not a Module');
  });
});
