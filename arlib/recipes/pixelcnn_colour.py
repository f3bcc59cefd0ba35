"""Chapter 9's small colour PixelCNN on coloured MNIST (``arlib.data.colour``, 14 x 14, 4 levels per
channel): R -> G -> B groups, a 4-way softmax per channel, residual type-B layers."""
from __future__ import annotations

import torch

from arlib.data.colour import load_colour_mnist
from arlib.models import PixelCNN

SHAPE = "image"
DATA = dict(levels=4, size=14)


def build() -> PixelCNN:
    """24 feature maps in three colour groups, 5 masked layers."""
    return PixelCNN(in_channels=3, channels=24, n_layers=5, kernel_size=3, first_kernel_size=5,
                    num_values=DATA["levels"], residual=True, height=DATA["size"], width=DATA["size"])


def load(split: str, n: int | None = None) -> torch.Tensor:
    """The coloured-MNIST split this recipe trains on (instead of binarized MNIST)."""
    return load_colour_mnist(split, n=n, **DATA)


SHORT = dict(epochs=1, max_steps=60, batch_size=32, lr=5e-3, seed=0, n_train=2000, n_valid=500)
FULL = dict(epochs=30, batch_size=32, lr=3e-3, seed=0, patience=3, n_valid=2000)
