"""Figures used across chapters: image grids, learning curves, heatmaps, and the book's figure style.

**The figure style.** ``arlib/book/arlib.mplstyle`` is the book's one matplotlib style, sized for the
content column of the built page (about 730 px wide in a 1280x900 window): figures at most 7.3 in
wide at 100 dpi, so a page shows them at their own size and a point of text is 100/72 px; the
smallest text the style sets is 9 pt (12.5 px). **Importing this module applies it** (``use_style()``
runs once, at import), so a chapter whose setup cell imports ``arlib.book.plotting`` draws every
figure in the book's style, its own ``plt.subplots`` included; call ``use_style()`` again after
anything that resets matplotlib's settings. ``smallest_text_px(fig)`` measures what a reader
sees: the height in page pixels of the smallest text of a figure, allowing for a figure wider
than the column being shrunk to fit; the tests hold every figure made here to at least 10 px.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from arlib.receptive import FIELD_COLOURS, FIELD_ORDER, blind_spot, field_categories, image_shape, stack_field

__all__ = ["STYLE", "COLUMN_PX", "use_style", "smallest_text_px", "image_grid", "show_images",
           "learning_curves", "heatmap", "nll_against_time", "show_field", "layers_animation",
           "classifier_curves", "softmax_templates", "decision_boundaries", "backprop_graph",
           "dependency_fields"]

STYLE = Path(__file__).with_name("arlib.mplstyle")
COLUMN_PX = 730  # the content column of the built page at a 1280x900 window, in CSS pixels


def use_style() -> None:
    """Apply the book's figure style (``arlib.mplstyle``); done once when this module is imported."""
    plt.style.use(STYLE)


use_style()


def smallest_text_px(fig, column_px: int = COLUMN_PX) -> float:
    """The height in page pixels of the smallest visible text of ``fig`` as the built page shows it.

    The page shows a figure saved with ``bbox_inches="tight"`` at its own pixel size, shrunk to the
    column when it is wider; a point is ``dpi / 72`` pixels before shrinking.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width_px = fig.get_tightbbox(renderer).width * fig.dpi  # the tight box is in inches
    shrink = min(1.0, column_px / width_px)
    sizes = [t.get_fontsize() for t in fig.findobj(mpl.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
             and (t.axes is None or t.axes.get_visible())]
    return min(sizes) * fig.dpi / 72 * shrink if sizes else math.inf


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


def _run_styles(names: list[str], families: dict[str, str] | None) -> dict[str, tuple]:
    """(colour, line style) of each run: one hue per family (tab10's, in order of appearance), its runs
    from dark to light with a dash pattern each; without ``families`` every run is its own family
    (past ten, tab20's light shades)."""
    if families is None:
        pairs = plt.get_cmap("tab20").colors          # a dark and a light shade of each of ten hues
        return {n: (pairs[2 * (i % 10) + (i // 10) % 2], "-") for i, n in enumerate(names)}
    order = list(dict.fromkeys(families.get(n, n) for n in names))
    members = {f: [n for n in names if families.get(n, n) == f] for f in order}
    tab10 = plt.get_cmap("tab10").colors
    hues = [tab10[i] for i in (0, 1, 2, 3, 4, 9, 6, 8, 5, 7)]    # cyan before the duller brown
    dashes = ["-", (0, (6, 2)), (0, (2, 1.5)), (0, (6, 2, 2, 2)), (0, (10, 3))]
    styles = {}
    for fi, f in enumerate(order):
        base = np.asarray(hues[fi % 10])
        for j, n in enumerate(members[f]):
            light = 0.45 * j / max(len(members[f]) - 1, 1)   # the family's first run darkest
            styles[n] = (tuple(base + (1 - base) * light), dashes[j % len(dashes)])
    return styles


def nll_against_time(infos: dict[str, dict], ax=None, published: dict[str, float] | None = None,
                     log_time: bool = True, families: dict[str, str] | None = None):
    """Validation NLL against wall-clock training time, one line per checkpoint.

    ``infos``: checkpoint name -> its metadata (``arlib.checkpoints.manifest()[name]["info"]``).
    A run that recorded the second of every validation (``valid_seconds``) is drawn as measured;
    an older run that recorded only its total time is drawn dotted, its epochs spread evenly over
    that time (labelled so).  The machine of each run is in its metadata.
    A warm restart (``info["init"]``, whose curve starts with its parent's) is drawn from the point
    where its parent ended, on the parent's clock, so that it continues the parent's line.
    ``published``: name -> a published test NLL, drawn as a thin dashed line in the run's colour.
    ``families``: name -> the model it is a run of: the runs of one model share a hue, dark to light
    in the order given, each with its own dash pattern (without it, every run has its own colour).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    styles = _run_styles(list(infos), families)
    for name, info in infos.items():
        nll = info.get("valid_nll") or []
        if not nll:
            continue
        colour, dash = styles[name]
        k = max((info.get("init") or {}).get("epochs", 0) - 1, 0)   # a restart: from its parent's end
        if info.get("valid_seconds"):
            t = np.asarray(info["valid_seconds"], dtype=float)[k:] / 60
            ax.plot(t, nll[k:], linestyle=dash, color=colour, lw=1.6, label=name)
        else:
            total = float(info.get("train_seconds") or 0) / 60
            t = np.linspace(total / len(nll), total, len(nll))[k:]
            ax.plot(t, nll[k:], ":", color=colour, lw=1.6, label=f"{name} (epochs spread evenly)")
        ax.plot(t[-1:], nll[-1:], "o", color=colour, ms=4)
        if published and name in published:
            ax.axhline(published[name], color=colour, lw=0.8, ls="--", alpha=0.7)
    if log_time:
        ax.set_xscale("log")
    ax.set_xlabel("wall-clock training time (minutes)")
    ax.set_ylabel("validation NLL (nats per image)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False,
              handlelength=3)
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


# ---- chapter 4: classifiers ----

def classifier_curves(hists, names: Sequence[str], acc_ylim: tuple[float, float] = (0.8, 1.0)):
    """Loss and validation accuracy of ``arlib.lessons.classify`` runs against the SGD step; returns the figure.

    ``hists``: ``ClassifierHistory`` objects, one per model, named by ``names``. Left: the loss of every
    mini-batch (faint), on the training subset (solid) and on the validation set (dashed), in nats per
    label, with the uniform ln 10; right: validation accuracy. One legend below both panels.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.2, 3.6))
    for j, (h, name) in enumerate(zip(hists, names)):
        c = f"C{j}"
        ax1.plot(np.arange(1, len(h.step_loss) + 1), h.step_loss, color=c, alpha=0.25, lw=0.7)
        ax1.plot(h.eval_step, h.train_loss, color=c, lw=1.5, label=f"{name}, training set")
        ax1.plot(h.eval_step, h.valid_loss, color=c, lw=1.5, ls="--", label=f"{name}, validation set")
        ax2.plot(h.eval_step, h.valid_acc, color=c, lw=1.5)
    ax1.axhline(math.log(10), color="gray", lw=1, ls=":", label="ln 10 (uniform)")
    ax1.set_ylim(0, 2.5)
    ax1.set_ylabel("cross-entropy (nats per label)")
    ax1.set_title("loss (faint: each mini-batch)")
    ax2.set_ylabel("validation accuracy")
    ax2.set_ylim(*acc_ylim)
    ax2.set_title(f"accuracy (from about 0.1, below {acc_ylim[0]:g})")
    for ax in (ax1, ax2):
        ax.set_xlabel("SGD step (mini-batch of 100)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.legend(*ax1.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.02),
               ncol=2 if len(hists) > 1 else 3, frameon=False)
    return fig


def softmax_templates(weights, bias, x, y: int, temperatures: Sequence[float] = (1.0, 3.0)):
    """Softmax regression at a glance: the K weight images theta^(k), one digit, its evidence and probabilities.

    ``weights`` (K, 784) and ``bias`` (K,) of a ``SoftmaxRegression``; ``x`` one image (784,) with label ``y``.
    Each weight image is titled with its logit theta^(k)T x + b_k; the evidence map is theta^(k) * x of the
    predicted class; the bars are softmax(logits / T) for each temperature. Returns the figure.
    """
    W, b, x = _to_numpy(weights), _to_numpy(bias), _to_numpy(x).reshape(-1)
    logits = W @ x + b
    K, side = len(b), int(round(math.sqrt(W.shape[1])))
    pred = int(logits.argmax())
    lim = float(np.abs(W).max())
    fig = plt.figure(figsize=(7.3, 4.0))
    grid = fig.add_gridspec(3, 8, width_ratios=[1, 1, 1, 1, 1, 1.1, 0.5, 2.6], height_ratios=[1, 1, 0.07],
                            wspace=0.12, hspace=0.6)
    kw = dict(cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    im = None
    for k in range(K):
        ax = fig.add_subplot(grid[k // 5, k % 5])
        im = ax.imshow(W[k].reshape(side, side), **kw)
        ax.set_title(f"$\\theta^{{({k})}}$\nlogit {logits[k]:.1f}", fontsize=9)
        ax.set_axis_off()
    ax = fig.add_subplot(grid[0, 5])
    ax.imshow(x.reshape(side, side), cmap="gray_r", interpolation="nearest")
    ax.set_title(f"test digit\ny = {y}", fontsize=9)
    ax.set_axis_off()
    ax = fig.add_subplot(grid[1, 5])
    ax.imshow((W[pred] * x).reshape(side, side), **kw)
    ax.set_title(f"evidence\n$\\theta^{{({pred})}} \\odot x$", fontsize=9)
    ax.set_axis_off()
    fig.colorbar(im, cax=fig.add_subplot(grid[2, :6]), orientation="horizontal",
                 label="weight (red: ink here raises the logit)")
    ax = fig.add_subplot(grid[:2, 7])
    n_t = len(temperatures)
    for j, T in enumerate(temperatures):
        z = logits / T
        p = np.exp(z - z.max())
        p /= p.sum()
        dy = (j - (n_t - 1) / 2) * 0.8 / n_t
        ax.barh(np.arange(K) + dy, p, height=0.8 / n_t, color=f"C{(1 - j) % 10}", label=f"T = {T:g}")
    ax.set_yticks(range(K))
    ax.set_ylabel("class k")
    ax.set_xlabel("P(y = k | x)")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    ax.set_title("softmax(logits / T)")
    return fig


def decision_boundaries(models: dict, X, y, resolution: int = 200, ax=None):
    """The decision regions of 2-D classifiers side by side; ``models``: name -> a module mapping (m, 2) to logits.

    The background is P(y = 1 | x) (colour scale below), the line its 0.5 contour; the points are the data
    (``X`` (m, 2), ``y`` in {0, 1}). Returns the figure.
    """
    X, y = _to_numpy(X), _to_numpy(y)
    lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.stack([g0.ravel(), g1.ravel()], 1), dtype=torch.float32)
    fig, axes = plt.subplots(1, len(models), figsize=(3.4 * len(models) + 0.3, 3.7), squeeze=False)
    im = None
    for ax, (name, model) in zip(axes[0], models.items()):
        with torch.no_grad():
            p1 = torch.softmax(model(grid), dim=1)[:, 1].numpy().reshape(g0.shape)
        im = ax.imshow(p1, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), cmap="RdBu_r", vmin=0, vmax=1,
                       alpha=0.55, aspect="auto", interpolation="bilinear")
        ax.contour(g0, g1, p1, levels=[0.5], colors="k", linewidths=1.5)
        for c, marker, colour in ((0, "o", "#2166ac"), (1, "s", "#b2182b")):
            ax.scatter(*X[y == c].T, s=9, marker=marker, color=colour, label=f"y = {c}")
        ax.set_title(name)
        ax.set_xlabel("$x_1$")
        ax.set_aspect("equal")
    axes[0, 0].set_ylabel("$x_2$")
    axes[0, 0].legend(loc="upper right", framealpha=0.9)
    fig.tight_layout()
    fig.colorbar(im, ax=axes[0].tolist(), location="bottom", fraction=0.05, pad=0.2, aspect=40,
                 label="P(y = 1 | x)   (black line: P = 0.5, the decision boundary)")
    return fig


def backprop_graph(ax=None):
    """The computational graph of two ``LinearSigmoidLayer``s and a loss L: the forward pass left to right
    (black, each arrow labelled with its operation), ``backward`` right to left (red), each node's gradient
    written under it and each weight's gradient beside it."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.3, 3.0))
    names = ["x", "a₁", "y₁", "a₂", "y₂", "L"]
    ops = ["× W₁", "σ", "× W₂", "σ", "loss"]
    grads = ["∂L/∂x = ∂L/∂a₁ W₁ᵀ", "∂L/∂a₁ = y₁(1−y₁) ⊙ ∂L/∂y₁", "∂L/∂y₁ = ∂L/∂a₂ W₂ᵀ",
             "∂L/∂a₂ = y₂(1−y₂) ⊙ ∂L/∂y₂", "∂L/∂y₂", "∂L/∂L = 1"]
    xs = [1.65 * j for j in range(len(names))]
    red = "#c0392b"
    node = dict(boxstyle="circle,pad=0.3", fc="#f4f4f4", ec="#333", lw=0.8)
    for x, name in zip(xs, names):
        ax.text(x, 0, name, ha="center", va="center", fontsize=11, bbox=node)
    for j, op in enumerate(ops):
        x0, x1 = xs[j] + 0.3, xs[j + 1] - 0.3
        ax.annotate("", xy=(x1, 0.1), xytext=(x0, 0.1), arrowprops=dict(arrowstyle="->", lw=1.2))
        ax.annotate("", xy=(x0, -0.1), xytext=(x1, -0.1), arrowprops=dict(arrowstyle="->", lw=1.2, color=red))
        ax.text((x0 + x1) / 2, 0.22, op, ha="center", va="bottom")
    for j, text in enumerate(grads):
        ax.text(xs[j], -0.45 - 0.38 * (j % 2), text, ha="center", va="center", color=red)
    for j, (w, text) in enumerate([("W₁", "∂L/∂W₁ = xᵀ ∂L/∂a₁"), ("W₂", "∂L/∂W₂ = y₁ᵀ ∂L/∂a₂")]):
        xm = (xs[2 * j] + xs[2 * j + 1]) / 2
        ax.text(xm, 1.05, w, ha="center", va="center", bbox=dict(boxstyle="round,pad=0.3", fc="#fde8c8", ec="#333"))
        ax.annotate("", xy=(xm, 0.55), xytext=(xm, 0.88), arrowprops=dict(arrowstyle="->", lw=1))
        ax.text(xm + 0.3, 1.05, text, ha="left", va="center", color=red)
    ax.text(xs[-1] + 0.35, 0.75, "forward →", ha="right", va="center")
    ax.text(xs[-1] + 0.35, -1.2, "← backward", ha="right", va="center", color=red)
    ax.set_xlim(xs[0] - 0.5, xs[-1] + 0.5)
    ax.set_ylim(-1.35, 1.3)
    ax.set_axis_off()
    return ax


# ---- chapter 7: what the state of an LSTM at a pixel has read ----

def dependency_fields(fields: dict[str, torch.Tensor], pixel: Sequence[int], axes=None):
    """One panel per model: the pixels a conditional depends on (``fields``: name -> a boolean (H, W) map,
    e.g. from ``arlib.lessons.lstm_fields``), the pixel itself, and the raster-order past it leaves out."""
    colours = {"pixel": "#111111", "field": "#2c7fb8", "past": "#fdd49e", "future": "#f0f0f0"}
    cmap = ListedColormap([colours[k] for k in ("future", "past", "field", "pixel")])
    if axes is None:
        _, axes = plt.subplots(1, len(fields), figsize=(2.4 * len(fields), 2.8), squeeze=False)
        axes = axes[0]
    r, c = pixel
    for ax, (name, field) in zip(axes, fields.items()):
        f = _to_numpy(field).astype(bool)
        H, W = f.shape
        cat = np.zeros((H, W), dtype=int)
        past = (np.arange(H * W) < r * W + c).reshape(H, W)
        cat[past] = 1
        cat[f] = 2
        cat[r, c] = 3
        ax.imshow(cat, cmap=cmap, vmin=-0.5, vmax=3.5, interpolation="nearest")
        ax.set_xticks(np.arange(-0.5, W, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, H, 1), minor=True)
        ax.grid(which="minor", color="black", alpha=0.1, linewidth=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(f"{name}\n{int(f.sum())} of {int(past.sum())} earlier pixels")
    names = {"pixel": "the pixel x_i", "field": "x_i's conditional depends on it",
             "past": "earlier, not read", "future": "at or after x_i (raster order)"}
    fig = axes[0].figure
    fig.tight_layout()
    fig.legend(handles=[Patch(facecolor=colours[k], edgecolor="#999", label=v) for k, v in names.items()],
               loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=2, frameon=False)
    return axes
