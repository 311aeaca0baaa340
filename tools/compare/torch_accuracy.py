"""PyTorch on the reference setup, for comparison with trainkit's numbers in the same run.

Usage: /usr/bin/python3 tools/compare/torch_accuracy.py --model cnn --optimizer sgd --lr 0.01 --epochs 1 --seeds 0 1 2
Batch 64, shuffled each epoch, inputs = pixels/255, cross-entropy, one thread. Prints the
test accuracy of each seed and their mean.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from mnist_idx import load  # noqa: E402
from torch_cnn import mnist_cnn, mnist_mlp  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--model', default='cnn', choices=['cnn', 'mlp'])
p.add_argument('--optimizer', default='sgd', choices=['sgd', 'momentum', 'adam'])
p.add_argument('--lr', type=float, default=0.01)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
args = p.parse_args()

torch.set_num_threads(1)
xtr, ytr = load('train')
xte, yte = load('test')
xtr, ytr, xte, yte = map(torch.from_numpy, (xtr.copy(), ytr.copy(), xte.copy(), yte.copy()))
accs = []
for seed in args.seeds:
    torch.manual_seed(seed)
    model = mnist_cnn() if args.model == 'cnn' else mnist_mlp()
    if args.optimizer == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    elif args.optimizer == 'momentum':
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    accs.append(acc)
    print(f'seed {seed}: test accuracy {100 * acc:.2f}%  ({time.time() - t0:.1f} s)', flush=True)
print(f'mean over {len(accs)} seeds: {100 * np.mean(accs):.2f}% ± {100 * np.std(accs):.2f}')
