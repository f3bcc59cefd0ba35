"""Chapter 5 (NADE): which columns of the shared matrix W feed each hidden layer h_i, drawn.

``columns_in_use(x, i)`` says, for a binary image ``x`` and a conditional i (1-based, as in the
lecture), which columns of W enter h_i = sigma(c + W[:, <i] x_<i): columns 1 .. i-1, of which only
those with x_j = 1 add anything. ``shared_weights_figure(model, x, pixels)`` draws the lecture's
diagram from a trained NADE: W (hidden units x pixels) once per chosen i, the columns that feed h_i
in colour, the others faded, beside the image with x_<i shown.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

__all__ = ["columns_in_use", "shared_weights_figure"]

SIDE = 28


def columns_in_use(x, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over the n columns of W for conditional i (1-based): ``used`` (columns
    1 .. i-1, the ones h_i may read) and ``active`` (used and x_j = 1: the ones that add W[:, j])."""
    xs = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64).reshape(-1)
    n = xs.size
    if not 1 <= i <= n:
        raise ValueError(f"i must be a conditional in 1..{n} (1-based, as in the lecture), got {i}")
    used = np.arange(n) < i - 1
    return used, used & (xs == 1)


def shared_weights_figure(model, x, pixels: Sequence[int], units: int | None = 48, vmax: float | None = None):
    """The lecture's diagram of NADE's shared weights, from ``model`` (a raster-order NADE on 28 x 28
    images) and one binary image ``x``: a row per conditional i in ``pixels`` (1-based). Left, x_<i
    (grey: not yet seen) and pixel i; right, W with the columns that feed h_i in colour (bright
    where x_j = 1, pale where x_j = 0, since they add nothing) and the columns i .. n greyed out.
    ``units``: draw that many hidden units, those with the largest output weights ||V[:, k]|| (the
    explorer's order), or all of them (None). Returns the figure."""
    W = model.W.detach().cpu().double().numpy()
    if units is not None:
        norms = model.V.detach().cpu().double().norm(dim=0).numpy()
        W = W[np.argsort(-norms, kind="stable")[:units]]
    H, n = W.shape
    if n != SIDE * SIDE:
        raise ValueError(f"the figure draws 28 x 28 images; the model has {n} pixels")
    xs = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64).reshape(-1)
    scale = float(np.quantile(np.abs(W), 0.99)) if vmax is None else float(vmax)
    norm = Normalize(-scale, scale)
    cmap = plt.get_cmap("RdBu_r")
    rgb = cmap(norm(W))[..., :3]
    fig = plt.figure(figsize=(7.3, 1.95 * len(pixels) + 0.5))
    gs = fig.add_gridspec(len(pixels), 3, width_ratios=[1, 4.4, 0.12], wspace=0.32, hspace=0.6)
    for row, i in enumerate(pixels):
        used, active = columns_in_use(xs, i)
        img = rgb.copy()
        img[:, ~used] = 0.88 * 0.92 + 0.12 * img[:, ~used]           # not read by h_i: grey
        pale = used & ~active
        img[:, pale] = 0.72 + 0.28 * img[:, pale]                       # read, but x_j = 0 adds nothing
        ax = fig.add_subplot(gs[row, 0])
        seen = np.where(used, xs, 0.5).reshape(SIDE, SIDE)
        ax.imshow(seen, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        r, c = divmod(i - 1, SIDE)
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="#e4572e", lw=2))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"x_<i, i = {i}", fontsize=10)
        ax = fig.add_subplot(gs[row, 1])
        ax.imshow(img, aspect="auto", interpolation="nearest", extent=(0.5, n + 0.5, H - 0.5, -0.5))
        ax.axvline(i - 0.5, color="#e4572e", lw=1.5)
        ax.set_title(f"h_{i} reads columns 1..{i - 1} of W; x_j = 1 in {int(active.sum())} of them",
                     fontsize=10)
        ax.set_ylabel("unit (rank)" if units else "unit k", fontsize=10)
        ax.tick_params(labelsize=9)
        if row == len(pixels) - 1:
            ax.set_xlabel("column j of W (pixel j, raster order)", fontsize=10)
    cax = fig.add_subplot(gs[:, 2])
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax, extend="both")
    cax.set_ylabel("W[k, j]", fontsize=10)
    cax.tick_params(labelsize=9)
    return fig

