"""LikelihoodExplorer: where each model spends its nats, pixel by pixel.

    LikelihoodExplorer.from_models({"PixelCNN": pixelcnn, "NADE": nade}, x)   # x: K binary digits

For every model and test digit, one forward pass gives the logits of all D conditionals, and
the NLL splits exactly into D terms ``-log p(x_i | x_<i)`` (nats), whose sum is ``-log p(x)``.
``from_models`` computes them (and checks that the sum is the model's ``log_prob``); the page
then shows, with no kernel, the digit, a heatmap of the D terms on a colour scale shared by all
models, the running total in the model's generation order, the total in nats and bits/dim, and
for a picked pixel its term and the running total up to it. Compare mode shows the difference
of two models' maps (red: the first model pays more).

Readout: {model, digit, total_nats, bits_per_dim, pixel, pixel_nats, cumulative_nats,
compare, compare_total_nats} (``compare`` is the second model's name or None).
The terms are stored with 3 decimals, rounded so that every running total is exact to 0.0005
nats (``_round_keeping_sums``); the readout sums the stored numbers, in the page and in
``readout`` alike, one by one in order, so the two agree exactly.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets

from .base import Explorer, as_float_array

DIGITS = 3  # terms are stored rounded to this many decimals (nats)
MAX_STATE_BYTES = 600_000  # the terms' JSON must stay under this (the page embeds the state)
SUM_TOL = 1e-3  # nats: the sum of the terms must equal -log p(x) to this


def _round_keeping_sums(terms: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """``terms`` (models, digits, D) rounded to DIGITS decimals so that every running total stays exact.

    Rounding each term alone would let the errors add up (784 terms of 0.6931... lose 0.1 nats);
    instead the running total in each model's order is rounded and the terms are its steps. Every
    stored term is then within 10^-DIGITS of the true one and every running total (the total
    included) within half of that.
    """
    out = np.empty_like(terms)
    for j, order in enumerate(orders):
        cum = np.round(np.cumsum(terms[j][:, order], axis=1), DIGITS)
        steps = np.round(np.diff(cum, axis=1, prepend=0.0), DIGITS)
        out[j][:, order] = steps
    return out + 0.0  # + 0.0: no -0.0 in the page


class LikelihoodExplorer(Explorer):
    """The per-pixel terms -log p(x_i | x_<i) of several models on a few digits."""

    _js_file = "likelihood.js"

    names = traitlets.List(traitlets.Unicode()).tag(sync=True)  # one per model
    terms = traitlets.List(traitlets.List(traitlets.List(traitlets.Float()))).tag(sync=True)  # [model][digit][pixel]
    orders = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # [model]: order[t] = pixel at step t
    digits = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # [digit][pixel], 0/1
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    vmax = traitlets.Float(1.0).tag(sync=True)  # top of the shared colour scale (nats)
    model = traitlets.Int(0).tag(sync=True)  # index into names
    digit = traitlets.Int(0).tag(sync=True)  # index into digits
    pixel = traitlets.Int(0).tag(sync=True)  # raster index of the picked pixel
    compare = traitlets.Int(-1).tag(sync=True)  # index of a second model, or -1

    def __init__(self, names: list[str], terms: Any, digits: Any, *, orders: Any = None,
                 shape: tuple[int, int] = (28, 28), model: int = 0, digit: int = 0,
                 pixel: int | None = None, compare: int = -1, **kwargs: Any) -> None:
        names = [str(n) for n in names]
        M = len(names)
        if M == 0:
            raise ValueError("names is empty: give at least one model")
        if len(set(names)) != M:
            raise ValueError(f"model names must be distinct, got {names}")
        h, w = int(shape[0]), int(shape[1])
        D = h * w
        x = as_float_array("digits", digits)
        if x.size == 0 or x.size % D:
            raise ValueError(f"digits has {x.size} values; expected a multiple of {D} (K binary {h}x{w} images)")
        x = x.reshape(-1, D)
        K = x.shape[0]
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("digits must be binary (0s and 1s): binarize them first")
        t = as_float_array("terms", terms)
        if t.shape != (M, K, D):
            raise ValueError(f"terms has shape {t.shape}; expected (models, digits, pixels) = ({M}, {K}, {D})")
        if not np.all(np.isfinite(t)):
            raise ValueError("terms must be finite: a model gave probability 0 to a pixel of a digit")
        if orders is None:
            o = np.tile(np.arange(D), (M, 1))
        else:
            o = as_float_array("orders", orders).astype(np.int64).reshape(M, -1)
            for j in range(M):
                if o.shape[1] != D or not np.array_equal(np.sort(o[j]), np.arange(D)):
                    raise ValueError(f"orders[{j}] ({names[j]}) must be a permutation of range({D})")
        t = _round_keeping_sums(t, o)
        size = len(json.dumps(t.tolist()))
        if size > MAX_STATE_BYTES:
            raise ValueError(f"{M} models x {K} digits x {D} pixels make {size:,} bytes of terms, over the "
                             f"{MAX_STATE_BYTES:,} the page may embed; pass fewer digits or models")
        vmax = float(np.round(max(np.quantile(t, 0.995), 0.01), 2))
        if not 0 <= int(model) < M:
            raise ValueError(f"model must be an index in [0, {M - 1}], got {model}")
        if not 0 <= int(digit) < K:
            raise ValueError(f"digit must be an index in [0, {K - 1}], got {digit}")
        if not (int(compare) == -1 or 0 <= int(compare) < M):
            raise ValueError(f"compare must be -1 (none) or an index in [0, {M - 1}], got {compare}")
        if pixel is None:  # the most expensive pixel of the first model and digit (not the last: a knob)
            pixel = min(int(np.argmax(t[int(model), int(digit)])), D - 2)
        if not 0 <= int(pixel) < D:
            raise ValueError(f"pixel must be a raster index in [0, {D - 1}], got {pixel}")
        super().__init__(names=names, terms=t.tolist(), orders=o.tolist(), digits=x.astype(np.int64).tolist(),
                         height=h, width=w, vmax=vmax, model=int(model), digit=int(digit), pixel=int(pixel),
                         compare=int(compare), **kwargs)

    # ------------------------------------------------------------------ from models

    @staticmethod
    def model_terms(model, x) -> tuple[np.ndarray, np.ndarray]:
        """(terms (K, D) in nats, order (D,)) of one binary arlib model on binary images ``x`` (K, D).

        One forward pass: terms = BCE(logits, x) per value. Checked against the model's own
        log-likelihood. Raises ValueError when the model is not a binary, unconditional model of D
        values or the sum disagrees (a mixture, such as a MADE mask ensemble, has no such terms).
        """

        name = type(model).__name__
        if not getattr(model, "binary", False):
            raise ValueError(f"{name} is not a binary model (num_values = {getattr(model, 'num_values', '?')}); "
                             "the explorer decomposes Bernoulli likelihoods only")
        if getattr(model, "conditional", False):
            raise ValueError(f"{name} is class-conditional; its forward needs labels y, so it has no "
                             "per-pixel decomposition of log p(x): pass an unconditional model")
        D = x.shape[1]
        if model.D != D:
            raise ValueError(f"{name} models {model.D} values per image but x has {D}")
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                xs = x.reshape(x.shape[0], *model.event_shape).to(device=model.device, dtype=model.dtype)
                reference = model.log_prob(xs)
                terms = -model.log_conditionals_from_logits(model(xs).double(), xs.double())
                terms = terms.cpu().numpy()
                order = model.order.cpu().numpy().copy()
        finally:
            model.train(was_training)
        gap = np.abs(terms.sum(1) + reference.double().cpu().numpy())
        if gap.max() > SUM_TOL:
            raise ValueError(f"{name}: the {D} per-pixel terms sum to {terms.sum(1)[gap.argmax()]:.4f} nats but "
                             f"-log p(x) = {-reference[gap.argmax()].item():.4f}; its forward does not give "
                             "the logits of log_prob")
        return terms, order

    @classmethod
    def from_models(cls, models: dict, x: Any, **kwargs: Any) -> "LikelihoodExplorer":
        """The explorer of ``models`` (name -> binary arlib model) on binary images ``x``
        ((K, D), (K, 1, H, W) or (K, H, W)). Keep K x len(models) small (e.g. 6 x 8)."""

        if not isinstance(models, dict) or not models:
            raise ValueError("models must be a non-empty dict {name: model}")
        first = next(iter(models.values()))
        es = tuple(getattr(first, "event_shape", ()))
        D = int(getattr(first, "D", 0))
        shape = es[-2:] if len(es) >= 2 else (math.isqrt(D),) * 2
        if shape[0] * shape[1] != D:
            raise ValueError(f"cannot lay {D} values out as a square image; build the explorer with shape=")
        xt = torch.as_tensor(as_float_array("x", x))
        if xt.dim() < 1 or xt.numel() == 0 or xt.numel() % D:
            raise ValueError(f"x has shape {tuple(xt.shape)}; expected K images of {D} values "
                             f"((K, {D}) or (K, 1, {shape[0]}, {shape[1]}))")
        xt = xt.reshape(-1, D)
        if xt.shape[0] > 16:
            raise ValueError(f"x holds {xt.shape[0]} images; give at most 16 (the page embeds every term)")
        if not torch.all((xt == 0) | (xt == 1)):
            raise ValueError("x must be binary (0s and 1s): the models are Bernoulli models of binarized digits")
        names, terms, orders = [], [], []
        for name, model in models.items():
            t, o = cls.model_terms(model, xt)
            names.append(str(name))
            terms.append(t)
            orders.append(o)
        return cls(names, np.stack(terms), xt.numpy(), orders=np.stack(orders), shape=shape, **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def compute(names: list, terms: list, orders: list, width: int, height: int, model: int, digit: int,
                pixel: int, compare: int = -1) -> dict:
        """The readout: the same sums, in the same order, as likelihood.js."""
        t = terms[model][digit]
        D = width * height
        total = 0.0
        for v in t:
            total += v
        order = orders[model]
        cum = 0.0
        for i in order:
            cum += t[i]
            if i == pixel:
                break
        out = {"model": names[model], "digit": digit, "total_nats": total,
               "bits_per_dim": total / (D * math.log(2)), "pixel": pixel, "pixel_nats": t[pixel],
               "cumulative_nats": cum, "compare": None, "compare_total_nats": None}
        if compare >= 0:
            c = 0.0
            for v in terms[compare][digit]:
                c += v
            out["compare"] = names[compare]
            out["compare_total_nats"] = c
        return out

    def readout(self, model: int | None = None, digit: int | None = None, pixel: int | None = None,
                compare: int | None = None) -> dict:
        """The numbers the page shows (default: the widget's knobs)."""
        m = self.model if model is None else int(model)
        k = self.digit if digit is None else int(digit)
        p = self.pixel if pixel is None else int(pixel)
        c = self.compare if compare is None else int(compare)
        if not 0 <= m < len(self.names):
            raise ValueError(f"model must be in [0, {len(self.names) - 1}], got {m}")
        if not 0 <= k < len(self.digits):
            raise ValueError(f"digit must be in [0, {len(self.digits) - 1}], got {k}")
        if not 0 <= p < self.height * self.width:
            raise ValueError(f"pixel must be in [0, {self.height * self.width - 1}], got {p}")
        if not (c == -1 or 0 <= c < len(self.names)):
            raise ValueError(f"compare must be -1 or in [0, {len(self.names) - 1}], got {c}")
        return self.compute(self.names, self.terms, self.orders, self.width, self.height, m, k, p, c)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        names = state["names"]
        m = names.index(readout["model"])
        c = -1 if readout.get("compare") is None else names.index(readout["compare"])
        return cls.compute(names, state["terms"], state["orders"], state["width"], state["height"], m,
                           int(readout["digit"]), int(readout["pixel"]), c)

    # ------------------------------------------------------------------ static view

    def plot(self, digit: int | None = None, ncols: int = 4):
        """A matplotlib figure: the digit, then one heatmap of -log p(x_i | x_<i) per model (shared
        colour scale), each titled with its total in nats and bits/dim."""

        k = self.digit if digit is None else int(digit)
        M = len(self.names)
        n = M + 1
        ncols = min(ncols, n)
        nrows = math.ceil(n / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.9 * nrows), squeeze=False)
        axes = axes.ravel()
        axes[0].imshow(np.asarray(self.digits[k]).reshape(self.height, self.width), cmap="gray_r", vmin=0, vmax=1)
        axes[0].set_title(f"test digit {k}", fontsize=9)
        im = None
        for j in range(M):
            r = self.readout(model=j, digit=k, pixel=0, compare=-1)
            im = axes[j + 1].imshow(np.asarray(self.terms[j][k]).reshape(self.height, self.width),
                                    cmap="viridis", vmin=0, vmax=self.vmax)
            title = f"{textwrap.fill(self.names[j], 28)}\n{r['total_nats']:.1f} nats, {r['bits_per_dim']:.3f} bits/dim"
            axes[j + 1].set_title(title, fontsize=8)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in axes[n:]:
            ax.set_axis_off()
        fig.colorbar(im, ax=list(axes[:n]), fraction=0.02, label="-log p(x_i | x_<i) (nats)")
        return fig
