"""CompletionExplorer: image completions sampled from a PixelRNN, precomputed, switched in the page.

    from arlib.widgets import CompletionExplorer
    CompletionExplorer.from_model(model, digits, labels, rows_options=(7, 10, 14, 18, 21), n_samples=6)

Pick a test digit and how many of its top rows the model is given; the page shows the given
rows, the original, several completions sampled by the model and their pixel-wise mean.  The
completions are sampled in Python (``PixelRNN.complete``) for every digit x row count and
passed as 0/1 strings; the page only switches between them.  The readout holds the choice and
numbers computed in the page from the stored data (NLL of the given rows under the model, mean
NLL of the completions, ink and agreement with the original in the completed part), which
``expected_readout`` recomputes.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import traitlets

from .base import Explorer

__all__ = ["CompletionExplorer"]


def _bits(a: np.ndarray) -> str:
    return "".join("1" if v else "0" for v in np.asarray(a).reshape(-1))


class CompletionExplorer(Explorer):
    """Choose a digit and the number of given rows; see several sampled completions."""

    _js_file = "completion.js"

    side = traitlets.Int(28).tag(sync=True)
    originals = traitlets.List(traitlets.Unicode()).tag(sync=True)  # one 0/1 string per digit
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    rows_options = traitlets.List(traitlets.Int()).tag(sync=True)
    completions = traitlets.List(traitlets.List(traitlets.List(traitlets.Unicode()))).tag(sync=True)  # [d][r][s]
    nll_given = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)  # [d][r], nats
    nll_samples = traitlets.List(traitlets.List(traitlets.List(traitlets.Float()))).tag(sync=True)  # [d][r][s], nats
    digit = traitlets.Int(0).tag(sync=True)
    rows_index = traitlets.Int(0).tag(sync=True)

    def __init__(self, originals: Any, completions: Any, rows_options: Sequence[int], labels: Any = None,
                 nll_given: Any = None, nll_samples: Any = None, digit: int = 0, rows_index: int | None = None,
                 side: int = 28, **kwargs: Any) -> None:
        """``originals`` ``(D, side*side)`` 0/1; ``completions`` ``(D, R, S, side*side)`` 0/1 for the
        ``R = len(rows_options)`` row counts; NLLs in nats ``(D, R)`` and ``(D, R, S)`` (optional)."""
        o = np.asarray(originals.detach().cpu() if hasattr(originals, "detach") else originals).reshape(-1, side * side)
        c = np.asarray(completions.detach().cpu() if hasattr(completions, "detach") else completions)
        D, R = o.shape[0], len(rows_options)
        if c.ndim < 3 or c.shape[:2] != (D, R):
            raise ValueError(f"completions must be shaped (digits={D}, rows options={R}, samples, {side * side}); "
                             f"got {c.shape}")
        c = c.reshape(D, R, c.shape[2], side * side)
        for name, a in (("originals", o), ("completions", c)):
            if not np.all((a == 0) | (a == 1)):
                raise ValueError(f"{name} must be binary (0s and 1s)")
        rows = [int(r) for r in rows_options]
        if any(not 0 <= r <= side for r in rows):
            raise ValueError(f"rows_options must be in [0, {side}], got {rows}")
        given_ok = all(np.array_equal(c[d, i, s, : r * side], o[d, : r * side])
                       for d in range(D) for i, r in enumerate(rows) for s in range(c.shape[2]))
        if not given_ok:
            raise ValueError("every completion must keep the given rows of its original")
        S = c.shape[2]
        ng = np.zeros((D, R)) if nll_given is None else np.asarray(nll_given, dtype=np.float64).reshape(D, R)
        ns = np.zeros((D, R, S)) if nll_samples is None else np.asarray(nll_samples, dtype=np.float64).reshape(D, R, S)
        lab = [-1] * D if labels is None else [int(v) for v in np.asarray(labels).reshape(-1)]
        if rows_index is None:
            rows_index = rows.index(14) if 14 in rows else R // 2
        super().__init__(
            side=side, originals=[_bits(x) for x in o], labels=lab, rows_options=rows,
            completions=[[[_bits(c[d, i, s]) for s in range(S)] for i in range(R)] for d in range(D)],
            nll_given=ng.tolist(), nll_samples=ns.tolist(), digit=int(digit), rows_index=int(rows_index), **kwargs)

    @classmethod
    def from_model(cls, model, digits, labels=None, rows_options: Sequence[int] = (7, 10, 14, 18, 21),
                   n_samples: int = 6, seed: int = 0, **kwargs: Any) -> "CompletionExplorer":
        """Sample the completions with ``model.complete`` (a PixelRNN, or any model with the same
        ``complete(x_top, rows_given, n_samples, generator)``) and score them with ``model.log_prob``."""

        x = torch.as_tensor(digits, dtype=torch.float32).reshape(-1, *model.event_shape)
        D, side = x.shape[0], model.event_shape[-1]
        g = torch.Generator().manual_seed(seed)
        comps, ng, ns = [], [], []
        with torch.no_grad():
            per_pixel = model.log_conditionals_from_logits(model(x), x)  # log p(x_t | x_<t) of the originals
            for r in rows_options:
                c = model.complete(x, int(r), n_samples, generator=g)  # (D, S, 1, side, side)
                comps.append(c.reshape(D, n_samples, -1))
                ng.append(-per_pixel[:, : int(r) * side].sum(1))
                ns.append(-model.log_prob(c.reshape(-1, *model.event_shape)).reshape(D, n_samples))
        return cls(x.reshape(D, -1).numpy(), torch.stack(comps, 1).numpy(), rows_options, labels=labels,
                   nll_given=torch.stack(ng, 1).numpy(), nll_samples=torch.stack(ns, 1).numpy(), side=side, **kwargs)

    # ------------------------------------------------------------------ exact numbers
    @staticmethod
    def numbers(state: dict, digit: int, rows_index: int) -> dict:
        """The readout's numbers for one choice, computed from the stored data as the page does."""
        side = state["side"]
        r = state["rows_options"][rows_index]
        k = r * side
        orig = state["originals"][digit]
        comps = state["completions"][digit][rows_index]
        n_free = side * side - k
        ink = agree = 0.0
        for s in comps:
            on = sum(1 for ch in s[k:] if ch == "1")
            same = sum(1 for a, b in zip(s[k:], orig[k:]) if a == b)
            ink += on / n_free if n_free else 0.0
            agree += same / n_free if n_free else 1.0
        nlls = state["nll_samples"][digit][rows_index]
        return {"digit": digit, "rows_given": r, "n_samples": len(comps), "nll_given": state["nll_given"][digit][rows_index],
                "nll_mean": sum(nlls) / len(nlls), "ink": ink / len(comps), "agree": agree / len(comps)}

    def readout(self, digit: int | None = None, rows_index: int | None = None) -> dict:
        """The numbers the page shows (default: the current choice)."""
        d = self.digit if digit is None else int(digit)
        i = self.rows_index if rows_index is None else int(rows_index)
        return self.numbers(self.get_state(), d, i)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        i = state["rows_options"].index(int(readout["rows_given"]))
        return cls.numbers(state, int(readout["digit"]), i)
