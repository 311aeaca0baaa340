"""PyTorch's side of the zoo's learning comparison (tools/compare/src/modelsTrain.ts runs it).

Usage (normally spawned by modelsTrain.ts with OMP/OPENBLAS/MKL_NUM_THREADS=1):
  /usr/bin/python3 tools/compare/torch_models_train.py --setup resnet8-fashion --seed 0 \
      --init INIT.safetensors --train TRAIN.safetensors --test TEST.safetensors [--steps N]

The same setup as trainkit's: the initial weights are trainkit's (INIT, a state dict whose
metadata names the builder and its options, loaded strictly into tools/compare/torch_models.py's
definition), the images are trainkit's loader output (x float32 [N, 1, 28, 28], y int64), and
the recipe (batch, optimizer, per-epoch cosine, augmentation) is the one named by --setup.
The shuffle order and the augmentation draws come from torch.manual_seed(seed). With --steps N
it trains N steps only, for a throughput estimate, and skips the test set. With --chunk N
--state FILE it trains at most N more steps per invocation, saving everything needed to go on
(weights, optimizer, scheduler, generators, position) to FILE until the run is finished.
Prints one line `RESULT {json}`: test accuracy, seconds and CPU seconds, samples per second of each.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import load, read_safetensors  # noqa: E402

# the recipes of tools/compare/src/modelsSetup.ts, by name
SETUPS = {
    'resnet8-fashion': {'batch': 128, 'epochs': 3, 'optimizer': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 5e-4, 'augment': True},
    'vit-mnist': {'batch': 128, 'epochs': 3, 'optimizer': 'adamw', 'lr': 1e-3, 'weight_decay': 0.05, 'augment': False},
}


def augment(x, g):
    """aug-image's randomHorizontalFlip() then randomTranslate({ max: 2 }): each image mirrored with
    probability 0.5, then moved by integers dx, dy uniform in [-2, 2] (content moves, zeros fill)."""
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    shift = torch.randint(-2, 3, (n, 2), generator=g)
    padded = F.pad(x, (2, 2, 2, 2))
    out = torch.empty_like(x)
    for i in range(n):
        dx, dy = int(shift[i, 0]), int(shift[i, 1])
        out[i] = padded[i, :, 2 - dy:2 - dy + h, 2 - dx:2 - dx + w]
    return out


def optimizer(model, s):
    if s['optimizer'] == 'sgd':
        return torch.optim.SGD(model.parameters(), lr=s['lr'], momentum=s['momentum'], weight_decay=s['weight_decay'])
    return torch.optim.AdamW(model.parameters(), lr=s['lr'], weight_decay=s['weight_decay'])


def parse():
    p = argparse.ArgumentParser()
    p.add_argument('--setup', required=True, choices=sorted(SETUPS))
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--init', required=True)
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--steps', type=int, default=0, help='train this many steps only (a throughput estimate)')
    p.add_argument('--chunk', type=int, default=0, help='train at most this many more steps, then save the run to --state')
    p.add_argument('--state', help='file of an unfinished chunked run (read when present, written when unfinished)')
    args = p.parse_args()
    if args.chunk and not args.state:
        p.error('--chunk needs --state FILE (where the unfinished run is saved)')
    return args


def evaluate(model, path):
    test, _ = read_safetensors(path)
    model.eval()
    with torch.no_grad():
        return sum(int((model(test['x'][i:i + 500]).argmax(1) == test['y'][i:i + 500]).sum()) for i in range(0, len(test['y']), 500)) / len(test['y'])


def main():
    args = parse()
    s = SETUPS[args.setup]
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    model, _ = load(args.init)
    train, _ = read_safetensors(args.train)
    x, y = train['x'], train['y']
    opt = optimizer(model, s)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s['epochs'])
    per_epoch = (len(x) + s['batch'] - 1) // s['batch']
    total = s['epochs'] * per_epoch
    run = {'step': 0, 'seconds': 0.0, 'cpu_seconds': 0.0, 'perm': None}
    if args.state and os.path.exists(args.state):
        saved = torch.load(args.state)
        model.load_state_dict(saved['model'])
        opt.load_state_dict(saved['opt'])
        sched.load_state_dict(saved['sched'])
        g.set_state(saved['generator'])
        torch.set_rng_state(saved['torch_rng'])
        run = saved['run']
    stop = total if not (args.steps or args.chunk) else min(total, args.steps or run['step'] + args.chunk)
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    while run['step'] < stop:
        i = run['step'] % per_epoch
        if i == 0:
            run['perm'] = torch.randperm(len(x), generator=g)
        idx = run['perm'][i * s['batch']:(i + 1) * s['batch']]
        xb = augment(x[idx], g) if s['augment'] else x[idx]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xb), y[idx]).backward()
        opt.step()
        run['step'] += 1
        if run['step'] % per_epoch == 0:
            sched.step()
    run['seconds'] += time.perf_counter() - t0
    run['cpu_seconds'] += time.process_time() - c0
    samples = len(x) * s['epochs'] if run['step'] == total else run['step'] * s['batch']
    result = {'steps': run['step'], 'total': total, 'samples': samples, 'seconds': run['seconds'], 'samplesPerSecond': samples / run['seconds'],
              'cpuSeconds': run['cpu_seconds'], 'cpuSamplesPerSecond': samples / run['cpu_seconds'], 'torch': torch.__version__}
    if args.steps == 0 and run['step'] < total:
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'sched': sched.state_dict(),
                    'generator': g.get_state(), 'torch_rng': torch.get_rng_state(), 'run': run}, args.state)
        result['unfinished'] = True
    elif args.steps == 0:
        result['accuracy'] = evaluate(model, args.test)
        if args.state and os.path.exists(args.state):
            os.remove(args.state)
    print('RESULT ' + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
