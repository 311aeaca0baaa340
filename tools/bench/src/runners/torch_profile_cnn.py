"""PyTorch's per-op profile of one training step of the reference CNN (tools/bench/src/profileCnn.ts).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
         /usr/bin/python3 tools/bench/src/runners/torch_profile_cnn.py [--steps 20]

One thread, the bench's reference CNN (conv 1→8 5×5, ReLU, pool; conv 8→16 5×5, ReLU, pool;
linear 784→10), a batch of 64 random 1×28×28 inputs, cross-entropy, Adam (lr 1e-3). After two
warm-up steps, torch.profiler records `--steps` steps. Forward: each layer segment runs in a
record_function of the same name as profileCnn.ts's trainkit segments, and every event's self
CPU time goes to the segment around it. Backward: to the autograd node around it
(`…: ConvolutionBackward0` → ConvolutionBackward0). Optimizer: one group. The grouping is
torch_profile_models.py's (group_of). Prints
`PROFILE {json}`: milliseconds per step for every (phase, op), and the step's total.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import pin_threads  # noqa: E402

pin_threads()  # before `import torch`: OpenBLAS/OpenMP read the thread variables once, at load

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.profiler import record_function  # noqa: E402
from torch_profile_models import profile_step  # noqa: E402  (the zoo's profiler: the same phase/op grouping)

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=20)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    conv1, conv2, fc = nn.Conv2d(1, 8, 5, padding=2), nn.Conv2d(8, 16, 5, padding=2), nn.Linear(784, 10)
    params = [*conv1.parameters(), *conv2.parameters(), *fc.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))

    def step():
        with record_function('forward'):
            with record_function('conv1+ReLU+pool'):
                h = F.max_pool2d(F.relu(conv1(x)), 2)
            with record_function('conv2+ReLU+pool'):
                h = F.max_pool2d(F.relu(conv2(h)), 2)
            with record_function('flatten'):
                h = h.flatten(1)
            with record_function('linear'):
                h = fc(h)
            with record_function('cross-entropy'):
                loss = F.cross_entropy(h, y)
        with record_function('backward'):
            loss.backward()
        with record_function('optimizer'):
            opt.step()
            opt.zero_grad(set_to_none=True)

    plain_ms, profiled_ms, groups = profile_step(step, args.steps)
    out = {'steps': args.steps, 'stepMs': plain_ms, 'profiledStepMs': profiled_ms, 'torch': torch.__version__,
           'groups': groups}
    print('PROFILE ' + json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
