"""PyTorch's per-op profile of one training step of the zoo's bench models (tools/bench/src/profileModels.ts).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
         /usr/bin/python3 tools/bench/src/runners/torch_profile_models.py --model resnet8|vit [--steps 5]

One thread, the models of tools/compare/torch_models.py with the options of spec.ts ZOO, a
batch of 64 random 1×28×28 inputs, cross-entropy, the bench rows' optimizers. After two warm-up
steps, torch.profiler records `--steps` steps, each split by record_function into forward,
backward and optimizer. Each profiled event's self CPU time goes to a group: in the forward pass
the outermost aten op around it (what the model called: aten::linear, aten::softmax, …), in
the backward pass the autograd node around it (`…: NativeLayerNormBackward0`). Prints
`PROFILE {json}`: milliseconds per step for every (phase, group), and the step's total.
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile, record_function

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'compare'))
from torch_models import build  # noqa: E402

# spec.ts ZOO and the bench rows' optimizers
MODELS = {
    'resnet8': (('resnet', {'depth': 8, 'inChannels': 1, 'numClasses': 10, 'width': 16}),
                lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    'vit': (('vitTiny', {'imageSize': 28, 'patchSize': 4, 'inChannels': 1, 'dim': 64, 'depth': 4, 'heads': 4, 'numClasses': 10}),
            lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.05)),
}
PHASES = ('forward', 'backward', 'optimizer')


def group_of(event):
    """(phase, group) of an event: the phase region it runs in and the op or autograd node directly under it."""
    chain = []
    e = event
    while e is not None:
        chain.append(e)
        e = e.cpu_parent
    for i, anc in enumerate(chain):
        if anc.name in PHASES:
            under = chain[i - 1] if i > 0 else anc
            name = under.name.split(': ')[-1]  # "autograd::engine::evaluate_function: MmBackward0" -> "MmBackward0"
            return anc.name, ('(optimizer)' if anc.name == 'optimizer' else name)
    return 'other', event.name


def profile_step(step, steps):
    """Times `steps` calls of `step` plain and under torch.profiler (after 2 warm-up calls);
    returns the plain and profiled ms per step and each (phase, op group)'s self CPU ms per step."""
    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    plain_ms = (time.perf_counter() - t0) * 1000 / steps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        profiled_ms = (time.perf_counter() - t0) * 1000 / steps
    ms = defaultdict(float)
    for e in prof.events():
        if e.name in PHASES:
            continue
        ms[group_of(e)] += e.self_cpu_time_total / 1000 / steps
    return plain_ms, profiled_ms, [{'phase': k[0], 'op': k[1], 'ms': v} for k, v in ms.items()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True, choices=sorted(MODELS))
    p.add_argument('--steps', type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    (builder, options), make_opt = MODELS[args.model]
    model = build(builder, options).train()
    opt = make_opt(model.parameters())
    x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))

    def step():
        with record_function('forward'):
            loss = F.cross_entropy(model(x), y)
        with record_function('backward'):
            loss.backward()
        with record_function('optimizer'):
            opt.step()
            opt.zero_grad(set_to_none=True)

    plain_ms, profiled_ms, groups = profile_step(step, args.steps)
    out = {'model': args.model, 'steps': args.steps, 'stepMs': plain_ms, 'profiledStepMs': profiled_ms,
           'torch': torch.__version__, 'groups': groups}
    print('PROFILE ' + json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
