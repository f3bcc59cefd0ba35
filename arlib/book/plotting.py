"""Figures used across chapters: image grids, learning curves, heatmaps."""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from arlib.receptive import FIELD_COLOURS, FIELD_ORDER, blind_spot, field_categories, image_shape, stack_field

__all__ = ["image_grid", "show_images", "learning_curves", "heatmap", "nll_against_time", "show_field",
           "layers_animation"]


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def image_grid(x, nrow: int | None = None, pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """Tile a batch of images ``(N, 784)``, ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)``
    into one array ``(rows*H, cols*W[, 3])``."""
    a = _to_numpy(x).astype(np.float32)
    if a.ndim == 2:
        side = int(round(math.sqrt(a.shape[1])))
        if side * side != a.shape[1]:
            raise ValueError(f"flat images of length {a.shape[1]} are not square")
        a = a.reshape(-1, side, side)
    if a.ndim == 4:
        a = a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)
    if a.ndim not in (3, 4):
        raise ValueError(f"cannot tile images of shape {tuple(a.shape)}")
    n, h, w = a.shape[:3]
    ncol = nrow or int(math.ceil(math.sqrt(n)))
    nr = int(math.ceil(n / ncol))
    shape = (nr * (h + pad) + pad, ncol * (w + pad) + pad) + a.shape[3:]
    out = np.full(shape, pad_value, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, ncol)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = a[k]
    return out


def show_images(x, nrow: int | None = None, title: str | None = None, ax=None, cmap: str = "gray",
                vmin: float = 0.0, vmax: float = 1.0):
    """Show a batch of images as one grid; returns the axes."""
    if ax is None:
        n = len(x)
        ncol = nrow or int(math.ceil(math.sqrt(n)))
        _, ax = plt.subplots(figsize=(min(0.6 * ncol + 0.5, 10), min(0.6 * math.ceil(n / ncol) + 0.6, 10)))
    ax.imshow(image_grid(x, nrow), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def heatmap(a, ax=None, title: str | None = None, cmap: str = "viridis", colorbar: str | None = None,
            vmin: float | None = None, vmax: float | None = None, annotate: bool = False):
    """A matrix as a heatmap with an optional labelled colour bar and cell annotations."""
    a = _to_numpy(a)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    im = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        for (r, c), v in np.ndenumerate(a):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=8,
                    color="white" if v < (a.max() + a.min()) / 2 else "black")
    if colorbar is not None:
        plt.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=colorbar)
    if title:
        ax.set_title(title)
    return ax


def learning_curves(history, ax=None, title: str | None = None, reference: dict[str, float] | None = None,
                    per_step: bool = True):
    """Training NLL (per step and per epoch) and validation NLL per epoch, in nats per image."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    if per_step and history.step_nll:
        steps = np.arange(1, len(history.step_nll) + 1)
        spe = len(history.step_nll) / max(len(history.epoch), 1)
        ax.plot(steps / spe, history.step_nll, lw=0.8, alpha=0.5, label="train (per step)")
    if history.epoch:
        ax.plot(history.epoch, history.train_nll, "o-", label="train (epoch mean)")
    if history.valid_nll:
        ax.plot(history.epoch[: len(history.valid_nll)], history.valid_nll, "s-", label="validation")
    for name, v in (reference or {}).items():
        ax.axhline(v, ls="--", color="gray", lw=1)
        ax.annotate(name, (ax.get_xlim()[0], v), textcoords="offset points", xytext=(4, 3), fontsize=8, color="gray")
    ax.set_xlabel("epoch")
    ax.set_ylabel("NLL (nats per image)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def nll_against_time(infos: dict[str, dict], ax=None, published: dict[str, float] | None = None,
                     log_time: bool = True):
    """Validation NLL against wall-clock training time, one line per checkpoint.

    ``infos``: checkpoint name -> its metadata (``arlib.checkpoints.manifest()[name]["info"]``).
    A run that recorded the second of every validation (``valid_seconds``) is drawn as measured,
    with a solid line; an older run that recorded only its total time is drawn dotted, its epochs
    spread evenly over that time (labelled so).  The machine of each run is in its metadata.
    ``published``: name -> a published test NLL, drawn as a short mark at the right edge.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for i, (name, info) in enumerate(infos.items()):
        nll = info.get("valid_nll") or []
        if not nll:
            continue
        colour = f"C{i % 10}"
        if info.get("valid_seconds"):
            t = np.asarray(info["valid_seconds"], dtype=float) / 60
            ax.plot(t, nll, "-", color=colour, lw=1.6, label=name)
        else:
            total = float(info.get("train_seconds") or 0) / 60
            t = np.linspace(total / len(nll), total, len(nll))
            ax.plot(t, nll, ":", color=colour, lw=1.6, label=f"{name} (epochs spread evenly)")
        ax.plot(t[-1:], nll[-1:], "o", color=colour, ms=4)
        if published and name in published:
            ax.axhline(published[name], color=colour, lw=0.8, ls="--", alpha=0.7)
    if log_time:
        ax.set_xscale("log")
    ax.set_xlabel("wall-clock training time (minutes)")
    ax.set_ylabel("validation NLL (nats per image)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    return ax


# ---- receptive fields (chapters 10 and 11) ----

def show_field(ax, field: torch.Tensor, pixel: Sequence[int], title: str | None = None, legend: bool = False):
    """Draw a receptive field on ``ax``: field blue, blind spot red, the pixel black, the future grey."""

    cmap = ListedColormap([FIELD_COLOURS[k] for k in FIELD_ORDER])
    cat = field_categories(field, pixel)
    im = ax.imshow(cat.numpy(), cmap=cmap, vmin=-0.5, vmax=5.5, interpolation="nearest")
    H, W = cat.shape
    ax.set_xticks(torch.arange(-0.5, W, 1).tolist(), minor=True)
    ax.set_yticks(torch.arange(-0.5, H, 1).tolist(), minor=True)
    ax.grid(which="minor", color="black", alpha=0.08, linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        names = {"pixel": "pixel x_i", "field": "receptive field", "blind": "blind spot",
                 "past": "earlier, out of reach", "future": "at or after x_i"}
        ax.legend(handles=[Patch(facecolor=FIELD_COLOURS[k], edgecolor="#999", label=v) for k, v in names.items()],
                  loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    return im


def layers_animation(max_layers: int = 8, kernel_size: int = 3, shape: Sequence[int] = (20, 20),
                     pixel: Sequence[int] | None = None, mask: str = "AB", dpi: int = 60, interval: int = 700):
    """A matplotlib animation of the field of ``pixel`` as layers are stacked, 1 .. ``max_layers``.

    Show it with ``IPython.display.HTML(anim.to_jshtml())``.
    """

    _, H, W = image_shape(shape)
    pixel = (H - 3, W // 2) if pixel is None else tuple(pixel)
    fields = [stack_field(L, kernel_size, (H, W), pixel, mask) for L in range(1, max_layers + 1)]
    fig, ax = plt.subplots(figsize=(4.6, 3.2), dpi=dpi)
    im = show_field(ax, fields[0], pixel, legend=True)
    title = ax.set_title("", fontsize=9)
    fig.tight_layout()

    def frame(j):
        im.set_data(field_categories(fields[j], pixel).numpy())
        b = int(blind_spot(fields[j], pixel).sum())
        title.set_text(f"{j + 1} layer{'s' if j else ''} of {kernel_size}x{kernel_size}: "
                       f"field {int(fields[j].sum())}, blind spot {b}")
        return [im, title]

    anim = animation.FuncAnimation(fig, frame, frames=len(fields), interval=interval, blit=False)
    plt.close(fig)
    return anim
