"""Convolutions as the lecture defines them (chapter 8), written with plain loops to be read.

* ``conv1d(f, g)``: the lecture's definition, (f * g)[p] = sum_t f[t] g[p + t] (a dot product of
  the filter f with the part of the signal g that starts at p).  Mathematicians call this
  *cross-correlation*; deep-learning libraries call it convolution and compute exactly this.
* ``true_conv1d(f, g)``: the convolution of signal processing, sum_t f[t] g[p - t]: the same with
  the filter flipped.
* ``conv2d(x, w, padding, stride)``: 2-D, many channels, NumPy loops; equal to
  ``torch.nn.functional.conv2d`` (checked in tests/test_conv.py and in the chapter).
* ``FILTERS``: classic 3x3 filters (smoothing, edges, sharpening) and ``FILTERS_1D``.

Indices start at 0 here (Python).  The lecture writes t = 1..n; its worked example,
(f * g)[p] = 1 g_p + 0 g_{p+1} - 1 g_{p+2}, is the 0-based version used here.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["conv1d", "true_conv1d", "conv2d", "output_size", "apply_filter", "FILTERS", "FILTERS_1D",
           "filter_checksum", "PROBES"]


def _vector(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {a.shape}")
    return a


def conv1d(f, g) -> np.ndarray:
    """The lecture's 1-D convolution: out[p] = sum_{t=0}^{n-1} f[t] g[p+t], for p = 0 .. len(g) - n.

    No padding ("valid"): the filter is only placed where it fits, so there are len(g) - n + 1 outputs.
    """
    f, g = _vector("f (the filter)", f), _vector("g (the signal)", g)
    n = f.size
    if n > g.size:
        raise ValueError(f"the filter (length {n}) is longer than the signal (length {g.size})")
    out = np.zeros(g.size - n + 1)
    for p in range(out.size):
        for t in range(n):
            out[p] += f[t] * g[p + t]
    return out


def true_conv1d(f, g) -> np.ndarray:
    """Convolution in the signal-processing sense, sum_t f[t] g[p - t], on the same "valid" range.

    It equals ``conv1d`` with the filter reversed, and ``numpy.convolve(g, f, "valid")``.
    """
    f, g = _vector("f (the filter)", f), _vector("g (the signal)", g)
    n = f.size
    if n > g.size:
        raise ValueError(f"the filter (length {n}) is longer than the signal (length {g.size})")
    out = np.zeros(g.size - n + 1)
    for p in range(out.size):
        q = p + n - 1  # the output position in full-convolution indexing
        for t in range(n):
            out[p] += f[t] * g[q - t]
    return out


def output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Side of the output of a k x k filter on an n x n input: floor((n + 2 padding - k) / stride) + 1."""
    if k > n + 2 * padding:
        raise ValueError(f"a {k}x{k} filter does not fit a {n}x{n} input with padding {padding}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    return (n + 2 * padding - k) // stride + 1


def conv2d(x, w, b=None, padding: int = 0, stride: int = 1) -> np.ndarray:
    """2-D convolution (deep-learning sense: no flip) with loops, like ``F.conv2d`` on one image.

    Args:
        x: input ``(C_in, H, W)`` (or ``(H, W)`` for one channel).
        w: filters ``(C_out, C_in, k_h, k_w)`` (or ``(k_h, k_w)`` for one filter on one channel).
        b: optional bias per output channel ``(C_out,)``.
        padding: zeros added on every side; stride: step between filter positions.
    Returns:
        ``(C_out, H_out, W_out)`` activation maps (``(H_out, W_out)`` if both x and w were 2-D):
        out[o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_padded[c, i*stride + u, j*stride + v].
    """
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    squeeze = x.ndim == 2 and w.ndim == 2
    if x.ndim == 2:
        x = x[None]
    if w.ndim == 2:
        w = w[None, None]
    if x.ndim != 3 or w.ndim != 4:
        raise ValueError(f"x must be (C_in, H, W) and w (C_out, C_in, k, k); got {x.shape} and {w.shape}")
    C_out, C_in, kh, kw = w.shape
    if x.shape[0] != C_in:
        raise ValueError(f"the filters expect {C_in} input channel(s), the input has {x.shape[0]}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if kh > xp.shape[1] or kw > xp.shape[2]:
        raise ValueError(f"a {kh}x{kw} filter does not fit a {x.shape[1]}x{x.shape[2]} input with padding {padding}")
    Ho, Wo = (xp.shape[1] - kh) // stride + 1, (xp.shape[2] - kw) // stride + 1
    out = np.zeros((C_out, Ho, Wo))
    for o in range(C_out):
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, i * stride: i * stride + kh, j * stride: j * stride + kw]
                out[o, i, j] = np.sum(w[o] * patch) + (0.0 if b is None else b[o])
    return out[0] if squeeze else out


def apply_filter(image, kernel, padding: int | None = None) -> np.ndarray:
    """One filter over one image with ``torch.nn.functional.conv2d`` ("same" size by default).

    ``image``: ``(H, W)`` or ``(784,)``; ``kernel``: ``(k, k)`` with k odd. Zero padding (k - 1) / 2.
    """

    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 1:
        s = int(round(img.size ** 0.5))
        img = img.reshape(s, s)
    k = np.asarray(kernel, dtype=np.float32)
    pad = (k.shape[0] - 1) // 2 if padding is None else padding
    out = F.conv2d(torch.from_numpy(img)[None, None], torch.from_numpy(k)[None, None], padding=pad)
    return out[0, 0].numpy()


# Pixels (row, col) whose output values the filter explorer reports (28 x 28 digits).
PROBES: list[tuple[int, int]] = [(7, 14), (14, 7), (14, 14), (20, 20)]


def filter_checksum(output, probes: list[tuple[int, int]] = PROBES) -> dict:
    """A small fingerprint of a 2-D output map: its sum, sum of absolute values, min, max and the
    values at ``probes`` as ``v0, v1, ...`` (the filter explorer computes the same in the page)."""
    a = np.asarray(output, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected one 2-D output map, got shape {a.shape}")
    out = {"sum": float(a.sum()), "abs_sum": float(np.abs(a).sum()), "min": float(a.min()), "max": float(a.max())}
    out.update({f"v{i}": float(a[r, c]) for i, (r, c) in enumerate(probes)})
    return out


# Classic 3x3 filters (applied as cross-correlation, like F.conv2d).
FILTERS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "smoothing (box)": np.full((3, 3), 1 / 9),
    "smoothing (Gaussian)": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,
    "vertical edges (Sobel x)": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64),
    "horizontal edges (Sobel y)": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64),
    "edges (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}

# 1-D filters: the lecture's edge filter and a moving average.
FILTERS_1D: dict[str, np.ndarray] = {
    "edge [1, 0, -1]": np.array([1.0, 0.0, -1.0]),
    "smoothing [1/3, 1/3, 1/3]": np.full(3, 1 / 3),
    "smoothing (5-tap)": np.full(5, 1 / 5),
}
