"""PyTorch counterpart of tools/ensemble/src/table.ts, on the same setup and with the same metrics.

Usage: /usr/bin/python3 tools/ensemble/torch_ensemble.py --members 5 --epochs 1 [--limit N] [--cycles 5 --keep 3 --decay 0.999]
Reference CNN, Adam lr 1e-3, batch 64, shuffled each epoch, inputs = pixels/255, one thread.
Members use seeds 0..members-1 (torch.manual_seed). The ensemble averages the members' softmax
outputs. The snapshot ensemble is one run (seed 0) with cosine annealing with warm restarts
stepped per batch (the same closed form as trainkit's cosineWarmRestarts with `cycles` equal
cycles) and a snapshot at the end of each cycle; the last `keep` are averaged. EMA is one run
(seed 0) with avg <- d*avg + (1-d)*theta after each step, d = min(decay, (1+t)/(10+t)).
Prints one JSON object per row on stdout: name, accuracy, nll, brier, ece, disagreement.
"""
import argparse
import copy
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from torch_common import average_probs, metrics, mnist  # noqa: E402
from torch_common import log_softmax as common_log_softmax  # noqa: E402
from torch_common import train as common_train  # noqa: E402
from torch_cnn import mnist_cnn  # noqa: E402  (on the path torch_common adds)

p = argparse.ArgumentParser()
p.add_argument('--members', type=int, default=5)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--limit', type=int, default=None)
p.add_argument('--cycles', type=int, default=5)
p.add_argument('--keep', type=int, default=3)
p.add_argument('--decay', type=float, default=0.999)
args = p.parse_args()

torch.set_num_threads(1)
xtr, ytr, xte, yte = mnist(args.limit)


def train(seed, on_step=None, lr_at=None):
    return common_train(seed, xtr, ytr, args.epochs, on_step=on_step, lr_at=lr_at)


def log_softmax(model):
    return common_log_softmax(model, xte)


def cycle_of(t, t0):
    return int(math.floor(t / t0)), t - math.floor(t / t0) * t0


t_start = time.time()
labels = yte
member_logps = []
for seed in range(args.members):
    t0 = time.time()
    member_logps.append(log_softmax(train(seed)))
    print(f'# torch member seed {seed}: {time.time() - t0:.1f} s', file=sys.stderr, flush=True)
preds = [lp.argmax(1) for lp in member_logps]
ens = average_probs(member_logps)
ens_pred = ens.argmax(1)
for seed, lp in enumerate(member_logps):
    metrics(lp, labels, f'member {seed} (seed {seed})', float((preds[seed] != ens_pred).mean()))
pairs = [(preds[i] != preds[j]).mean() for i in range(len(preds)) for j in range(i + 1, len(preds))]
metrics(ens, labels, f'ensemble of {args.members} (probs)', float(np.mean(pairs)) if pairs else 0.0)

# snapshot ensemble: one run, `cycles` equal cosine cycles over all steps, snapshot at each cycle end
steps = args.epochs * math.ceil(len(xtr) / 64)
length = steps / args.cycles
snapshots = []


def snap(model, step):
    # the step just taken (step - 1) ends its cycle when the next one starts a new cycle
    eps = 1e-6
    if cycle_of(step + eps, length)[0] > cycle_of(step - 1 + eps, length)[0]:
        snapshots.append(copy.deepcopy(model))


def lr_at(t):
    _, pos = cycle_of(t, length)
    return 1e-3 * (1 + math.cos(math.pi * pos / length)) / 2


train(0, on_step=snap, lr_at=lr_at)
kept = snapshots[-args.keep:]
snap_logps = [log_softmax(m) for m in kept]
sp = [lp.argmax(1) for lp in snap_logps]
metrics(snap_logps[-1], labels, 'last snapshot (seed 0)')
spairs = [(sp[i] != sp[j]).mean() for i in range(len(sp)) for j in range(i + 1, len(sp))]
metrics(average_probs(snap_logps), labels, f'snapshot ensemble (last {len(kept)} of {len(snapshots)})', float(np.mean(spairs)) if spairs else 0.0)

# EMA of the parameters (no BatchNorm in this CNN, so nothing to recompute)
avg = None
updates = 0


def ema_step(model, step):
    # the average starts from the initial weights (as trainkit's) and follows every step
    global updates
    d = min(args.decay, (1 + updates) / (10 + updates))
    updates += 1
    with torch.no_grad():
        for pa, pm in zip(avg.parameters(), model.parameters()):
            pa.mul_(d).add_(pm, alpha=1 - d)


def train_ema():
    global avg
    torch.manual_seed(0)
    model = mnist_cnn()
    avg = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step = 0
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            ema_step(model, step)
    return avg


metrics(log_softmax(train_ema()), labels, 'EMA (seed 0)')
print(f'# torch total {time.time() - t_start:.1f} s', file=sys.stderr, flush=True)
