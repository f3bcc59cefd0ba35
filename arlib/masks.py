"""Masks that make a network autoregressive.

* MADE (chapter 6): degree assignments m(k) and the masks of every layer.
* Masked convolutions (chapter 9): type A and type B, with colour channel groups.
* Gated PixelCNN (chapter 11): vertical and horizontal stack masks.
"""
from __future__ import annotations

import numpy as np
import torch

# ---- MADE masks (chapter 6) ----
#
# Degrees m(k) (Germain et al., 2015): input unit d gets m^0(d) = its 1-based position in the
# ordering; hidden unit k of layer l gets m^l(k) drawn uniformly from
# {min_k' m^{l-1}(k'), ..., D - 1}; a hidden unit may see a unit of the layer below when
# m^l(k) >= m^{l-1}(k'), an output d may see a last hidden unit when m^0(d) > m^L(k) (strict).
# Randomness comes from Mulberry32, a tiny counter-based generator that the mask explorer
# (arlib/widgets/made_masks.js) implements bit for bit, so the page and Python draw the same
# masks for the same seed.

_M32 = 0xFFFFFFFF


class Mulberry32:
    """The Mulberry32 generator (32-bit state); ``uniform(n)`` returns the next n values in [0, 1).

    Value j (counting from 1) of seed s depends only on ``s + j * 0x6D2B79F5 mod 2**32``, so
    a block of values is computed at once with NumPy; ``made_masks.js`` has the same function.
    """

    def __init__(self, seed: int):
        self.state = int(seed) & _M32

    def uniform(self, n: int) -> "np.ndarray":
        """The next ``n`` floats in [0, 1), each an exact multiple of 2**-32."""

        j = np.arange(1, n + 1, dtype=np.uint64)
        t = (np.uint64(self.state) + j * np.uint64(0x6D2B79F5)) & np.uint64(_M32)
        self.state = (self.state + n * 0x6D2B79F5) & _M32
        m = np.uint64(_M32)
        t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & m
        t = (t ^ (t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m))) & m
        t = (t ^ (t >> np.uint64(14))) & m
        return t.astype(np.float64) / 4294967296.0

    def integers(self, low: int, high: int, n: int) -> "np.ndarray":
        """``n`` integers uniform in [low, high] (inclusive): ``low + floor(u * (high - low + 1))``."""

        return (low + np.floor(self.uniform(n) * (high - low + 1))).astype(np.int64)


def made_order(D: int, ordering: str | "torch.Tensor" | list = "natural", seed: int = 0) -> torch.Tensor:
    """The input ordering: ``order[k]`` = the input generated k-th.

    ``"natural"`` is 0, 1, ..., D-1; ``"random"`` sorts D Mulberry32 draws of ``seed`` (ties
    broken by index); a permutation (tensor or list) is used as given.
    """
    if isinstance(ordering, str):
        if ordering == "natural":
            return torch.arange(D)
        if ordering == "random":

            u = Mulberry32(seed).uniform(D)
            return torch.from_numpy(np.lexsort((np.arange(D), u)).astype(np.int64))
        raise ValueError(f"ordering must be 'natural', 'random' or a permutation, got {ordering!r}")
    order = torch.as_tensor(ordering, dtype=torch.long).flatten()
    if order.numel() != D or not torch.equal(order.sort().values, torch.arange(D)):
        raise ValueError(f"ordering must be a permutation of range({D}), got {order.tolist()}")
    return order


def made_degrees(D: int, hidden_sizes: list[int] | tuple[int, ...], ordering="natural",
                 seed: int = 0) -> list[torch.Tensor]:
    """Degrees ``[m^0, m^1, ..., m^L]``: m^0 for the D inputs, m^l for each hidden layer.

    ``m^0[d]`` is the 1-based position of input d in the ordering (so ``m^0[order[k]] = k + 1``);
    hidden degrees are drawn from Mulberry32(``seed``) (after the D draws of a random ordering,
    which uses the same stream) uniformly in [min of the layer below, D - 1].
    """
    if D < 2:
        raise ValueError(f"MADE needs D >= 2 inputs, got {D}")
    if any(int(h) < 1 for h in hidden_sizes):
        raise ValueError(f"hidden sizes must be positive, got {list(hidden_sizes)}")
    order = made_order(D, ordering, seed)
    rng = Mulberry32(seed)
    if isinstance(ordering, str) and ordering == "random":
        rng.uniform(D)  # a random ordering used the first D draws of the stream
    m0 = torch.empty(D, dtype=torch.long)
    m0[order] = torch.arange(1, D + 1)
    degrees = [m0]
    for h in hidden_sizes:
        low = int(degrees[-1].min())
        degrees.append(torch.from_numpy(rng.integers(low, D - 1, int(h))))
    return degrees


def made_masks(degrees: list[torch.Tensor], out: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
    """The masks of every layer from the degrees, as float tensors ``(out_features, in_features)``.

    Hidden layer l: ``M[k, k'] = 1`` when ``m^l(k) >= m^{l-1}(k')``; output layer:
    ``M[d, k] = 1`` when ``m^0(d) > m^L(k)`` (strict: output d never sees x_d).
    ``out``: float tensors of those shapes to write the masks into (a MADE's mask buffers), and
    return. The comparisons write float 0/1 straight into them: 8x faster than comparing int64
    degrees into a bool tensor and converting it (an 8000 x 784 mask: 1.2 ms against 9 ms).
    """
    device = out[0].device if out else degrees[0].device
    d = [m.to(device, torch.float32) for m in degrees]   # exact: degrees are integers below 2^24
    pairs = [(cur, prev) for prev, cur in zip(d[:-1], d[1:])] + [(d[0], d[-1])]
    if out is None:
        out = [torch.empty(len(cur), len(prev), device=device) for cur, prev in pairs]
    if len(out) != len(pairs):
        raise ValueError(f"out needs {len(pairs)} tensors, got {len(out)}")
    cmp = [torch.ge] * (len(pairs) - 1) + [torch.gt]
    return [f(cur[:, None], prev[None, :], out=o) for f, (cur, prev), o in zip(cmp, pairs, out)]


def mask_connectivity(masks: list[torch.Tensor], count_paths: bool = False) -> torch.Tensor:
    """Which inputs each output can reach: ``R[d, j] = True`` when a path joins input j to output d.

    That is the product of the masks, ``M^{L+1} ... M^2 M^1``, read as "is it non-zero".
    With ``count_paths`` it returns the product itself (float64): the number of paths.
    """
    if count_paths:
        C = masks[0].double()
        for M in masks[1:]:
            C = M.double() @ C
        return C
    R = masks[0].float()
    for M in masks[1:]:
        R = (M.float() @ R).clamp_(max=1.0)  # 0/1 after each layer: sums stay exact in float32
    return R > 0


def check_made_masks(masks: list[torch.Tensor], order: torch.Tensor) -> None:
    """Raise ``ValueError`` unless output d can reach only inputs strictly before d in ``order``.

    The message names the offending output and input (and the layer sizes) so a wrong mask,
    say one with a hidden unit that can see its own output's input, is caught before training.
    """
    order = torch.as_tensor(order, dtype=torch.long)
    D = order.numel()
    if masks[0].shape[1] != D or masks[-1].shape[0] != D:
        raise ValueError(f"masks map {masks[0].shape[1]} inputs to {masks[-1].shape[0]} outputs; the order has {D}")
    for a, b in zip(masks[:-1], masks[1:]):
        if b.shape[1] != a.shape[0]:
            raise ValueError(f"mask shapes do not chain: {tuple(a.shape)} then {tuple(b.shape)}")
    pos = torch.empty(D, dtype=torch.long)
    pos[order] = torch.arange(D)
    bad = mask_connectivity(masks) & (pos[None, :] >= pos[:, None])
    if bad.any():
        d, j = (int(v) for v in bad.nonzero()[0])
        what = "itself" if d == j else f"input {j} (position {int(pos[j])})"
        raise ValueError(
            f"not autoregressive: output {d} (position {int(pos[d])} in the order) can reach {what}; "
            f"it may only see inputs at earlier positions ({int(bad.sum())} offending pairs)")

# ---- masked convolutions A/B (chapter 9) ----

CONV_MASK_TYPES = ("A", "B")


def channel_groups(n_channels: int, colour_groups: int) -> torch.Tensor:
    """The colour group of each of ``n_channels`` channels: contiguous blocks of equal size.

    With 3 groups (R, G, B) and 6 channels: ``[0, 0, 1, 1, 2, 2]``; the image itself
    (3 channels) is ``[0, 1, 2]``.  ``n_channels`` must be a multiple of ``colour_groups``.
    """
    if colour_groups < 1:
        raise ValueError(f"colour_groups must be >= 1, got {colour_groups}")
    if n_channels < 1 or n_channels % colour_groups:
        raise ValueError(
            f"{n_channels} channels cannot be split into {colour_groups} colour groups of equal size; "
            f"use a multiple of {colour_groups}"
        )
    return torch.arange(n_channels) // (n_channels // colour_groups)


def conv_mask(kernel_size: int, mask_type: str, in_channels: int = 1, out_channels: int = 1,
              colour_groups: int = 1) -> torch.Tensor:
    """The mask of a PixelCNN convolution, shape ``(out_channels, in_channels, k, k)``, 0.0/1.0.

    Spatially (raster order) it keeps every tap in the rows above the centre and the taps to the
    left of the centre in the centre row.  The centre tap is where the two types differ:

    * type ``"A"`` (first layer, it sees the image): an output of colour group g sees the inputs of
      groups strictly before g at the centre pixel (with one group: the centre is 0, so pixel i
      never sees x_i);
    * type ``"B"`` (every later layer, it sees features): groups up to and including g (with one
      group: the centre is 1, so a feature at i may use the feature at i, which saw only x_<i).

    With ``colour_groups=3`` the channels are split into R, G, B blocks (``channel_groups``), giving
    the ordering R -> G -> B within a pixel.
    """
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size!r}")
    if mask_type not in CONV_MASK_TYPES:
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    g_in = channel_groups(in_channels, colour_groups)
    g_out = channel_groups(out_channels, colour_groups)
    k, c = kernel_size, kernel_size // 2
    mask = torch.zeros(out_channels, in_channels, k, k)
    mask[:, :, :c, :] = 1.0  # every row above the centre
    mask[:, :, c, :c] = 1.0  # left of the centre in the centre row
    centre = g_out[:, None] > g_in[None, :] if mask_type == "A" else g_out[:, None] >= g_in[None, :]
    mask[:, :, c, c] = centre.float()
    return mask


def conv_mask_offsets(kernel_size: int, mask_type: str) -> list[tuple[int, int]]:
    """The (row, column) offsets, relative to the output pixel, that a one-group mask lets through."""
    m = conv_mask(kernel_size, mask_type)[0, 0]
    c = kernel_size // 2
    return [(int(r) - c, int(s) - c) for r, s in m.nonzero().tolist()]

# ---- vertical/horizontal stacks (chapter 11) ----
#
# Option 2 of the lecture (Gated PixelCNN, van den Oord et al. 2016b): two stacks of convolutions.
# The vertical stack's k x k window keeps the rows above the centre (first layer) or the rows above
# and the centre row (later layers): its features at row r only ever see input rows < r.  The
# horizontal stack's 1 x k window keeps the taps left of the centre (first layer, "1 1 0 0 0") or
# left of and at the centre (later layers, "1 1 1 0 0").

STACKS = ("vertical", "horizontal")


def vertical_mask(kernel_size: int, first: bool) -> torch.Tensor:
    """The k x k mask of a vertical-stack convolution, 0.0/1.0.

    ``first=True``: the rows above the centre only (the layer that sees the image);
    ``first=False``: the rows above and the centre row (every later layer).  For k = 5 these are
    the lecture's masks::

        first             later
        1 1 1 1 1         1 1 1 1 1
        1 1 1 1 1         1 1 1 1 1
        0 0 0 0 0         1 1 1 1 1
        0 0 0 0 0         0 0 0 0 0
        0 0 0 0 0         0 0 0 0 0
    """
    _check_stack_kernel(kernel_size)
    c = kernel_size // 2
    mask = torch.zeros(kernel_size, kernel_size)
    mask[: c if first else c + 1, :] = 1.0
    return mask


def horizontal_mask(kernel_size: int, first: bool) -> torch.Tensor:
    """The 1 x k mask of a horizontal-stack convolution, 0.0/1.0.

    ``first=True``: the taps left of the centre (``1 1 0 0 0`` for k = 5; pixel i never sees x_i);
    ``first=False``: left of and at the centre (``1 1 1 0 0``; the feature at i saw only x_<i).
    """
    _check_stack_kernel(kernel_size)
    c = kernel_size // 2
    mask = torch.zeros(1, kernel_size)
    mask[0, : c if first else c + 1] = 1.0
    return mask


def stack_mask(stack: str, kernel_size: int, first: bool) -> torch.Tensor:
    """``vertical_mask`` or ``horizontal_mask`` by name (``stack`` in ``STACKS``)."""
    if stack not in STACKS:
        raise ValueError(f"stack must be 'vertical' or 'horizontal', got {stack!r}")
    return vertical_mask(kernel_size, first) if stack == "vertical" else horizontal_mask(kernel_size, first)


def stack_mask_offsets(stack: str, kernel_size: int, first: bool) -> list[tuple[int, int]]:
    """The (row, column) offsets, relative to the output pixel, that a stack mask lets through."""
    m = stack_mask(stack, kernel_size, first)
    rc, cc = m.shape[0] // 2, kernel_size // 2
    return [(int(r) - rc, int(s) - cc) for r, s in m.nonzero().tolist()]


def _check_stack_kernel(kernel_size: int) -> None:
    if not isinstance(kernel_size, int) or isinstance(kernel_size, bool) or kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd int >= 3 (a centre and a tap on each side), got {kernel_size!r}")
