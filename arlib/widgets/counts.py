"""CountsExplorer: how many parameters each factorisation of p(x_1, ..., x_n) needs.

    from arlib.widgets import CountsExplorer
    CountsExplorer(n=784, d=2, k=2, h=10, H=500)

Sliders for n, d, k, |h| and H; a table of exact counts (BigInt in the page, so 2**784 - 1 and
256**784 - 1 are exact) and a log-scale plot of every family's count against n, with MNIST's
n = 784 marked. The formulas are those of ``arlib.lessons.counting`` (the page recomputes them; the
browser test checks the page against ``counting``):

* tabular (chain rule, full tables): d**n - 1
* Markov-k, the lecture's count d**k (d - 1) n, and the exact one (``markov(..., exact=True)``)
* latent |h| values: |h| (d - 1) n + |h| - 1 (with the prior)
* FVSBN (binary): n (n + 1) / 2
* NADE with H hidden units (binary): 2nH + H + n
* MADE with two hidden layers of H units (binary): ``made(n, [H, H])``
* optional ``fixed`` families whose count does not depend on n (e.g. a convolutional model),
  given as ``[(label, count), ...]``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import traitlets

from arlib.lessons import counting

from .base import Explorer

# (key, label) of every family, in the order of the table; keys are the readout's.
FAMILIES = [
    ("tabular", "tabular (chain rule)"),
    ("markov", "Markov-k, lecture's count"),
    ("markov_exact", "Markov-k, exact"),
    ("latent", "latent |h| (with prior)"),
    ("fvsbn", "FVSBN (logistic)"),
    ("nade", "NADE, H hidden"),
    ("made", "MADE, 2 layers of H"),
]

LIMITS = {"n": (1, 1000), "d": (2, 256), "k": (0, 16), "h": (1, 1000), "H": (1, 2000)}


def family_counts(n: int, d: int = 2, k: int = 2, h: int = 10, H: int = 500) -> dict[str, int]:
    """The exact count of every family at these settings, from ``arlib.lessons.counting``."""
    return {
        "tabular": counting.tabular(n, d),
        "markov": counting.markov(n, k, d),
        "markov_exact": counting.markov(n, k, d, exact=True),
        "latent": counting.latent(n, h, d),
        "fvsbn": counting.fvsbn(n),
        "nade": counting.nade(n, H),
        "made": counting.made(n, [H, H]),
    }


class CountsExplorer(Explorer):
    """Sliders n, d, k, |h|, H -> a table of exact counts and a log-scale plot against n."""

    _js_file = "counts.js"

    n = traitlets.Int(784).tag(sync=True)
    d = traitlets.Int(2).tag(sync=True)
    k = traitlets.Int(2).tag(sync=True)
    h = traitlets.Int(10).tag(sync=True)
    H = traitlets.Int(500).tag(sync=True)
    n_max = traitlets.Int(1000).tag(sync=True)  # the plot's n axis runs 1..n_max
    mark_n = traitlets.Int(784).tag(sync=True)  # MNIST
    fixed = traitlets.List().tag(sync=True)  # [[label, "count"], ...] counts as decimal strings

    def __init__(self, n: int = 784, d: int = 2, k: int = 2, h: int = 10, H: int = 500, *,
                 fixed: Sequence[tuple[str, int]] = (), n_max: int = 1000, **kwargs: Any) -> None:
        values = {"n": n, "d": d, "k": k, "h": h, "H": H}
        for name, v in values.items():
            lo, hi = LIMITS[name]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{name} must be an int in [{lo}, {hi}] (the slider's range), got {v!r}")
        if not 2 <= n_max <= LIMITS["n"][1]:
            raise ValueError(f"n_max must be in [2, {LIMITS['n'][1]}], got {n_max}")
        fixed_list = []
        for item in fixed:
            label, count = item
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"fixed family {label!r}: the count must be a positive int, got {count!r}")
            fixed_list.append([str(label), str(count)])
        super().__init__(**values, fixed=fixed_list, n_max=n_max, **kwargs)

    def counts(self) -> dict[str, int]:
        """The exact counts at the current knob settings."""
        return family_counts(self.n, self.d, self.k, self.h, self.H)

    @staticmethod
    def readout_for(n: int, d: int, k: int, h: int, H: int, fixed: Sequence[Sequence[str]] = ()) -> dict:
        """What the page's ``data-readout`` holds: the knobs, each count as a decimal string, its log10."""
        out: dict[str, Any] = {"n": n, "d": d, "k": k, "h": h, "H": H}
        counts = family_counts(n, d, k, h, H)
        for j, (_, c) in enumerate(fixed):
            counts[f"fixed{j}"] = int(c)
        for key, c in counts.items():
            out[key] = str(c)
            out[f"log10_{key}"] = math.log10(c) if c > 0 else None
        return out

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        knobs = {key: int(readout[key]) for key in ("n", "d", "k", "h", "H")}
        return cls.readout_for(**knobs, fixed=state.get("fixed", []))
