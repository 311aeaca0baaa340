"""Writes the fixture for the learning-rate schedule tests against torch.optim.lr_scheduler.

Each case builds a torch scheduler on a one-parameter SGD and records the lr a user sees when
stepping it once per epoch: lrs[t] is param_groups[0]['lr'] after t calls of scheduler.step()
(t = 0 is the lr right after construction). That is torch's recursive form (get_lr multiplies
the current lr), not its closed form; the two differ in the last bits. ReduceLROnPlateau cases
record the lr after each step(metric). Floats are written with Python's repr, which JSON.parse
reads back to the same float64.

packages/core/src/schedules.test.ts replays every case through trainkit's schedules.

Run: /usr/bin/python3 tools/compare/torch_schedules.py   (Debian's python3-torch 1.13)
"""
import json
import os
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as sched

warnings.filterwarnings('ignore')  # the epoch-argument deprecation warning for closed-form cases


def optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def record(opt, scheduler, epochs, closed_form=False):
    lrs = [opt.param_groups[0]['lr']]
    for t in range(1, epochs):
        opt.step()
        if closed_form:
            scheduler.step(t)  # the deprecated epoch argument selects _get_closed_form_lr
        else:
            scheduler.step()
        lrs.append(opt.param_groups[0]['lr'])
    return lrs


def simple(cls, base_lr, epochs, **kwargs):
    opt = optimizer(base_lr)
    return record(opt, getattr(sched, cls)(opt, **kwargs), epochs)


def warmup_then(base_lr, epochs, warmup, start_factor, after_cls, **after_kwargs):
    """SequentialLR(LinearLR, after, milestones=[warmup]): what linearWarmup({ after }) models."""
    opt = optimizer(base_lr)
    first = sched.LinearLR(opt, start_factor=start_factor, total_iters=warmup)
    second = getattr(sched, after_cls)(opt, **after_kwargs)
    return record(opt, sched.SequentialLR(opt, [first, second], milestones=[warmup]), epochs)


def linear_closed_form(base_lr, epochs, **kwargs):
    """LinearLR's closed form: the only torch definition for start_factor=0, whose step() divides by 0."""
    opt = optimizer(base_lr)
    return record(opt, sched.LinearLR(opt, **kwargs), epochs, closed_form=True)


# (id, torch call shown in the fixture, base lr, epochs, lr sequence)
SCHEDULES = [
    ('step', 'StepLR(step_size=3, gamma=0.1)', 0.1, 20, lambda: simple('StepLR', 0.1, 20, step_size=3, gamma=0.1)),
    ('step-half', 'StepLR(step_size=1, gamma=0.7)', 0.3, 40, lambda: simple('StepLR', 0.3, 40, step_size=1, gamma=0.7)),
    ('multistep', 'MultiStepLR(milestones=[2, 5, 9], gamma=0.1)', 0.1, 15, lambda: simple('MultiStepLR', 0.1, 15, milestones=[2, 5, 9], gamma=0.1)),
    ('multistep-repeated', 'MultiStepLR(milestones=[7, 3, 7, 12], gamma=0.3)', 0.05, 20, lambda: simple('MultiStepLR', 0.05, 20, milestones=[7, 3, 7, 12], gamma=0.3)),
    ('exponential', 'ExponentialLR(gamma=0.9)', 0.1, 60, lambda: simple('ExponentialLR', 0.1, 60, gamma=0.9)),
    ('exponential-fast', 'ExponentialLR(gamma=0.37)', 1.3, 40, lambda: simple('ExponentialLR', 1.3, 40, gamma=0.37)),
    ('cosine', 'CosineAnnealingLR(T_max=10)', 0.1, 45, lambda: simple('CosineAnnealingLR', 0.1, 45, T_max=10)),
    ('cosine-eta-min', 'CosineAnnealingLR(T_max=7, eta_min=0.001)', 0.05, 40, lambda: simple('CosineAnnealingLR', 0.05, 40, T_max=7, eta_min=0.001)),
    ('cosine-t-max-1', 'CosineAnnealingLR(T_max=1, eta_min=0.01)', 0.1, 8, lambda: simple('CosineAnnealingLR', 0.1, 8, T_max=1, eta_min=0.01)),
    ('cosine-long', 'CosineAnnealingLR(T_max=250, eta_min=1e-5)', 0.02, 1100, lambda: simple('CosineAnnealingLR', 0.02, 1100, T_max=250, eta_min=1e-5)),
    ('warm-restarts', 'CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.01)', 0.1, 50, lambda: simple('CosineAnnealingWarmRestarts', 0.1, 50, T_0=3, T_mult=2, eta_min=0.01)),
    ('warm-restarts-fixed', 'CosineAnnealingWarmRestarts(T_0=5)', 0.2, 23, lambda: simple('CosineAnnealingWarmRestarts', 0.2, 23, T_0=5)),
    ('linear-warmup', 'LinearLR(start_factor=0.25, total_iters=4)', 0.1, 10, lambda: simple('LinearLR', 0.1, 10, start_factor=0.25, total_iters=4)),
    ('linear-warmup-third', 'LinearLR(start_factor=1/3, total_iters=7)', 0.3, 12, lambda: simple('LinearLR', 0.3, 12, start_factor=1 / 3, total_iters=7)),
    ('linear-warmup-from-0', 'LinearLR(start_factor=0, total_iters=5), closed form', 0.1, 9, lambda: linear_closed_form(0.1, 9, start_factor=0.0, total_iters=5)),
    ('warmup-exponential', 'SequentialLR([LinearLR(start_factor=0.1, total_iters=3), ExponentialLR(gamma=0.9)], milestones=[3])', 0.1, 15,
     lambda: warmup_then(0.1, 15, 3, 0.1, 'ExponentialLR', gamma=0.9)),
    ('warmup-cosine', 'SequentialLR([LinearLR(start_factor=0.5, total_iters=5), CosineAnnealingLR(T_max=10, eta_min=0.001)], milestones=[5])', 0.05, 30,
     lambda: warmup_then(0.05, 30, 5, 0.5, 'CosineAnnealingLR', T_max=10, eta_min=0.001)),
    ('one-cycle', 'OneCycleLR(max_lr=1, total_steps=101, cycle_momentum=False)', 0.0, 102,
     lambda: simple('OneCycleLR', 0.0, 102, max_lr=1.0, total_steps=101, cycle_momentum=False)),
    ('one-cycle-options', 'OneCycleLR(max_lr=0.01, total_steps=20, pct_start=0.25, div_factor=10, final_div_factor=100, cycle_momentum=False)', 0.0, 21,
     lambda: simple('OneCycleLR', 0.0, 21, max_lr=0.01, total_steps=20, pct_start=0.25, div_factor=10.0, final_div_factor=100.0, cycle_momentum=False)),
]


def metric_walk(seed, level, scale, epochs=60):
    """A noisy, slowly improving (falling) metric from `level` with flat stretches and setbacks, so
    plateaus occur and the threshold decides some epochs. Rounded to 4 decimals: exact ties happen too."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1.0, -0.5, -0.1, 0.0, 0.0, 0.4], size=epochs) * scale
    return [round(float(v), 4) for v in level + np.cumsum(steps)]


def plateau(base_lr, metrics, **kwargs):
    opt = optimizer(base_lr)
    scheduler = sched.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in metrics:
        opt.step()
        scheduler.step(m)
        lrs.append(opt.param_groups[0]['lr'])
    return lrs


def plateau_cases():
    cases = []
    # (name, start, step size, rel threshold, abs threshold); 'crossing' passes through 0. In
    # 'max' mode the walk rises instead (improving), from the start of the same sign.
    for sign, level, scale, rel, abs_ in (('positive', 10.0, 0.2, 0.01, 0.05), ('negative', -10.0, 0.2, 0.01, 0.05), ('crossing', 0.5, 0.08, 0.2, 0.02)):
        for mode in ('min', 'max'):
            for threshold_mode, threshold in (('rel', rel), ('abs', abs_)):
                start = -level if mode == 'max' and sign == 'crossing' else level
                metrics = metric_walk(len(cases), start, scale if mode == 'min' else -scale)
                options = dict(mode=mode, factor=0.5, patience=2, threshold=threshold, threshold_mode=threshold_mode)
                cases.append((f'{sign}-{mode}-{threshold_mode}', 0.1, metrics, options))
    # setbacks larger than the rel threshold's band around a negative best
    cases.append(('negative-min-rel-setbacks', 0.1, metric_walk(50, -10.0, 0.5), dict(factor=0.5, patience=1, threshold=0.01)))
    cases.append(('negative-max-rel-setbacks', 0.1, metric_walk(51, -10.0, -0.5), dict(mode='max', factor=0.5, patience=1, threshold=0.01)))
    flat = [1.0] * 30
    cases.append(('negative-flat', 0.1, [-1.0] * 30, dict(factor=0.5, patience=1)))
    cases.append(('cooldown', 0.1, metric_walk(99, 3.0, 0.05), dict(factor=0.3, patience=1, cooldown=3, threshold=0.02)))
    cases.append(('min-lr', 0.1, flat, dict(factor=0.1, patience=0, min_lr=0.0004)))
    cases.append(('eps-stops-tiny-cuts', 1e-7, flat, dict(factor=0.5, patience=1, eps=3e-8)))
    cases.append(('defaults', 0.1, metric_walk(7, 2.0, 0.01, epochs=80), dict()))
    return [dict(id=i, torch=f'ReduceLROnPlateau({", ".join(f"{k}={v!r}" for k, v in o.items())})', baseLr=lr, options=o, metrics=m,
                 lrs=plateau(lr, m, **o)) for i, lr, m, o in cases]


def main():
    fixture = dict(
        torch=torch.__version__,
        schedules=[dict(id=i, torch=call, baseLr=lr, lrs=make()) for i, call, lr, _epochs, make in SCHEDULES],
        plateau=plateau_cases(),
    )
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'schedules.json')
    with open(out, 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')
    print(f'wrote {out}: {len(fixture["schedules"])} schedules, {len(fixture["plateau"])} plateau cases (torch {torch.__version__})')


if __name__ == '__main__':
    main()
