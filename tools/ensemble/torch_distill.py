"""PyTorch counterpart of tools/ensemble/src/distillTable.ts, on the same setup and with the same metrics.

Usage:
  /usr/bin/python3 tools/ensemble/torch_distill.py --phase teacher --dir D [--members 5] [--epochs 1] [--limit N]
  /usr/bin/python3 tools/ensemble/torch_distill.py --phase student --dir D --seed S --temperature T --alpha A [--epochs 1] [--limit N]
Teacher: the members of the ensemble table (reference CNN, Adam 1e-3, batch 64, seeds 0..members-1);
their averaged probabilities on the training and test images are saved in D (teacher.npz), and the
member and ensemble rows are printed. Student: a plain reference CNN and a distilled one from the same
seed, the distilled loss (1 - a) * CE + a * T^2 * KL(softmax(t/T) || softmax(s/T)) (batch mean) with
t = log of the ensemble's mean probabilities, as trainkit's distill() with an Ensemble teacher.
Prints one JSON object per row on stdout (name, accuracy, nll, brier, ece) and, on a line
starting with `#`, times on stderr.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from torch_common import average_probs, log_softmax, metrics, mnist, train  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--phase', choices=['teacher', 'student', 'search'], required=True)
p.add_argument('--dir', required=True)
p.add_argument('--members', type=int, default=5)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--limit', type=int, default=None)
p.add_argument('--seed', type=int, default=100)
p.add_argument('--temperature', type=float, default=4.0)
p.add_argument('--alpha', type=float, default=0.9)
args = p.parse_args()

torch.set_num_threads(1)
xtr, ytr, xte, yte = mnist(args.limit)


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def teacher():
    models = []
    for seed in range(args.members):
        model, s = timed(lambda: train(seed, xtr, ytr, args.epochs))
        models.append(model)
        print(f'# torch teacher member seed {seed}: {s:.1f} s', file=sys.stderr, flush=True)
    test = [log_softmax(m, xte) for m in models]
    for seed, lp in enumerate(test):
        metrics(lp, yte, f'member {seed} (seed {seed})')
    ens = average_probs(test)
    metrics(ens, yte, f'ensemble of {args.members} (probs)')
    _, one = timed(lambda: log_softmax(models[0], xte))
    _, all_ = timed(lambda: [log_softmax(m, xte) for m in models])
    print(json.dumps(dict(name='inference seconds (10,000 test images)', member=one, ensemble=all_)), flush=True)
    train_lp = average_probs([log_softmax(m, xtr) for m in models])
    os.makedirs(args.dir, exist_ok=True)
    np.savez(os.path.join(args.dir, 'teacher.npz'), train=train_lp.astype(np.float32))


def distilled_loss(t, y, T, a):
    """(1 - a) * CE + a * T^2 * KL(softmax(t/T) || softmax(s/T)) for the rows idx of the teacher logits t."""
    def loss(out, idx):
        kd = F.kl_div(F.log_softmax(out / T, 1), F.softmax(t[idx] / T, 1), reduction='batchmean') * T * T
        return (1 - a) * F.cross_entropy(out, y[idx]) + a * kd
    return loss


def search():
    """T and alpha chosen on a validation split: teacher and students train on training images 0..49,999
    and are scored on 50,000..59,999 (never the test set); one student seed, printed per (T, alpha)."""
    xa, ya, xv, yv = xtr[:50000], ytr[:50000], xtr[50000:], ytr[50000:].numpy()
    models = [train(seed, xa, ya, args.epochs) for seed in range(args.members)]
    t = torch.from_numpy(average_probs([log_softmax(m, xa) for m in models]).astype(np.float32))
    metrics(average_probs([log_softmax(m, xv) for m in models]), yv, 'validation: teacher')
    metrics(log_softmax(train(args.seed, xa, ya, args.epochs), xv), yv, 'validation: plain student')
    for T in (1.0, 2.0, 4.0):
        for a in (0.5, 0.9):
            metrics(log_softmax(train(args.seed, xa, ya, args.epochs, loss_of=distilled_loss(t, ya, T, a)), xv), yv, f'validation: distilled T={T:g} alpha={a:g}')


def student():
    t = torch.from_numpy(np.load(os.path.join(args.dir, 'teacher.npz'))['train'])
    if len(t) != len(xtr):
        sys.exit(f'torch_distill: the saved teacher has {len(t)} training rows, the data {len(xtr)}; rerun --phase teacher with the same --limit')
    plain, s0 = timed(lambda: train(args.seed, xtr, ytr, args.epochs))
    dist, s1 = timed(lambda: train(args.seed, xtr, ytr, args.epochs, loss_of=distilled_loss(t, ytr, args.temperature, args.alpha)))
    print(f'# torch students seed {args.seed}: plain {s0:.1f} s, distilled {s1:.1f} s', file=sys.stderr, flush=True)
    metrics(log_softmax(plain, xte), yte, f'plain student (seed {args.seed})')
    metrics(log_softmax(dist, xte), yte, f'distilled student (seed {args.seed})')


{'teacher': teacher, 'student': student, 'search': search}[args.phase]()
