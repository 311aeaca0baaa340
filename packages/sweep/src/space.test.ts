import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type SpaceSpec, choice, compileSpace, gridSampler, int, logUniform, uniform, when } from './index';

const space = {
  optimizer: choice(['sgd', 'momentum', 'adam']),
  lr: logUniform(1e-4, 1e-1),
  momentum: when((c) => c.optimizer === 'momentum', uniform(0.5, 0.99)),
  net: { width: int(16, 64, 16), dropout: uniform(0, 0.5), adam: when((c) => c.optimizer === 'adam', { beta2: choice([0.99, 0.999]) }) },
} satisfies SpaceSpec;
const compiled = compileSpace(space);
const unit = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: compiled.dims, maxLength: compiled.dims });

describe('search spaces', () => {
  test('one dimension per parameter, conditional ones included, named by path', () => {
    expect(compiled.paths).toEqual(['optimizer', 'lr', 'momentum', 'net.width', 'net.dropout', 'net.adam.beta2']);
  });

  test.prop([unit])('every value of a configuration lies in its parameter’s range (log-uniform and int steps included)', (u) => {
    const c = compiled.fromUnits(u) as { optimizer: string; lr: number; momentum?: number; net: { width: number; dropout: number } };
    expect(['sgd', 'momentum', 'adam']).toContain(c.optimizer);
    expect(c.lr).toBeGreaterThanOrEqual(1e-4);
    expect(c.lr).toBeLessThanOrEqual(1e-1);
    expect([16, 32, 48, 64]).toContain(c.net.width);
    expect(c.net.dropout).toBeGreaterThanOrEqual(0);
    expect(c.net.dropout).toBeLessThanOrEqual(0.5);
  });

  test.prop([unit])('a conditional parameter is present exactly when its predicate holds', (u) => {
    const c = compiled.fromUnits(u) as { optimizer: string; momentum?: number; net: { adam?: { beta2: number } } };
    expect('momentum' in c).toBe(c.optimizer === 'momentum');
    expect('adam' in c.net).toBe(c.optimizer === 'adam');
    if (c.net.adam) expect([0.99, 0.999]).toContain(c.net.adam.beta2);
  });

  test('the unit coordinate maps log-uniformly: the middle of [1e-4, 1e-2] is 1e-3', () => {
    expect(compileSpace({ lr: logUniform(1e-4, 1e-2) }).fromUnits([0.5]).lr).toBeCloseTo(1e-3, 12);
  });

  test('the ends of the unit interval are exactly the bounds: a log-uniform or uniform value never rounds outside [low, high]', () => {
    // exp(log(1e-5)) is 9.999999999999999e-6, the top of logUniform(1e-5, 1e-1) 0.10000000000000006; 0.3 + (0.9 − 0.3) is 0.9000000000000001
    const s = compileSpace({ lr: logUniform(1e-5, 1e-1), wd: logUniform(1e-6, 1e-2), p: uniform(0.3, 0.9) });
    expect(s.fromUnits([0, 0, 0])).toEqual({ lr: 1e-5, wd: 1e-6, p: 0.3 });
    expect(s.fromUnits([1, 1, 1])).toEqual({ lr: 1e-1, wd: 1e-2, p: 0.9 });
    const grid = gridSampler({ points: 4 }).sample(compileSpace({ lr: logUniform(1e-5, 1e-1) }), undefined, 0).map((c) => c.lr as number);
    expect([grid[0], grid[3]]).toEqual([1e-5, 1e-1]);
    for (const lr of grid) expect(lr >= 1e-5 && lr <= 1e-1).toBe(true);
  });

  test('mistakes are errors that name the parameter path', () => {
    expect(() => compileSpace({ net: { act: choice([]) } })).toThrow('search space: choice at "net.act" needs at least one value');
    expect(() => compileSpace({ p: uniform(0.5, 0.5) })).toThrow('search space: uniform at "p": low must be below high, got low 0.5 >= high 0.5');
    expect(() => compileSpace({ opt: { lr: logUniform(0, 1) } })).toThrow(/logUniform at "opt\.lr": the log of a non-positive bound is undefined, got low 0/);
    expect(() => compileSpace({ layers: int(1, 4, 0.5) })).toThrow(/int at "layers": low, high and step must be integers/);
    expect(() => compileSpace({ lr: 0.1 } as unknown as SpaceSpec)).toThrow(/"lr" must be a parameter \(choice, uniform, logUniform, int, when\) or an object of them, got 0\.1/);
    expect(() => compileSpace({})).toThrow(/has no parameters/);
    expect(() => compileSpace({ m: when((c) => (c.x as { y: number }).y > 0, uniform(0, 1)) }).fromUnits([0.5])).toThrow(/the predicate of when at "m" threw/);
  });
});
