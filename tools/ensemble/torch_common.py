"""What tools/ensemble's PyTorch scripts share: MNIST as float tensors, the training loop of the
reference CNN (Adam lr 1e-3, batch 64, torch.randperm shuffle, one thread) and the metrics of
trainkit's metricsRow (accuracy, NLL, Brier, 15-bin ECE) from log-probabilities."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'compare'))
from mnist_idx import load  # noqa: E402
from torch_cnn import mnist_cnn  # noqa: E402

BINS = 15


def mnist(limit=None):
    """(xtr, ytr, xte, yte): training tensors (the first `limit` images), test tensors and numpy labels."""
    xtr, ytr = load('train')
    xte, yte = load('test')
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
    return torch.from_numpy(xtr.copy()), torch.from_numpy(ytr.copy()), torch.from_numpy(xte.copy()), yte


def metrics(logp, labels, name, disagreement=None, emit=True):
    """accuracy, NLL, Brier and 15-bin ECE from log-probabilities [N, C] (float64); printed as JSON unless emit=False."""
    prob = np.exp(logp)
    n, c = prob.shape
    pred = logp.argmax(1)
    conf = prob[np.arange(n), pred]
    hit = (pred == labels).astype(np.float64)
    onehot = np.eye(c)[labels]
    bins = np.clip(np.ceil(conf * BINS).astype(int) - 1, 0, BINS - 1)
    ece = sum(abs(hit[bins == b].sum() - conf[bins == b].sum()) for b in range(BINS)) / n
    row = dict(name=name, accuracy=hit.mean(), nll=-logp[np.arange(n), labels].mean(), brier=((prob - onehot) ** 2).sum(1).mean(), ece=ece)
    if disagreement is not None:
        row['disagreement'] = disagreement
    if emit:
        print(json.dumps(row), flush=True)
    return row


def log_softmax(model, x):
    with torch.no_grad():
        return torch.log_softmax(model(x), 1).double().numpy()


def average_probs(logps):
    """log of the mean of the members' probabilities, from their log-probabilities [M][N, C]."""
    lp = np.stack(logps)  # [M, N, C]
    m = lp.max(0)
    return m + np.log(np.exp(lp - m).mean(0))


def distilled_loss(t, y, T, a):
    """loss_of for train(): (1 - a) * CE + a * T^2 * KL(softmax(t/T) || softmax(s/T)) (batch mean) for the rows idx
    of the teacher logits t, as trainkit's distill()."""
    F = torch.nn.functional

    def loss(out, idx):
        kd = F.kl_div(F.log_softmax(out / T, 1), F.softmax(t[idx] / T, 1), reduction='batchmean') * T * T
        return (1 - a) * F.cross_entropy(out, y[idx]) + a * kd
    return loss


def mean_log_probs(logps):
    """mean of the members' log-probabilities [M][N, C]: the log of their geometric mean, unnormalised (logits)."""
    return np.stack(logps).mean(0)


def fit_temperature(logits, labels):
    """The scalar tau > 0 that minimises the NLL of log_softmax(logits / tau) on (logits, labels): golden-section
    search on log tau in [log 0.05, log 20] (the NLL is convex in 1/tau)."""
    z = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    y = torch.from_numpy(np.asarray(labels, dtype=np.int64))

    def nll(log_tau):
        return torch.nn.functional.cross_entropy(z / np.exp(log_tau), y).item()
    lo, hi, g = np.log(0.05), np.log(20.0), (np.sqrt(5) - 1) / 2
    for _ in range(80):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def train(seed, xtr, ytr, epochs, on_step=None, lr_at=None, loss_of=None):
    """The reference CNN trained from torch.manual_seed(seed); loss_of(logits, idx) replaces cross-entropy."""
    torch.manual_seed(seed)
    model = mnist_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step = 0
    for _ in range(epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            if lr_at is not None:
                for g in opt.param_groups:
                    g['lr'] = lr_at(step)
            idx = perm[i:i + 64]
            out = model(xtr[idx])
            loss = torch.nn.functional.cross_entropy(out, ytr[idx]) if loss_of is None else loss_of(out, idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if on_step is not None:
                on_step(model, step)
    return model
