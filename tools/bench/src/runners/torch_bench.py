"""PyTorch (CPU, one thread) on the benchmark's workloads; an optional column of tools/bench.

Run by main.ts with /usr/bin/python3 when `import torch` works there (Debian's python3-torch),
spawned with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 (set again below,
before torch loads, for runs by hand). Training is a plain PyTorch loop as its users write
it: real MNIST batches from a shuffled epoch, `zero_grad(set_to_none=True)`, forward, loss,
backward, step. Prints `INFO {json}` (the BLAS in use) and one `RESULT {json}` line per
workload, like the JavaScript runners. `--mnist=DIR` names the folder of the MNIST IDX files.
"""
import json
import os
import statistics
import sys
import time

from torch_env import blas_report, describe, load_mnist, pin_threads

spawn_threads_wrong = pin_threads()  # before `import torch`: OpenBLAS/OpenMP read these once, at load

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
quick = '--quick' in sys.argv
mnist_dir = next((a[8:] for a in sys.argv if a.startswith('--mnist=')), None)
warmup_s, window_s, windows = (0.2, 0.3, 3) if quick else (1.0, 1.5, 5)
BATCH, INFER_BATCH, OPT_PARAMS, N = 64, 256, 10_000_000, 1024


def measure(once, units):
    """Median-of-windows rates by wall clock, and the same by this process's CPU time."""
    end = time.perf_counter() + warmup_s
    once()
    while time.perf_counter() < end:
        once()
    rates, cpu_rates = [], []
    for _ in range(windows):
        t0, c0 = time.perf_counter(), time.process_time()
        calls = 0
        while True:
            once()
            calls += 1
            t = time.perf_counter()
            if t - t0 >= window_s:
                break
        rates.append(calls * units / (t - t0))
        cpu_rates.append(calls * units / max(time.process_time() - c0, 1e-9))
    return rates, cpu_rates


def report(id_, rates, cpu_rates):
    cell = {'id': id_, 'median': statistics.median(rates), 'windows': rates, 'cpuMedian': statistics.median(cpu_rates)}
    print('RESULT ' + json.dumps(cell), flush=True)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))


mnist = {}


def zoo(builder, **options):
    """A model of tools/compare/torch_models.py, the PyTorch definitions of @trainkit/models (spec.ts ZOO)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'compare'))
    from torch_models import build
    return build(builder, options)


def train(model, make_opt=lambda p: torch.optim.Adam(p, lr=1e-3)):
    """One step of a plain training loop over shuffled MNIST epochs (the last partial batch dropped)."""
    if 'x' not in mnist:
        if mnist_dir is None:
            raise ValueError('the training workloads need --mnist=DIR (the MNIST IDX files)')
        mnist['x'], mnist['y'] = load_mnist(mnist_dir, torch)
    x_all, y_all = mnist['x'], mnist['y']
    opt = make_opt(model.parameters())
    g = torch.Generator().manual_seed(0)
    state = {'perm': None, 'i': len(x_all)}

    def once():
        if state['i'] + BATCH > len(x_all):
            state['perm'], state['i'] = torch.randperm(len(x_all), generator=g), 0
        idx = state['perm'][state['i']:state['i'] + BATCH]
        state['i'] += BATCH
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x_all[idx]), y_all[idx]).backward()
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
    ('resnet8-train', lambda: train(zoo('resnet', depth=8, inChannels=1, numClasses=10, width=16),
                                    lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)), BATCH),
    ('vit-train', lambda: train(zoo('vitTiny', imageSize=28, patchSize=4, inChannels=1, dim=64, depth=4, heads=4, numClasses=10),
                                lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.05)), BATCH),
    ('adam-10m', lambda: optimizer_step(lambda p: torch.optim.Adam(p, lr=1e-3)), OPT_PARAMS),
    ('momentum-10m', lambda: optimizer_step(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)), OPT_PARAMS),
    ('matmul-1024', matmul, 2 * N ** 3 / 1e9),
]

def run(id_):
    entry = next((w for w in workloads if w[0] == id_), None)
    if entry is None:
        print('RESULT ' + json.dumps({'id': id_, 'skipped': 'not available'}), flush=True)
        return
    try:
        once = entry[1]()
    except (OSError, ValueError) as err:
        print('RESULT ' + json.dumps({'id': id_, 'skipped': f'error: {err}'[:160]}), flush=True)
        return
    report(id_, *measure(once, entry[2]))


info = blas_report(torch)
info['threadVarsAtSpawn'] = 'all 1' if not spawn_threads_wrong else ', '.join(spawn_threads_wrong) + ' (set to 1 before torch loaded)'
info['describe'] = f'{describe(info)}; thread variables at spawn: {info["threadVarsAtSpawn"]}'
print('INFO ' + json.dumps(info), flush=True)
print(f'torch runner: {info["describe"]}', file=sys.stderr)
if info['warning']:
    print(f'WARNING: {info["warning"]}', file=sys.stderr)
if '--all' in sys.argv:
    for w in workloads:
        run(w[0])
else:
    # main.ts sends workload ids one per line (see serve.ts)
    print('READY', flush=True)
    for line in sys.stdin:
        if line.strip():
            run(line.strip())
