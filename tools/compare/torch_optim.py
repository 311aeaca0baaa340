"""Writes the fixture for the optimizer equivalence tests against torch.optim.

One fixed gradient sequence (STEPS steps on SIZE parameters, with exact zeros, tiny 1e-8 and
large 1e3 values) is fed to each torch.optim optimizer and option set below; the fixture holds
the initial parameters, the gradients and the parameters after every step, all float32.
tools/compare/src/torchOptim.test.ts replays the same gradients through trainkit's optimizers.

Run: /usr/bin/python3 tools/compare/torch_optim.py   (Debian's python3-torch)
"""
import json
import os

import numpy as np
import torch

STEPS = 30
SIZE = 64

# (id, torch.optim class, keyword arguments). foreach=False pins the single-tensor CPU path.
CASES = [
    ('sgd', 'SGD', dict(lr=0.05)),
    ('sgd-weight-decay', 'SGD', dict(lr=0.05, weight_decay=0.01)),
    ('momentum', 'SGD', dict(lr=0.01, momentum=0.9)),
    ('nesterov', 'SGD', dict(lr=0.01, momentum=0.9, nesterov=True)),
    ('dampening', 'SGD', dict(lr=0.01, momentum=0.9, dampening=0.5)),
    ('momentum-weight-decay', 'SGD', dict(lr=0.01, momentum=0.9, weight_decay=0.01)),
    ('adam', 'Adam', dict(lr=1e-3)),
    ('adam-betas-eps', 'Adam', dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ('adam-weight-decay', 'Adam', dict(lr=1e-3, weight_decay=0.01)),
    ('amsgrad', 'Adam', dict(lr=1e-2, amsgrad=True)),
    ('adamw', 'AdamW', dict(lr=1e-2, weight_decay=0.1)),
    ('rmsprop', 'RMSprop', dict(lr=1e-2)),
    ('rmsprop-centered-momentum', 'RMSprop', dict(lr=1e-3, momentum=0.9, centered=True)),
    ('adagrad', 'Adagrad', dict(lr=0.1)),
    ('adagrad-decay-accumulator', 'Adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
]


def gradient_sequence(rng):
    """Normal gradients, with fixed coordinates that are always 0, tiny or large, and random
    exact zeros, tiny (1e-8) and large (1e3) values sprinkled over the rest."""
    g = rng.standard_normal((STEPS, SIZE))
    g[:, 0:4] = 0.0  # never a gradient
    g[:, 4:8] = 1e-8 * np.sign(g[:, 4:8])  # always tiny
    g[:, 8:12] = 1e3 * np.sign(g[:, 8:12])  # always large
    kind = rng.random((STEPS, SIZE))
    rest = np.zeros((STEPS, SIZE), dtype=bool)
    rest[:, 12:] = True
    g[rest & (kind < 0.10)] = 0.0
    g[rest & (kind >= 0.10) & (kind < 0.15)] *= 1e-8
    g[rest & (kind >= 0.15) & (kind < 0.20)] *= 1e3
    return g.astype(np.float32)


def initial_params(rng):
    p = rng.standard_normal(SIZE)
    p[0:2] = 0.0  # zero and never touched by a gradient: only weight decay (none) could move it
    p[12:16] *= 100.0
    return p.astype(np.float32)


def fmt(x):
    """The shortest decimal that reads back as the same float32."""
    v = np.float32(x)
    if v == 0:
        return '-0' if np.signbit(v) else '0'
    if 1e-4 <= abs(v) < 1e7:
        return np.format_float_positional(v, unique=True, trim='-')
    return np.format_float_scientific(v, unique=True, trim='-')


def arr(a):
    return '[' + ','.join(fmt(x) for x in np.asarray(a, dtype=np.float32).ravel()) + ']'


def run(name, kwargs, params0, grads):
    p = torch.tensor(params0, dtype=torch.float32, requires_grad=True)
    opt = getattr(torch.optim, name)([p], foreach=False, **kwargs)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(20230213)
    params0 = initial_params(rng)
    grads = gradient_sequence(rng)
    lines = [
        '{',
        f'  "torch": {json.dumps(torch.__version__)},',
        '  "generatedBy": "tools/compare/torch_optim.py",',
        f'  "steps": {STEPS},',
        f'  "size": {SIZE},',
        f'  "params0": {arr(params0)},',
        '  "grads": [',
        ',\n'.join(f'    {arr(g)}' for g in grads),
        '  ],',
        '  "cases": [',
    ]
    cases = []
    for case_id, name, kwargs in CASES:
        steps = run(name, kwargs, params0, grads)
        options = {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
        cases.append('\n'.join([
            '    {',
            f'      "id": {json.dumps(case_id)},',
            f'      "torch": "torch.optim.{name}",',
            f'      "options": {json.dumps(options)},',
            '      "trajectory": [',
            ',\n'.join(f'        {arr(s)}' for s in steps),
            '      ]',
            '    }',
        ]))
        print(f'{case_id:28s} torch.optim.{name}({", ".join(f"{k}={v}" for k, v in kwargs.items())})  |p| max {np.abs(steps[-1]).max():.4g}')
    lines.append(',\n'.join(cases))
    lines += ['  ]', '}']
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'torch-optim-trajectories.json')
    with open(out, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'wrote {out}: {len(CASES)} cases × {STEPS} steps × {SIZE} parameters')


if __name__ == '__main__':
    main()
