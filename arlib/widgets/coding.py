"""CodingExplorer: arithmetic coding of one test digit, pixel by pixel, with a model's conditionals.

    CodingExplorer.from_models({"NADE": nade, "PixelCNN": pixelcnn}, x)   # x: K binary digits

``from_models`` runs each model's own ancestral loop (``generate``, the loop ``arlib.compress`` codes
with) with the true pixels fed back, and records p(x_i = 1 | x_<i) of every step, quantized to
``precision``-bit integers q (1 <= q < 2^precision, so no value ever has probability 0). The page then
runs an exact arithmetic coder on them (JavaScript BigInt, no rounding): after t pixels the coding
interval is [low, low + width) / 2^(precision t); the settled bits are the leading bits that low and
low + width - 1 share (they can no longer change: they "came out"), and the code length is the fewest
bits of a binary fraction whose whole cell lies inside the interval. Pick a model and a digit, step
through the pixels and watch the interval narrow.

Readout: {model, digit, step, pixel, value, p, pixel_bits, ideal_bits, settled_bits, code_bits, emitted_tail}
(after ``step`` pixels; ``pixel`` is the last pixel coded, -1 at step 0; ``emitted_tail`` the last 48
settled bits). ``interval`` computes the same in Python with exact integers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import traitlets

from .base import Explorer, as_float_array

TAIL = 48  # settled bits shown at the end of the readout


def quantize(p1: Any, precision: int) -> np.ndarray:
    """p(x_i = 1) as integers q1 out of 2^precision, clamped to [1, 2^precision - 1]."""
    top = 1 << precision
    return np.clip(np.rint(as_float_array("p1", p1) * top), 1, top - 1).astype(np.int64)


def code_length(low: int, width: int, scale_bits: int) -> int:
    """Fewest bits k such that some cell [m, m + 1) / 2^k lies inside [low, low + width) / 2^scale_bits."""
    k = max(0, scale_bits - width.bit_length())
    while True:
        if k <= scale_bits:
            s = scale_bits - k
            m = -((-low) >> s)  # ceil(low / 2^s)
            if (m + 1) << s <= low + width:
                return k
        else:
            return k  # a cell of 2^-k with k > scale_bits always fits when width >= 1
        k += 1


class CodingExplorer(Explorer):
    """The arithmetic coder's interval and bits, step by step, for several models and digits."""

    _js_file = "coding.js"

    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    q1 = traitlets.List(traitlets.List(traitlets.List(traitlets.Int()))).tag(sync=True)  # [model][digit][step]
    orders = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # [model][step] = pixel
    digits = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # [digit][pixel]
    precision = traitlets.Int(16).tag(sync=True)
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    model = traitlets.Int(0).tag(sync=True)
    digit = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, names: list[str], q1: Any, digits: Any, orders: Any, *, precision: int = 16,
                 shape: tuple[int, int] = (28, 28), model: int = 0, digit: int = 0, step: int | None = None,
                 **kwargs: Any) -> None:
        names = [str(n) for n in names]
        h, w = int(shape[0]), int(shape[1])
        D = h * w
        x = as_float_array("digits", digits).reshape(-1, D)
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("digits must be binary (0s and 1s)")
        q = as_float_array("q1", q1)
        M, K = len(names), x.shape[0]
        if q.shape != (M, K, D):
            raise ValueError(f"q1 has shape {q.shape}; expected (models, digits, steps) = ({M}, {K}, {D})")
        if not (1 <= precision <= 30):
            raise ValueError(f"precision must be in [1, 30] bits, got {precision}")
        if np.any(q < 1) or np.any(q >= 1 << precision) or np.any(q != np.round(q)):
            raise ValueError(f"q1 must be integers in [1, 2^{precision} - 1]: use quantize()")
        o = as_float_array("orders", orders).astype(np.int64).reshape(M, D)
        for j in range(M):
            if not np.array_equal(np.sort(o[j]), np.arange(D)):
                raise ValueError(f"orders[{j}] ({names[j]}) must be a permutation of range({D})")
        step = D // 2 if step is None else int(step)
        if not (0 <= int(model) < M and 0 <= int(digit) < K and 0 <= step <= D):
            raise ValueError(f"model, digit, step = {model}, {digit}, {step} out of range ({M} models, {K} digits, "
                             f"steps 0..{D})")
        super().__init__(names=names, q1=q.astype(np.int64).tolist(), orders=o.tolist(),
                         digits=x.astype(np.int64).tolist(), precision=int(precision), height=h, width=w,
                         model=int(model), digit=int(digit), step=step, **kwargs)

    @classmethod
    def from_models(cls, models: dict, x: Any, precision: int = 16, **kwargs: Any) -> "CodingExplorer":
        """Record p(x_i = 1 | x_<i) of every step of each model's ``generate`` loop on binary digits ``x`` (K, D)."""

        first = next(iter(models.values()))
        D = first.D
        side = math.isqrt(D)
        xt = torch.as_tensor(as_float_array("x", x), dtype=torch.float32).reshape(-1, D)
        if xt.shape[0] > 8:
            raise ValueError(f"x holds {xt.shape[0]} digits; give at most 8 (the page embeds every probability)")
        names, q1, orders = [], [], []
        for name, model in models.items():
            if not model.binary or model.D != D:
                raise ValueError(f"{name}: the explorer codes binary models of {D} values")
            K = xt.shape[0]
            p = torch.zeros(K, D, dtype=torch.float64)
            xs = xt.to(model.dtype)

            def choose(i, logits, xs=xs, p=p):
                p[:, i] = torch.sigmoid(logits.detach().double().cpu())
                return xs[:, i].to(logits.device)

            with torch.no_grad():
                model.generate(K, choose)
            order = model.order.cpu().numpy()
            names.append(str(name))
            q1.append(quantize(p.numpy()[:, order], precision))
            orders.append(order)
        return cls(names, np.stack(q1), xt.numpy(), np.stack(orders), precision=precision, shape=(side, side),
                   **kwargs)

    # ------------------------------------------------------------------ exact numbers
    @staticmethod
    def interval(q1: list[int], values: list[int], precision: int, steps: int) -> tuple[int, int, int]:
        """(low, width, scale_bits) after coding ``steps`` values: the interval is [low, low + width) / 2^scale_bits.
        The 0 of each pixel takes the lower part, of size q0 = 2^precision - q1; the 1 the upper part."""
        top = 1 << precision
        low, width = 0, 1
        for t in range(steps):
            q = q1[t]
            low = (low << precision) + (width * (top - q) if values[t] else 0)
            width *= q if values[t] else top - q
        return low, width, precision * steps

    @classmethod
    def compute(cls, state: dict, model: int, digit: int, step: int) -> dict:
        """The readout, computed as coding.js does (exact integers; the bit counts summed in the same order)."""
        P = state["precision"]
        order = state["orders"][model]
        q1 = state["q1"][model][digit]
        x = state["digits"][digit]
        values = [x[i] for i in order]
        top = 1 << P
        ideal = 0.0
        for t in range(step):
            ideal += -math.log2((q1[t] if values[t] else top - q1[t]) / top)
        low, width, S = cls.interval(q1, values, P, step)
        settled = S - (low ^ (low + width - 1)).bit_length()
        bits = format(low, "b").zfill(S)[:settled] if S else ""
        out = {"model": state["names"][model], "digit": digit, "step": step, "pixel": -1, "value": None, "p": None,
               "pixel_bits": None, "ideal_bits": ideal, "settled_bits": settled,
               "code_bits": code_length(low, width, S), "emitted_tail": bits[-TAIL:]}
        if step > 0:
            t = step - 1
            p = (q1[t] if values[t] else top - q1[t]) / top
            out.update(pixel=order[t], value=values[t], p=p, pixel_bits=-math.log2(p))
        return out

    def readout(self, model: int | None = None, digit: int | None = None, step: int | None = None) -> dict:
        """The numbers the page shows (default: the widget's knobs)."""
        return self.compute(self.get_state(), self.model if model is None else int(model),
                            self.digit if digit is None else int(digit), self.step if step is None else int(step))

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        return cls.compute(state, state["names"].index(readout["model"]), int(readout["digit"]), int(readout["step"]))
