"""PixelBitsExplorer: the bits each pixel costs under a model of independent Bernoulli pixels.

    from arlib.widgets import PixelBitsExplorer
    PixelBitsExplorer(theta=theta_hat, x=x_example)

``theta_hat``: per-pixel Bernoulli parameters p(x_i = 1), 784 values (a 28x28 image; other
sizes with ``shape=(H, W)`` or a 2-D array); ``x_example``: a binary image of the same size.
Pick a pixel (sliders, or click a map) to read theta_i, the bits -log2 p(x_i) it costs to
encode this example's x_i, the expected bits H(theta_i), and its share of -log2 p(x).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import traitlets

from .base import Explorer, as_float_array


class PixelBitsExplorer(Explorer):
    """Heatmap of theta, the example, and its per-pixel bits; pick a pixel to read its numbers."""

    _js_file = "pixel_bits.js"

    theta = traitlets.List(traitlets.Float()).tag(sync=True)  # row-major, height*width values
    x = traitlets.List(traitlets.Int()).tag(sync=True)  # 0/1, same layout
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    row = traitlets.Int(14).tag(sync=True)  # the selected pixel (the page updates these)
    col = traitlets.Int(14).tag(sync=True)

    def __init__(self, theta: Any, x: Any, *, shape: tuple[int, int] | None = None,
                 row: int | None = None, col: int | None = None, **kwargs: Any) -> None:
        t, xs = as_float_array("theta", theta), as_float_array("x", x)
        if shape is None:
            if t.ndim == 2:
                shape = t.shape
            elif t.size == 784:
                shape = (28, 28)
            else:
                raise ValueError(
                    f"theta has {t.size} values; expected 784 (a 28x28 image) or a 2-D array. "
                    "For another size pass shape=(height, width).")
        h, w = int(shape[0]), int(shape[1])
        if t.size != h * w:
            raise ValueError(f"theta has {t.size} values but shape {h}x{w} needs {h * w}")
        if xs.size != t.size:
            raise ValueError(f"x has {xs.size} values but theta has {t.size}; they must match")
        t, xs = t.reshape(-1), xs.reshape(-1)
        bad = np.flatnonzero(~np.isfinite(t) | (t < 0) | (t > 1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"theta must be probabilities in [0, 1]; theta[{i}] = {float(t[i])!r} "
                f"(pixel row {i // w}, col {i % w}), {bad.size} bad value(s) in all")
        bad = np.flatnonzero((xs != 0) & (xs != 1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"x must be a binary image (0s and 1s); x[{i}] = {float(xs[i])!r}. "
                             "Binarize it first, e.g. (x > 0.5)")
        xi = xs.astype(np.int64)
        impossible = np.flatnonzero(np.where(xi == 1, t, 1 - t) == 0)
        if impossible.size:
            where = ", ".join(f"({i // w}, {i % w})" for i in impossible[:5])
            raise ValueError(
                f"x has probability 0 under theta at {impossible.size} pixel(s) (row, col): "
                f"{where}{' ...' if impossible.size > 5 else ''}; -log2 p(x) would be infinite. "
                "Smooth theta (e.g. add-one: (count + 1) / (N + 2)) or pick another x.")
        row = h // 2 if row is None else int(row)
        col = w // 2 if col is None else int(col)
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"(row, col) = ({row}, {col}) is outside the {h}x{w} image")
        super().__init__(theta=t.tolist(), x=xi.tolist(), height=h, width=w,
                         row=row, col=col, **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def pixel_readout(theta: list[float], x: list[int], width: int, row: int, col: int) -> dict:
        """The readout of pixel (row, col), with the formulas pixel_bits.js uses, in bits."""
        def bits(t: float, xi: int) -> float:
            return -math.log2(t if xi == 1 else 1 - t)

        total = 0.0
        for t, xi in zip(theta, x):  # index order, as the page sums
            total += bits(t, xi)
        i = row * width + col
        t, xi = theta[i], x[i]
        entropy = 0.0
        if t > 0:
            entropy -= t * math.log2(t)
        if t < 1:
            entropy -= (1 - t) * math.log2(1 - t)
        b = bits(t, xi)
        return {"row": row, "col": col, "theta": t, "x": xi, "p": t if xi == 1 else 1 - t,
                "bits": b, "entropy": entropy, "share": b / total if total > 0 else 0.0,
                "total_bits": total}

    def readout(self, row: int | None = None, col: int | None = None) -> dict:
        """The numbers the page shows for pixel (row, col) (default: the selected pixel)."""
        row = self.row if row is None else row
        col = self.col if col is None else col
        if not (0 <= row < self.height and 0 <= col < self.width):
            raise ValueError(f"(row, col) = ({row}, {col}) is outside the "
                             f"{self.height}x{self.width} image")
        return self.pixel_readout(self.theta, self.x, self.width, row, col)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        return cls.pixel_readout(state["theta"], state["x"], state["width"],
                                 int(readout["row"]), int(readout["col"]))
