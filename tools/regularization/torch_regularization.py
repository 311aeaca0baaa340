"""PyTorch side of the regularization study (same data, architecture, optimizer, epochs).

  /usr/bin/python3 tools/regularization/torch_regularization.py --experiment mlp-dropout --variant reg --seeds 0 1 2

mlp-dropout: MLP 784-512-512-10 on the first 5,000 MNIST training images, 20 epochs, Adam 1e-3,
batch 64; variant "reg" adds Dropout(0.5) after each hidden ReLU.
cnn-augment: the reference CNN on the first 2,000 images, 15 epochs, Adam 1e-3, batch 64;
variant "reg" adds a random integer translation of ±2 px (pad + crop, zero fill) and a random
rotation of ±10° (bilinear, zero fill) per image. Test: the 10,000 MNIST test images.
Prints one JSON line per seed: {"seed", "test", "train"} accuracies.
"""
import argparse
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'compare'))
from mnist_idx import load  # noqa: E402
from torch_cnn import mnist_cnn  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--experiment', required=True, choices=['mlp-dropout', 'cnn-augment'])
p.add_argument('--variant', required=True, choices=['base', 'reg'])
p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
args = p.parse_args()
torch.set_num_threads(1)


def mlp(dropout):
    layers = OrderedDict(flatten=nn.Flatten(), fc1=nn.Linear(784, 512), relu1=nn.ReLU())
    if dropout:
        layers['drop1'] = nn.Dropout(0.5)
    layers.update(fc2=nn.Linear(512, 512), relu2=nn.ReLU())
    if dropout:
        layers['drop2'] = nn.Dropout(0.5)
    layers['fc3'] = nn.Linear(512, 10)
    return nn.Sequential(layers)


def augment(x):
    n = x.shape[0]
    # translation: integer shifts in [-2, 2], content moves by (dx, dy), zero fill
    padded = F.pad(x, (2, 2, 2, 2))
    out = torch.empty_like(x)
    shifts = torch.randint(-2, 3, (n, 2))
    for i in range(n):
        dx, dy = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, 2 - dy:2 - dy + 28, 2 - dx:2 - dx + 28]
    # rotation: uniform in [-10°, 10°], bilinear, zero fill
    theta = (torch.rand(n) * 2 - 1) * math.radians(10)
    c, s = torch.cos(theta), torch.sin(theta)
    mat = torch.zeros(n, 2, 3)
    mat[:, 0, 0], mat[:, 0, 1], mat[:, 1, 0], mat[:, 1, 1] = c, -s, s, c
    grid = F.affine_grid(mat, list(out.shape), align_corners=False)
    return F.grid_sample(out, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


xtr, ytr = load('train')
xte, yte = load('test')
n = 5000 if args.experiment == 'mlp-dropout' else 2000
epochs = 20 if args.experiment == 'mlp-dropout' else 15
xtr, ytr = torch.from_numpy(xtr[:n].copy()), torch.from_numpy(ytr[:n].copy())
xte, yte = torch.from_numpy(xte.copy()), torch.from_numpy(yte.copy())
reg = args.variant == 'reg'
for seed in args.seeds:
    torch.manual_seed(seed)
    model = mlp(reg) if args.experiment == 'mlp-dropout' else mnist_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            idx = perm[i:i + 64]
            xb = xtr[idx]
            if reg and args.experiment == 'cnn-augment':
                xb = augment(xb)
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        test = (model(xte).argmax(1) == yte).float().mean().item()
        train = (model(xtr).argmax(1) == ytr).float().mean().item()
    print(json.dumps({'seed': seed, 'test': test, 'train': train}), flush=True)
