"""NadeWeightsExplorer: inside one NADE conditional, the shared weights and the running sum.

    from arlib.widgets import NadeWeightsExplorer
    NadeWeightsExplorer(nade, x_test[:4])          # a raster-order NADE on 784 pixels

Pick pixel i (the slider, or click a map) and a digit: the page highlights the columns of W that
feed h_i (columns 1 .. i-1; bright where x_j = 1, since W[:, j] x_j is zero otherwise), and
computes, for the ``shown`` hidden units with the largest output weights (the knob H, up to
``max_units``), the running sum a_i = c + W[:, <i] x_<i, h_i = sigmoid(a_i) and each unit's
share V_ik h_ik of the logit; the rest of the logit (the other hidden units) and
p(x_i = 1 | x_<i) come from the model's logits, computed in Python for each digit.

The page holds the model's weights as float16 (the book's checkpoints are stored in float16,
so for them this is exact; for other models the explorer shows, and computes the logits of,
the float16-rounded model: ``rounded`` says whether anything changed). The readout
(``data-readout``) carries the knobs (``digit``, ``pixel`` = i - 1, 0-based, ``shown``) and the
numbers at full precision; ``expected_readout`` recomputes them from the state, in the same
order, for the browser test.
"""
from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import torch
import traitlets

from arlib.models import NADE
from arlib.models.nade import running_sum_logits

from .base import Explorer

__all__ = ["NadeWeightsExplorer"]

SIDE = 28  # the page draws 28 x 28 images
N = SIDE * SIDE
MAX_DIGITS = 8


def _f16(a: torch.Tensor) -> str:
    """A tensor as base64 of little-endian float16, row-major."""
    arr = a.detach().cpu().to(torch.float16).numpy().astype("<f2")
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def _unf16(s: str, rows: int) -> np.ndarray:
    """What the page decodes: base64 float16 as a float64 array of ``rows`` rows."""
    return np.frombuffer(base64.b64decode(s), dtype="<f2").astype(np.float64).reshape(rows, -1)


class NadeWeightsExplorer(Explorer):
    """Pick pixel i: the columns of W in use, the running sum a_i, h_i and p(x_i = 1 | x_<i)."""

    _js_file = "nade_weights.js"

    H = traitlets.Int(1).tag(sync=True)  # hidden units of the whole model
    units = traitlets.List(traitlets.Int()).tag(sync=True)  # the embedded units, largest ||V[:, k]|| first
    W16 = traitlets.Unicode("").tag(sync=True)  # W[units] as float16, (K, 784), base64
    V16 = traitlets.Unicode("").tag(sync=True)  # V[:, units].T as float16, (K, 784), base64
    c = traitlets.List(traitlets.Float()).tag(sync=True)  # c[units]
    b = traitlets.List(traitlets.Float()).tag(sync=True)  # all 784 output biases
    digits = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # (D, 784) of 0/1
    logits = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)  # the model's, (D, 784)
    digit = traitlets.Int(0).tag(sync=True)
    pixel = traitlets.Int(300).tag(sync=True)  # 0-based: i - 1 in the lecture's 1-based counting
    shown = traitlets.Int(16).tag(sync=True)  # the knob H: how many of the embedded units are shown

    def __init__(self, model: NADE, digits: Any, *, pixel: int = 300, shown: int = 16,
                 max_units: int = 64, digit: int = 0, **kwargs: Any) -> None:
        if not isinstance(model, NADE):
            raise ValueError(f"model must be an arlib.models.NADE, got {type(model).__name__}")
        if model.D != N or not torch.equal(model.order.cpu(), torch.arange(N)):
            raise ValueError(f"the explorer draws 28 x 28 images in raster order: model must be a NADE "
                             f"on {N} pixels with the default order, got D = {model.D}"
                             + ("" if model.D != N else " and another order"))
        x = torch.as_tensor(np.asarray(digits.detach().cpu() if hasattr(digits, "detach") else digits),
                            dtype=torch.float64)
        x = x.reshape(1, -1) if x.ndim == 1 else x.reshape(x.shape[0], -1)
        if x.shape[1] != N or not 1 <= x.shape[0] <= MAX_DIGITS:
            raise ValueError(f"digits must be 1 to {MAX_DIGITS} images of {N} pixels, e.g. x_test[:4]; "
                             f"got shape {tuple(x.shape)}")
        if not torch.all((x == 0) | (x == 1)):
            raise ValueError("digits must be binary (0s and 1s); binarize them first, e.g. (x > 0.5)")
        if not isinstance(max_units, int) or not 1 <= max_units <= model.H:
            raise ValueError(f"max_units must be an int in [1, H = {model.H}], got {max_units!r}")
        if not isinstance(shown, int) or not 1 <= shown <= max_units:
            raise ValueError(f"shown must be an int in [1, max_units = {max_units}], got {shown!r}")
        if not isinstance(pixel, int) or not 0 <= pixel < N - 1:
            raise ValueError(f"pixel must be an int in [0, {N - 2}] (0-based, i - 1; not the last, so that "
                             f"the slider can move right), got {pixel!r}")
        if not isinstance(digit, int) or not 0 <= digit < x.shape[0]:
            raise ValueError(f"digit must be an int in [0, {x.shape[0] - 1}], got {digit!r}")
        # the float16 model the page holds, in float64
        W, c, V, b = (p.detach().cpu().to(torch.float16).double() for p in (model.W, model.c, model.V, model.b))
        self.rounded = any(not torch.equal(q, p.detach().cpu().double())
                           for q, p in zip((W, c, V, b), (model.W, model.c, model.V, model.b)))
        with torch.no_grad():
            logits = running_sum_logits(x, W, c, V, b)
        units = torch.argsort(V.norm(dim=0), descending=True, stable=True)[:max_units]
        super().__init__(H=model.H, units=units.tolist(), W16=_f16(W[units]), V16=_f16(V[:, units].T),
                         c=c[units].tolist(), b=b.tolist(), digits=x.long().tolist(),
                         logits=logits.tolist(), digit=digit, pixel=pixel, shown=shown, **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def compute(state: dict, digit: int, pixel: int, shown: int) -> dict:
        """The page's numbers for one digit, pixel and number of units shown, in the page's order."""
        K = len(state["units"])
        if not (0 <= digit < len(state["digits"]) and 0 <= pixel < N and 1 <= shown <= K):
            raise ValueError(f"digit {digit}, pixel {pixel} or shown {shown} is out of range")
        W, V = _unf16(state["W16"], K), _unf16(state["V16"], K)
        x, logit = state["digits"][digit], state["logits"][digit][pixel]
        a, h, parts = [], [], []
        for k in range(shown):
            s = float(state["c"][k])
            for j in range(pixel):  # a_i = c + sum_{j < i} W[:, j] x_j, left to right
                if x[j]:
                    s += float(W[k, j])
            a.append(s)
            h.append(1.0 / (1.0 + math.exp(-s)))
            parts.append(float(V[k, pixel]) * h[-1])
        contrib = 0.0
        for v in parts:
            contrib += v
        bias = float(state["b"][pixel])
        p = 1.0 / (1.0 + math.exp(-logit))
        xi = int(x[pixel])
        used = sum(x[:pixel])
        return {"digit": digit, "pixel": pixel, "shown": shown, "i": pixel + 1, "x_i": xi,
                "units": [int(u) for u in state["units"][:shown]], "a": a, "h": h, "parts": parts,
                "contrib": contrib, "b_i": bias, "rest": logit - bias - contrib, "logit": logit, "p": p,
                "nats": -math.log(p if xi == 1 else 1.0 - p), "columns": pixel, "active_columns": used}

    def readout(self, **changes: Any) -> dict:
        """The numbers the page shows now (or for ``digit=``, ``pixel=``, ``shown=`` instead)."""
        s = {"digit": self.digit, "pixel": self.pixel, "shown": self.shown, **changes}
        return self.compute(self.get_state(), s["digit"], s["pixel"], s["shown"])

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        return cls.compute(state, int(readout["digit"]), int(readout["pixel"]), int(readout["shown"]))
