"""The reference CNN in PyTorch, exactly as trainkit's `mnistCnn()` (same child names)."""
import torch
from torch import nn


def mnist_cnn():
    return nn.Sequential(
        __import__('collections').OrderedDict(
            conv1=nn.Conv2d(1, 8, 5, padding=2),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(8, 16, 5, padding=2),
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc=nn.Linear(16 * 7 * 7, 10),
        )
    )


def mnist_mlp():
    return nn.Sequential(
        __import__('collections').OrderedDict(
            flatten=nn.Flatten(), fc1=nn.Linear(784, 256), relu=nn.ReLU(), fc2=nn.Linear(256, 10)
        )
    )
