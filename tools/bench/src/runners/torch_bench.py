"""PyTorch (CPU, one thread) on the benchmark's workloads; an optional column of tools/bench.

Run by main.ts with /usr/bin/python3 when `import torch` works there (Debian's python3-torch).
Prints one `RESULT {json}` line per workload, like the JavaScript runners.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
quick = '--quick' in sys.argv
warmup_s, window_s, windows = (0.2, 0.3, 3) if quick else (1.0, 1.5, 5)
BATCH, INFER_BATCH, OPT_PARAMS, N = 64, 256, 10_000_000, 1024


def measure(once, units):
    end = time.perf_counter() + warmup_s
    once()
    while time.perf_counter() < end:
        once()
    rates = []
    for _ in range(windows):
        t0 = time.perf_counter()
        calls = 0
        while True:
            once()
            calls += 1
            t = time.perf_counter()
            if t - t0 >= window_s:
                break
        rates.append(calls * units / (t - t0))
    return rates


def report(id_, rates):
    print('RESULT ' + json.dumps({'id': id_, 'median': statistics.median(rates), 'windows': rates}), flush=True)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))


def batches(n):
    return [(torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,))) for _ in range(4)]


def train(model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = batches(BATCH)
    state = {'i': 0}

    def once():
        x, y = data[state['i'] % 4]
        state['i'] += 1
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return once


def optimizer_step(make):
    w = torch.randn(OPT_PARAMS, requires_grad=True)
    w.grad = torch.randn(OPT_PARAMS) * 0.01
    opt = make([w])
    return opt.step


def infer():
    model = cnn().eval()
    x = torch.rand(INFER_BATCH, 1, 28, 28)

    def once():
        with torch.no_grad():
            model(x)
    return once


def matmul():
    a, b = torch.rand(N, N), torch.rand(N, N)
    return lambda: torch.mm(a, b)


workloads = [
    ('mlp-train', lambda: train(mlp()), BATCH),
    ('cnn-train', lambda: train(cnn()), BATCH),
    ('cnn-infer', infer, INFER_BATCH),
    ('adam-10m', lambda: optimizer_step(lambda p: torch.optim.Adam(p, lr=1e-3)), OPT_PARAMS),
    ('momentum-10m', lambda: optimizer_step(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)), OPT_PARAMS),
    ('matmul-1024', matmul, 2 * N ** 3 / 1e9),
]

def run(id_):
    entry = next((w for w in workloads if w[0] == id_), None)
    if entry is None:
        print('RESULT ' + json.dumps({'id': id_, 'skipped': 'not available'}), flush=True)
        return
    report(id_, measure(entry[1](), entry[2]))


print(f'torch runner: PyTorch {torch.__version__}, {torch.get_num_threads()} thread', file=sys.stderr)
if '--all' in sys.argv:
    for w in workloads:
        run(w[0])
else:
    # main.ts sends workload ids one per line (see serve.ts)
    print('READY', flush=True)
    for line in sys.stdin:
        if line.strip():
            run(line.strip())
