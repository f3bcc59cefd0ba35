"""FilterExplorer: a 3x3 filter over an MNIST digit, computed live in the page.

    from arlib.widgets import FilterExplorer
    FilterExplorer(digits, labels=labels)

``digits``: a few binary 28x28 images ``(N, 784)`` or ``(N, 28, 28)``. Edit the nine weights
(or pick a preset: smoothing, edges, sharpen) and pick a digit; the page convolves the digit
with the filter (cross-correlation with zero padding 1, exactly ``F.conv2d(x, w, padding=1)``)
and shows the output map.  The readout holds the filter, the digit and a checksum of the
output (sum, sum of |values|, min, max, four values) that ``expected_readout`` recomputes
with ``torch.nn.functional.conv2d``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import traitlets

from arlib.lessons.conv import FILTERS, PROBES, filter_checksum

from .base import Explorer

__all__ = ["FilterExplorer"]


def _digits(digits: Any) -> np.ndarray:
    if hasattr(digits, "detach"):
        digits = digits.detach().cpu().numpy()
    a = np.asarray(digits, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(-1, 28, 28)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        raise ValueError(f"digits must be N images of 28x28 pixels ((N, 784), (N, 28, 28) or (N, 1, 28, 28)); got {a.shape}")
    if len(a) == 0:
        raise ValueError("give at least one digit")
    if not np.all((a == 0) | (a == 1)):
        raise ValueError("digits must be binary images (0s and 1s)")
    return a


class FilterExplorer(Explorer):
    """Edit a 3x3 filter or pick a preset; the filtered digit is computed in the page."""

    _js_file = "filter.js"

    digits = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # N x 784, 0/1
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    preset_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    preset_kernels = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)  # 9 values each
    kernel = traitlets.List(traitlets.Float()).tag(sync=True)  # the current filter, row-major
    digit = traitlets.Int(0).tag(sync=True)
    probes = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)

    def __init__(self, digits: Any, labels: Any = None, kernel: Any = None, digit: int = 0,
                 presets: dict[str, Any] | None = None, **kwargs: Any) -> None:
        a = _digits(digits)
        presets = FILTERS if presets is None else presets
        names, kernels = [], []
        for name, k in presets.items():
            k = np.asarray(k, dtype=np.float64)
            if k.shape != (3, 3):
                raise ValueError(f"preset {name!r} must be a 3x3 filter, got shape {k.shape}")
            names.append(str(name))
            kernels.append(k.reshape(-1).tolist())
        if kernel is None:
            kernel = kernels[0] if kernels else np.eye(3)[1].tolist()
        k = np.asarray(kernel, dtype=np.float64)
        if k.size != 9 or not np.all(np.isfinite(k)):
            raise ValueError(f"kernel must be 9 finite numbers (a 3x3 filter), got {k.shape}")
        if not 0 <= int(digit) < len(a):
            raise ValueError(f"digit must be in [0, {len(a) - 1}], got {digit}")
        lab = [-1] * len(a) if labels is None else [int(v) for v in np.asarray(labels).reshape(-1)]
        if len(lab) != len(a):
            raise ValueError(f"{len(lab)} labels for {len(a)} digits")
        super().__init__(digits=a.reshape(len(a), -1).astype(int).tolist(), labels=lab, preset_names=names,
                         preset_kernels=kernels, kernel=k.reshape(-1).tolist(), digit=int(digit),
                         probes=[list(p) for p in PROBES], **kwargs)

    # ------------------------------------------------------------------ exact numbers
    @staticmethod
    def output(digit: list[int] | np.ndarray, kernel: list[float] | np.ndarray) -> np.ndarray:
        """``F.conv2d(digit, kernel, padding=1)`` in float64: the map the page draws."""

        x = torch.as_tensor(np.asarray(digit, dtype=np.float64).reshape(1, 1, 28, 28))
        w = torch.as_tensor(np.asarray(kernel, dtype=np.float64).reshape(1, 1, 3, 3))
        return F.conv2d(x, w, padding=1)[0, 0].numpy()

    def readout(self, digit: int | None = None, kernel: list[float] | None = None) -> dict:
        """The checksum the page shows for this digit and filter (default: the current ones)."""
        d = self.digit if digit is None else int(digit)
        k = self.kernel if kernel is None else kernel
        return filter_checksum(self.output(self.digits[d], k), [tuple(p) for p in self.probes])

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        d = int(readout["digit"])
        out = cls.output(state["digits"][d], readout["kernel"])
        return filter_checksum(out, [tuple(p) for p in state["probes"]])
