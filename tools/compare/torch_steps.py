"""Writes the fixture for trainkit's step-by-step equivalence test against PyTorch.

PyTorch initializes the reference CNN (seed 0), then takes STEPS plain-SGD steps (lr 0.1)
on the first STEPS*64 MNIST training images in order. The fixture holds the initial
weights, the loss of every step and the final weights; trainkit must reproduce them.

Run: /usr/bin/python3 tools/compare/torch_steps.py   (Debian's python3-torch)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from mnist_idx import load  # noqa: E402
from torch_cnn import mnist_cnn  # noqa: E402

STEPS = 12
BATCH = 64
LR = 0.1

torch.manual_seed(0)
torch.set_num_threads(1)
x, y = load('train')
model = mnist_cnn()
init = {k: v.detach().flatten().tolist() for k, v in model.state_dict().items()}
opt = torch.optim.SGD(model.parameters(), lr=LR)
losses = []
for s in range(STEPS):
    xb = torch.from_numpy(x[s * BATCH:(s + 1) * BATCH].copy())
    yb = torch.from_numpy(y[s * BATCH:(s + 1) * BATCH].copy())
    loss = torch.nn.functional.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
final = {k: v.detach().flatten().tolist() for k, v in model.state_dict().items()}
out = os.path.join(os.path.dirname(__file__), 'fixtures', 'torch-cnn-sgd-steps.json')
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'steps': STEPS, 'batch': BATCH, 'lr': LR, 'init': init, 'losses': losses, 'final': final}, f)
print('losses', [round(v, 5) for v in losses])
print('written', out)
