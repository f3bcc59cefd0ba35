"""Coloured MNIST: a small colour data set built deterministically from the embedded binarized MNIST.

No colour data set can be downloaded, so chapter 9 makes one: every digit's strokes are painted in
one colour on a background of another, each channel quantised to ``levels`` values (4 by default:
2 bits per channel, 64 colours).  The background takes the lower half of the levels in each channel
and the strokes the upper half, so a digit always stands out; the two colours are drawn per image
from a generator seeded by the split, so the data are the same on every machine.

    x = load_colour_mnist("train", n=2000)          # (2000, 3, 28, 28), values 0 .. 3 (float)
    plt.imshow(colour_to_rgb(x)[0])                 # (H, W, 3) in [0, 1]

``size=14`` halves the resolution (a 2 x 2 block is stroke if any of its pixels is), which makes a
colour PixelCNN four times cheaper to train.
"""
from __future__ import annotations

import numpy as np
import torch

from arlib.data import SPLITS, load_binarized_mnist

__all__ = ["load_colour_mnist", "colour_to_rgb", "colours_of"]

_SPLIT_SEED = {"train": 0, "valid": 1, "test": 2}


def colours_of(split: str, count: int, levels: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The (background, stroke) colours of the first ``count`` images of ``split``: two ``(count, 3)`` int arrays."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be an int >= 2, got {levels!r}")
    rng = np.random.default_rng([seed, _SPLIT_SEED[split]])
    half = levels // 2
    background = rng.integers(0, half, size=(count, 3))
    stroke = rng.integers(levels - half, levels, size=(count, 3))
    return background, stroke


def load_colour_mnist(split: str = "train", n: int | None = None, levels: int = 4, size: int = 28,
                      seed: int = 0, labels: bool = False, dtype: torch.dtype = torch.float32):
    """Coloured binarized MNIST: ``(N, 3, size, size)`` with integer values ``0 .. levels - 1``.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        n: keep the first ``n`` images.
        levels: values per channel (2 .. 256); the background uses the lower half, strokes the upper.
        size: 28, or 14 (2 x 2 blocks, a stroke where any pixel of the block is one).
        seed: changes the colours (the digits stay the same).
        labels: also return the digit labels.
    """
    if size not in (28, 14):
        raise ValueError(f"size must be 28 or 14, got {size!r}")
    if not isinstance(levels, int) or not 2 <= levels <= 256:
        raise ValueError(f"levels must be an int in [2, 256], got {levels!r}")
    bits, y = load_binarized_mnist(split, shape="image", labels=True, n=n)
    if size == 14:
        bits = torch.nn.functional.max_pool2d(bits, 2)
    background, stroke = colours_of(split, bits.shape[0], levels, seed)
    bg = torch.from_numpy(background).to(dtype)[:, :, None, None]
    fg = torch.from_numpy(stroke).to(dtype)[:, :, None, None]
    x = bg + (fg - bg) * bits.to(dtype)  # bits broadcast over the 3 channels
    return (x, y) if labels else x


def colour_to_rgb(x, levels: int = 4) -> np.ndarray:
    """Images ``(N, 3, H, W)`` (or one ``(3, H, W)``) with values ``0 .. levels - 1`` -> ``(N, H, W, 3)`` in [0, 1]."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[1] != 3:
        raise ValueError(f"expected images of shape (N, 3, H, W), got {a.shape}")
    return np.clip(a.transpose(0, 2, 3, 1).astype(np.float32) / (levels - 1), 0.0, 1.0)
