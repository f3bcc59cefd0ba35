"""Binarized MNIST, embedded in the package (no download, ever).

The standard 50k/10k/10k split, stochastically binarized once with a fixed seed
(Salakhutdinov & Murray, 2008); see ``scripts/make_binarized_mnist.py`` for provenance.
Beside it, ``source="larochelle_murray"`` gives the test split of the file most papers report on
(Larochelle & Murray 2011; ``scripts/make_larochelle_murray_test.py``), the same digits with other bits.
Each file's sha256 is checked on its first load.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["SPLITS", "SOURCES", "load_binarized_mnist", "mean_grey_level", "binarized_mnist_loader", "IMAGE_SHAPE", "N_PIXELS"]

_DIR = Path(__file__).resolve().parent
SPLITS = ("train", "valid", "test")
IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 784
Shape = Literal["flat", "image"]
# The book's own draw (train, valid, test, with labels), and the papers' test file (no labels).
SOURCES = {"book": "binarized_mnist.json", "larochelle_murray": "larochelle_murray_test.json"}


class DataIntegrityError(RuntimeError):
    """The embedded data file does not match its recorded sha256."""


@functools.lru_cache(maxsize=None)
def _arrays(source: str = "book") -> dict[str, np.ndarray]:
    meta = json.loads((_DIR / SOURCES[source]).read_text())
    path = _DIR / meta["file"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != meta["sha256"]:
        raise DataIntegrityError(
            f"{path} has sha256 {digest}, expected {meta['sha256']}; "
            "rebuild it with the script its json names"
        )
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _check(split: str, shape: str, source: str = "book", labels: bool = False) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {tuple(SOURCES)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if source != "book" and (split != "test" or labels):
        raise ValueError(f"source {source!r} ships the test split only, without labels; "
                         f"got split={split!r}, labels={labels}")
    if shape not in ("flat", "image"):
        raise ValueError(f"unknown shape {shape!r}; expected 'flat' (N, 784) or 'image' (N, 1, 28, 28)")


def load_binarized_mnist(
    split: str = "train",
    shape: Shape = "flat",
    labels: bool = False,
    n: int | None = None,
    dtype: torch.dtype = torch.float32,
    source: str = "book",
    seed: int | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Return binarized MNIST ``split`` as a tensor of 0.0/1.0.

    Args:
        split: ``"train"`` (50,000), ``"valid"`` (10,000) or ``"test"`` (10,000).
        shape: ``"flat"`` for ``(N, 784)`` or ``"image"`` for ``(N, 1, 28, 28)``.
        labels: also return the digit labels as an ``int64`` tensor ``(N,)``.
        n: keep only ``n`` examples: the first ``n``, or with ``seed`` a seeded random ``n``.
            The splits are in a fixed order that is not random (the first 500 test digits are easier
            than the rest), so a number meant to stand for the whole split uses ``seed``.
        dtype: floating dtype of the images.
        source: ``"book"`` (the book's own draw) or ``"larochelle_murray"`` (the papers' test file:
            ``split="test"`` only, no labels).
        seed: with ``n`` below the split's size, draw the ``n`` examples at random with this seed
            (``torch.randperm``) instead of taking the first ``n``; all of them stay in order.
    """
    _check(split, shape, source, labels)
    if seed is not None and n is None:
        raise ValueError("seed draws a random subset of n examples: give n too")
    a = _arrays(source)
    packed = a[f"{split}_x"]
    keep = slice(None)
    if n is not None:
        if not (isinstance(n, int) and 0 < n <= packed.shape[0]):
            raise ValueError(f"n must be an int in [1, {packed.shape[0]}] for split {split!r}, got {n!r}")
        keep = slice(n)
        if seed is not None and n < packed.shape[0]:
            keep = torch.randperm(packed.shape[0], generator=torch.Generator().manual_seed(seed))[:n].numpy()
    bits = np.unpackbits(packed[keep], axis=1, count=N_PIXELS)
    x = torch.from_numpy(bits).to(dtype)
    if shape == "image":
        x = x.view(-1, *IMAGE_SHAPE)
    if labels:
        y = torch.from_numpy(a[f"{split}_y"][keep].astype(np.int64))
        return x, y
    return x


def mean_grey_level(split: str = "test") -> float:
    """The mean MNIST grey level of ``split``, recorded when the book's bits were drawn from it (the
    grey levels themselves are not shipped): the mean bit a draw with these probabilities expects."""
    _check(split, "flat")
    return float(_arrays("book")[f"{split}_grey_mean"])


def binarized_mnist_loader(
    split: str = "train",
    batch_size: int = 128,
    shape: Shape = "flat",
    shuffle: bool | None = None,
    n: int | None = None,
    labels: bool = False,
    seed: int = 0,
) -> DataLoader:
    """A ``DataLoader`` over binarized MNIST; shuffles (seeded) the training split by default."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    data = load_binarized_mnist(split, shape=shape, labels=True, n=n)
    x, y = data
    ds = TensorDataset(x, y) if labels else TensorDataset(x)
    shuffle = (split == "train") if shuffle is None else shuffle
    g = torch.Generator().manual_seed(seed)
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=g)
