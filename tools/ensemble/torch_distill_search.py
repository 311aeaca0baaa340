"""Validation search for the distillation recipe (tools/ensemble/results/distill-search.jsonl).

Teacher and students train on MNIST training images 0..49,999 and are scored on 50,000..59,999;
the test set is never used here. A recipe is
  combine      'probs'  : teacher logits t = log of the members' mean probabilities (trainkit Ensemble method 'probs')
               'logits' : t = mean of the members' log-probabilities, the log of their normalised geometric
                          mean (= Ensemble method 'logits', mean of logits, up to a per-row constant)
  tau          teacher temperature: the target is softmax(t / (tau * T)); tau = 1, or the scalar that
               minimises the teacher's own NLL on the validation images ('fit')
  T, alpha     distillation temperature and weight, as in torch_distill.py.

Usage:
  /usr/bin/python3 tools/ensemble/torch_distill_search.py --phase teacher
      trains the 5 members (seeds 0-4) and keeps their log-probabilities in runs/distill/search/members.npz;
      appends the teacher rows (each combine, tau = 1 and fitted) to the results file
  /usr/bin/python3 tools/ensemble/torch_distill_search.py --phase students --seeds 100 --recipes probs:1:1:0.5,logits:fit:1:0.5
      appends one row per student (plain, then each recipe) to the results file, one at a time
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from torch_common import average_probs, distilled_loss, fit_temperature, log_softmax, mean_log_probs, metrics, mnist, train  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument('--phase', choices=['teacher', 'students'], required=True)
p.add_argument('--dir', default=os.path.join(here, '..', '..', 'runs', 'distill', 'search'))
p.add_argument('--results', default=os.path.join(here, 'results', 'distill-search.jsonl'))
p.add_argument('--members', type=int, default=5)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--seeds', default='100')
p.add_argument('--recipes', default='')
p.add_argument('--plain', type=int, default=1, help='also train the plain student of each seed')
args = p.parse_args()

torch.set_num_threads(1)
xtr, ytr, _, _ = mnist()
xa, ya, xv, yv = xtr[:50000], ytr[:50000], xtr[50000:], ytr[50000:].numpy()
COMBINE = {'probs': average_probs, 'logits': mean_log_probs}


def record(row, **fields):
    row = dict(fields, **row, framework='torch', split='train 0-49999 / validation 50000-59999', date=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    with open(args.results, 'a') as f:
        f.write(json.dumps(row) + '\n')
    print(json.dumps(row), flush=True)


def teacher():
    os.makedirs(args.dir, exist_ok=True)
    models = [train(seed, xa, ya, args.epochs) for seed in range(args.members)]
    tr = np.stack([log_softmax(m, xa) for m in models]).astype(np.float32)
    va = np.stack([log_softmax(m, xv) for m in models]).astype(np.float32)
    np.savez(os.path.join(args.dir, 'members.npz'), train=tr, val=va)
    for c, f in COMBINE.items():
        t = f(list(va.astype(np.float64)))
        tau = round(fit_temperature(t, yv), 3)
        for name, s in ((f'teacher {c} tau=1', 1.0), (f'teacher {c} tau={tau:.3f} (fitted)', tau)):
            record(metrics(torch.log_softmax(torch.from_numpy(t / s), 1).numpy(), yv, name, emit=False), kind='teacher', combine=c, tau=s)


def students():
    saved = np.load(os.path.join(args.dir, 'members.npz'))
    tr, va = list(saved['train'].astype(np.float64)), list(saved['val'].astype(np.float64))
    fitted = {c: fit_temperature(f(va), yv) for c, f in COMBINE.items()}
    print(f'# fitted teacher temperatures: {fitted}', file=sys.stderr, flush=True)
    targets = {c: f(tr) for c, f in COMBINE.items()}
    for seed in [int(s) for s in args.seeds.split(',')]:
        if args.plain:
            t0 = time.perf_counter()
            m = train(seed, xa, ya, args.epochs)
            record(metrics(log_softmax(m, xv), yv, 'plain student', emit=False), kind='plain', seed=seed, seconds=time.perf_counter() - t0)
        for spec in filter(None, args.recipes.split(',')):
            c, tau, T, a = spec.split(':')
            tau = round(fitted[c] if tau == 'fit' else float(tau), 3)  # as recorded, so trainkit can use the same number
            t = torch.from_numpy((targets[c] / tau).astype(np.float32))
            t0 = time.perf_counter()
            m = train(seed, xa, ya, args.epochs, loss_of=distilled_loss(t, ya, float(T), float(a)))
            name = f'distilled combine={c} tau={tau:.3f} T={float(T):g} alpha={float(a):g}'
            record(metrics(log_softmax(m, xv), yv, name, emit=False), kind='distilled', seed=seed, combine=c, tau=tau, temperature=float(T), alpha=float(a), seconds=time.perf_counter() - t0)


{'teacher': teacher, 'students': students}[args.phase]()
