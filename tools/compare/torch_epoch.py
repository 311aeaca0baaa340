"""A plain PyTorch training loop over one MNIST epoch, timed: the reference for the bench's PyTorch column.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/compare/torch_epoch.py --model mlp [--limit 12800]
Written the way PyTorch users write it (shuffled epoch, batch 64, Adam, zero_grad(set_to_none=True)),
independently of tools/bench/src/runners/torch_bench.py, which `npm run bench -- --torch-check`
compares with it. Prints `EPOCH {json}` with samples/s by wall clock and by process CPU time.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from mnist_idx import load  # noqa: E402
from torch_cnn import mnist_cnn, mnist_mlp  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--model', default='mlp', choices=['cnn', 'mlp'])
p.add_argument('--limit', type=int, default=60_000, help='train on the first LIMIT images (default: the full epoch)')
args = p.parse_args()

torch.set_num_threads(1)
torch.manual_seed(0)
x, y = (torch.from_numpy(a.copy()) for a in load('train'))
x, y = x[:args.limit], y[:args.limit]
model = mnist_cnn() if args.model == 'cnn' else mnist_mlp()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

t0, c0 = time.perf_counter(), time.process_time()
perm = torch.randperm(len(x))
steps = 0
for i in range(0, len(x) - 63, 64):
    idx = perm[i:i + 64]
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x[idx]), y[idx]).backward()
    opt.step()
    steps += 1
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
samples = steps * 64
print('EPOCH ' + json.dumps({'model': args.model, 'samples': samples, 'seconds': wall,
                             'samplesPerSecond': samples / wall, 'cpuSamplesPerSecond': samples / cpu}), flush=True)
