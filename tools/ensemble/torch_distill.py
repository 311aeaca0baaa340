"""PyTorch counterpart of tools/ensemble/src/distillTable.ts, on the same setup and with the same metrics.

Usage:
  /usr/bin/python3 tools/ensemble/torch_distill.py --phase teacher --dir D [--members 5] [--epochs 1] [--limit N]
  /usr/bin/python3 tools/ensemble/torch_distill.py --phase target --combine C --teacher-temperature TAU (the target on the test images)
  /usr/bin/python3 tools/ensemble/torch_distill.py --phase student --dir D --seed S --temperature T --alpha A
      [--combine probs|logits] [--teacher-temperature TAU] [--epochs 1] [--limit N]
Teacher: the members of the ensemble table (reference CNN, Adam 1e-3, batch 64, seeds 0..members-1);
their combined outputs on the training images are saved in D (teacher.npz: log of the mean probabilities,
and mean of the log-probabilities), and the member and ensemble rows are printed. Student: a plain
reference CNN and a distilled one from the same seed, the distilled loss
(1 - a) * CE + a * T^2 * KL(softmax(t/(tau T)) || softmax(s/T)) (batch mean), with t the log of the ensemble's
mean probabilities (--combine probs, trainkit's Ensemble method 'probs') or the mean of its members'
log-probabilities (--combine logits, method 'logits'), as trainkit's distill() with teacherTemperature tau.
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

sys.path.insert(0, os.path.dirname(__file__))
from torch_common import average_probs, distilled_loss, log_softmax, mean_log_probs, metrics, mnist, train  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--phase', choices=['teacher', 'student', 'target'], required=True)
p.add_argument('--dir', required=True)
p.add_argument('--members', type=int, default=5)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--limit', type=int, default=None)
p.add_argument('--seed', type=int, default=100)
p.add_argument('--temperature', type=float, default=4.0)
p.add_argument('--alpha', type=float, default=0.9)
p.add_argument('--combine', choices=['probs', 'logits'], default='probs')
p.add_argument('--teacher-temperature', type=float, default=1.0)
args = p.parse_args()

torch.set_num_threads(1)
xtr, ytr, xte, yte = mnist(args.limit)


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def members():
    models = []
    for seed in range(args.members):
        model, s = timed(lambda: train(seed, xtr, ytr, args.epochs))
        models.append(model)
        print(f'# torch teacher member seed {seed}: {s:.1f} s', file=sys.stderr, flush=True)
    return models


def target():
    """The distillation target on the test images: the members (retrained, as in the teacher phase) combined by
    --combine, divided by --teacher-temperature."""
    test = [log_softmax(m, xte) for m in members()]
    t = (average_probs if args.combine == 'probs' else mean_log_probs)(test) / args.teacher_temperature
    metrics(torch.log_softmax(torch.from_numpy(t), 1).numpy(), yte, 'distillation target')


def teacher():
    models = members()
    test = [log_softmax(m, xte) for m in models]
    for seed, lp in enumerate(test):
        metrics(lp, yte, f'member {seed} (seed {seed})')
    ens = average_probs(test)
    metrics(ens, yte, f'ensemble of {args.members} (probs)')
    metrics(torch.log_softmax(torch.from_numpy(mean_log_probs(test)), 1).numpy(), yte, f'ensemble of {args.members} (logits)')
    _, one = timed(lambda: log_softmax(models[0], xte))
    _, all_ = timed(lambda: [log_softmax(m, xte) for m in models])
    print(json.dumps(dict(name='inference seconds (10,000 test images)', member=one, ensemble=all_)), flush=True)
    train_lp = [log_softmax(m, xtr) for m in models]
    os.makedirs(args.dir, exist_ok=True)
    np.savez(os.path.join(args.dir, 'teacher.npz'), probs=average_probs(train_lp).astype(np.float32), logits=mean_log_probs(train_lp).astype(np.float32))


def student():
    saved = np.load(os.path.join(args.dir, 'teacher.npz'))
    if args.combine not in saved:
        sys.exit(f'torch_distill: {args.dir}/teacher.npz has no {args.combine!r} targets; rerun --phase teacher')
    t = torch.from_numpy((saved[args.combine].astype(np.float64) / args.teacher_temperature).astype(np.float32))
    if len(t) != len(xtr):
        sys.exit(f'torch_distill: the saved teacher has {len(t)} training rows, the data {len(xtr)}; rerun --phase teacher with the same --limit')
    plain, s0 = timed(lambda: train(args.seed, xtr, ytr, args.epochs))
    dist, s1 = timed(lambda: train(args.seed, xtr, ytr, args.epochs, loss_of=distilled_loss(t, ytr, args.temperature, args.alpha)))
    print(f'# torch students seed {args.seed}: plain {s0:.1f} s, distilled {s1:.1f} s', file=sys.stderr, flush=True)
    metrics(log_softmax(plain, xte), yte, f'plain student (seed {args.seed})')
    metrics(log_softmax(dist, xte), yte, f'distilled student (seed {args.seed})')


{'teacher': teacher, 'student': student, 'target': target}[args.phase]()
