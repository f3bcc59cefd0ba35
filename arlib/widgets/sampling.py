"""SamplingExplorer: step through a recorded ancestral-sampling run, one pixel at a time.

    x, probs = model.sample(4, generator=g, return_probs=True)
    SamplingExplorer(x, probs, order=model.order, n_show=4)
    SamplingExplorer.from_model(model, n_show=4, seed=0)      # the same, in one call

``x``: the final binary sample(s); ``probs``: the Bernoulli parameter p(x_i = 1 | x_<i) each
pixel was drawn from (what ``sample(..., return_probs=True)`` returns); ``order``: the
generation order (``order[t]`` = flat index of the pixel drawn at step t; default raster).
Any image shape ``(H, W)`` works, so every binary model of the book can show its run.

The page plays the run back with no kernel: a step slider, play/pause and +-1 buttons show the
pixel being sampled, its Bernoulli parameter and the value drawn, the image so far and the
probability map so far. Its readout is {step, pixel, row, col, p, value} for the first sample.
It opens half-drawn (``default_step``: the step that draws the centre pixel in raster order), so a
reader sees a run in progress, not empty squares.
``to_animation`` makes the matching matplotlib animation (the chapter's static view); its page
view opens on a frame past the middle of the run and its text is sized for the book's column.
"""

from __future__ import annotations

import math
import re
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets
from matplotlib import animation

from .base import Explorer, as_float_array

DIGITS = 5  # probabilities are stored rounded to this many decimals (the state stays small)
COLUMN_PX = 730  # the width of the book's content column: wider images are shrunk to it
TEXT_PX = 12  # the height of figure text as rendered in the page (at least 10 px to be readable)
START_AT = 0.6  # the page's animation opens this far into the run (a digit well under way)


def default_step(height: int, width: int) -> int:
    """The step an explorer opens on: half-drawn, the centre pixel of an image drawn in raster order."""
    return max(0, min(height * width - 2, (height // 2) * width + width // 2))


class StartFrameAnimation(animation.FuncAnimation):
    """A FuncAnimation whose ``to_jshtml`` page opens on frame ``start_frame`` instead of frame 0.

    matplotlib's player always shows frame 0 first; for a sampling run that is an empty image.
    The player is a JavaScript object created in a ``setTimeout``; one call after its creation moves
    it to ``start_frame`` (Play and Next frame then go on from there, and Loop wraps to frame 0).
    """

    def __init__(self, *args: Any, start_frame: int = 0, **kwargs: Any) -> None:
        self.start_frame = int(start_frame)
        super().__init__(*args, **kwargs)

    def to_jshtml(self, *args: Any, **kwargs: Any) -> str:
        html = super().to_jshtml(*args, **kwargs)
        if not self.start_frame:
            return html
        created = re.compile(r"(anim(\w+) = new Animation\([^;]*\);)")
        if not created.search(html):  # another matplotlib template: keep its own start
            return html
        return created.sub(lambda m: f"{m.group(1)}\n        anim{m.group(2)}.set_frame({self.start_frame});",
                           html, count=1)


def _flat(name: str, value: Any, n_pixels: int | None = None) -> np.ndarray:
    a = as_float_array(name, value)
    return a


class SamplingExplorer(Explorer):
    """Play back a recorded ancestral-sampling run: image so far, probability map so far."""

    _js_file = "sampling.js"

    x = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # n_show x (H*W), 0/1
    probs = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)  # same layout
    order = traitlets.List(traitlets.Int()).tag(sync=True)  # order[t] = pixel drawn at step t
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)  # 0-based: the pixel order[step] is being drawn
    # (the constructor's default is half-drawn: default_step)

    def __init__(self, x: Any, probs: Any, order: Any = None, shape: tuple[int, int] = (28, 28),
                 n_show: int = 1, *, step: int | None = None, **kwargs: Any) -> None:
        h, w = int(shape[0]), int(shape[1])
        D = h * w
        xs, ps = _flat("x", x), _flat("probs", probs)
        if xs.size % D or ps.size % D:
            raise ValueError(f"x has {xs.size} and probs {ps.size} values; with shape {h}x{w} both must be "
                             f"a multiple of {D} (one or more binary {h}x{w} images; colour is not supported)")
        xs, ps = xs.reshape(-1, D), ps.reshape(-1, D)
        if xs.shape != ps.shape:
            raise ValueError(f"x holds {xs.shape[0]} images but probs {ps.shape[0]}; give the probabilities "
                             "of the same run (model.sample(n, return_probs=True))")
        if not isinstance(n_show, int) or not 1 <= n_show <= min(xs.shape[0], 16):
            raise ValueError(f"n_show must be an int in [1, {min(xs.shape[0], 16)}] "
                             f"(the run has {xs.shape[0]} images; at most 16 are shown), got {n_show!r}")
        xs, ps = xs[:n_show], ps[:n_show]
        if not np.all((xs == 0) | (xs == 1)):
            raise ValueError("x must be binary (0s and 1s): the explorer plays back Bernoulli draws")
        if not np.all(np.isfinite(ps) & (ps >= 0) & (ps <= 1)):
            raise ValueError("probs must be probabilities in [0, 1]: p(x_i = 1 | x_<i) of every pixel")
        if order is None:
            o = np.arange(D)
        else:
            o = _flat("order", order).astype(np.int64).reshape(-1)
            if o.shape != (D,) or not np.array_equal(np.sort(o), np.arange(D)):
                raise ValueError(f"order must be a permutation of range({D}) (the {h}x{w} pixels), "
                                 f"got {o.size} values")
        s = default_step(h, w) if step is None else int(step)
        if not 0 <= s < D:
            raise ValueError(f"step must be in [0, {D - 1}], got {s}")
        super().__init__(x=xs.astype(np.int64).tolist(), probs=np.round(ps, DIGITS).tolist(),
                         order=o.tolist(), height=h, width=w, step=s, **kwargs)

    @classmethod
    def from_model(cls, model, n_show: int = 1, seed: int = 0, shape: tuple[int, int] | None = None,
                   **kwargs: Any) -> "SamplingExplorer":
        """Sample ``n_show`` images from a binary arlib model (seeded) and explore the run."""

        g = torch.Generator().manual_seed(seed)
        x, probs = model.sample(n_show, generator=g, return_probs=True)
        if shape is None:
            es = tuple(model.event_shape)
            shape = es[-2:] if len(es) >= 2 else (int(math.isqrt(model.D)),) * 2
        return cls(x, probs, order=model.order, shape=shape, n_show=n_show, **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def step_readout(x: list, probs: list, order: list, width: int, step: int) -> dict:
        """The readout at ``step``: which pixel is drawn, from which p, with which value (image 0)."""
        i = int(order[step])
        return {"step": step, "pixel": i, "row": i // width, "col": i % width,
                "p": float(probs[0][i]), "value": int(x[0][i])}

    def readout(self, step: int | None = None) -> dict:
        """The numbers the page shows at ``step`` (default: the widget's step)."""
        step = self.step if step is None else int(step)
        if not 0 <= step < len(self.order):
            raise ValueError(f"step must be in [0, {len(self.order) - 1}], got {step}")
        return self.step_readout(self.x, self.probs, self.order, self.width, step)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        return cls.step_readout(state["x"], state["probs"], state["order"], state["width"], int(readout["step"]))

    # ------------------------------------------------------------------ static view

    def frames(self, steps: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each step t, (image so far, probability map so far) with pixels not yet drawn as NaN.

        "So far" includes the pixel drawn at step t; arrays are (n_show, H, W).
        """
        x, p = np.asarray(self.x, dtype=float), np.asarray(self.probs, dtype=float)
        order = np.asarray(self.order)
        out = []
        for t in steps:
            done = np.zeros(x.shape[1], dtype=bool)
            done[order[: t + 1]] = True
            shape = (x.shape[0], self.height, self.width)
            out.append((np.where(done, x, np.nan).reshape(shape), np.where(done, p, np.nan).reshape(shape)))
        return out

    def to_animation(self, n_frames: int = 15, dpi: int = 60, interval: int = 250,
                     start: float = START_AT) -> StartFrameAnimation:
        """A matplotlib animation of the run (top: images so far; bottom: p(x_i = 1 | x_<i) so far).

        Show it in a page with ``IPython.display.HTML(anim.to_jshtml())``; few frames and a small
        ``dpi`` keep the page light. The page opens on the frame a fraction ``start`` into the run,
        and the text is sized to be ``TEXT_PX`` high as rendered in a ``COLUMN_PX`` column
        (an image wider than the column is shrunk to fit it).
        """

        D = len(self.order)
        steps = sorted({min(D - 1, round(j * (D - 1) / max(n_frames - 1, 1))) for j in range(n_frames)})
        frames = self.frames(steps)
        k = len(self.x)
        figsize = (1.9 * k + 0.4, 4.4)
        shrink = min(1.0, COLUMN_PX / (figsize[0] * dpi))  # how much the page shrinks the image
        pt = TEXT_PX * 72 / (dpi * shrink)  # font size in points that renders TEXT_PX high
        fig, axes = plt.subplots(2, k, figsize=figsize, squeeze=False, dpi=dpi)
        cmap_x = plt.get_cmap("gray_r").with_extremes(bad="#cfe3f3")  # 1 = black ink; blue: not drawn yet
        cmap_p = plt.get_cmap("viridis").with_extremes(bad="#ffffff")
        ims = []
        for j in range(k):
            ims.append((axes[0, j].imshow(frames[0][0][j], cmap=cmap_x, vmin=0, vmax=1),
                        axes[1, j].imshow(frames[0][1][j], cmap=cmap_p, vmin=0, vmax=1)))
            for ax in axes[:, j]:  # a thin frame, so that white (0) pixels show where the image ends
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_color("#bbbbbb")
        axes[0, 0].set_title("sample so far (blue: not yet)", fontsize=pt, loc="left")
        axes[1, 0].set_title("p(x_i = 1 | x_<i)", fontsize=pt, loc="left")
        title = fig.suptitle("", fontsize=pt)
        fig.tight_layout()

        def show(f):
            xs, ps = frames[f]
            for j, (ix, ip) in enumerate(ims):
                ix.set_data(xs[j])
                ip.set_data(ps[j])
            title.set_text(f"after {steps[f] + 1} of {D} pixels")
            return [a for pair in ims for a in pair] + [title]

        first = min(len(steps) - 2, round(start * (len(steps) - 1))) if len(steps) > 1 else 0
        anim = StartFrameAnimation(fig, show, frames=len(steps), interval=interval, blit=False,
                                   start_frame=max(first, 0))
        anim.text_px = pt * dpi * shrink / 72  # the height of its text as rendered in the page
        plt.close(fig)
        return anim
