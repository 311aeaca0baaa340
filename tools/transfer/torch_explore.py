"""Choosing the transfer recipe on the validation split, in PyTorch (fast enough to try many).

Usage: /usr/bin/python3 tools/transfer/torch_explore.py --seeds 0 1 2 --pretrained-dir DIR

Trains the frozen baseline (ii) and each candidate below on Fashion-MNIST images 0..99 of each
class and tests on images 100..1099 of each class (never the test images 6000..6999), with the
pretrained networks of torch_transfer.py. Appends one JSON line per (candidate, seed) to
results/val-search.jsonl and prints a summary per candidate: mean, and the smallest per-seed margin
over (ii) — the recipe must win on every seed, not on the mean.
"""
import argparse
import json
import os
import time
from types import SimpleNamespace

import torch

from torch_transfer import HERE, accuracy, load_fashion, pretrain, recipe

BASE = dict(unfreeze_at=10, backbone_lr=1e-4, head_lr=1e-3, cosine=False, translate=0, dropout=0.0, flip=False, weight_decay=0.0, epochs=30, keep_frozen=None, head_lr_after=None)
CANDIDATES = {
    'staged (iv), as before': {},
    'head lr 3e-3, then backbone 1e-4': dict(head_lr=3e-3),
    'conv1 stays frozen, conv2 1e-4 from epoch 10': dict(keep_frozen='conv1'),
    'head lr 3e-3, conv1 stays frozen, conv2 1e-4': dict(head_lr=3e-3, keep_frozen='conv1'),
    'head lr 3e-3, unfreeze at 5, backbone 3e-4, cosine': dict(head_lr=3e-3, unfreeze_at=5, backbone_lr=3e-4, cosine=True),
    'head lr 3e-3 alone (never unfrozen)': dict(head_lr=3e-3, unfreeze_at=30),
    'frozen for 40 epochs': dict(unfreeze_at=40, epochs=40),
    'frozen for 60 epochs': dict(unfreeze_at=60, epochs=60),
    'LP 30 then FT 10, all at 1e-4': dict(unfreeze_at=30, epochs=40, head_lr_after=1e-4),
    'LP 30 then FT 10, backbone 1e-4, head 1e-3': dict(unfreeze_at=30, epochs=40),
    'LP 30 then FT 30, all at 1e-4': dict(unfreeze_at=30, epochs=60, head_lr_after=1e-4),
    'LP 30 then FT 10, all at 3e-4': dict(unfreeze_at=30, epochs=40, backbone_lr=3e-4, head_lr_after=3e-4),
    'LP 30 then FT 10, all at 3e-5': dict(unfreeze_at=30, epochs=40, backbone_lr=3e-5, head_lr_after=3e-5),
    'LP 30 then FT 10 at 1e-4, conv1 stays frozen': dict(unfreeze_at=30, epochs=40, head_lr_after=1e-4, keep_frozen='conv1'),
    'LP 30 then FT 30, all at 1e-3': dict(unfreeze_at=30, epochs=60, backbone_lr=1e-3),
    'LP 30 then FT 30, all at 3e-4': dict(unfreeze_at=30, epochs=60, backbone_lr=3e-4, head_lr_after=3e-4),
    'LP 10 then FT 50, all at 3e-4': dict(unfreeze_at=10, epochs=60, backbone_lr=3e-4, head_lr_after=3e-4),
    'LP 30 then FT 30, backbone 3e-4, head 1e-3': dict(unfreeze_at=30, epochs=60, backbone_lr=3e-4),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--pretrained-dir', required=True)
    p.add_argument('--only', nargs='*', default=None, help='candidate names to run (default: all)')
    args = p.parse_args()
    torch.set_num_threads(1)
    x, y = load_fashion(0, 100)
    xv, yv = load_fashion(100, 1000)
    out = os.path.join(HERE, 'results', 'val-search.jsonl')
    names = args.only or list(CANDIDATES)
    acc = {}
    for seed in args.seeds:
        pre = pretrain(seed, args.pretrained_dir)
        acc[('frozen (ii)', seed)] = accuracy(recipe('frozen', seed, pre, x, y, SimpleNamespace(**BASE)), xv, yv)
        for name in names:
            t0 = time.time()
            a = accuracy(recipe('staged', seed, pre, x, y, SimpleNamespace(**{**BASE, **CANDIDATES[name]})), xv, yv)
            acc[(name, seed)] = a
            with open(out, 'a') as f:
                f.write(json.dumps({'framework': 'pytorch', 'split': 'val', 'candidate': name, 'options': {**BASE, **CANDIDATES[name]}, 'seed': seed, 'accuracy': a, 'frozen': acc[('frozen (ii)', seed)], 'seconds': round(time.time() - t0, 1)}) + '\n')
    for name in ['frozen (ii)'] + names:
        accs = [acc[(name, s)] for s in args.seeds]
        margin = min(acc[(name, s)] - acc[('frozen (ii)', s)] for s in args.seeds)
        print(f'{name:55s} mean {100 * sum(accs) / len(accs):.2f}  per seed {" ".join(f"{100 * a:.2f}" for a in accs)}  smallest margin over (ii) {100 * margin:+.2f}', flush=True)


if __name__ == '__main__':
    main()
