"""MadeMaskExplorer: MADE's degrees, masks and the DAG they imply, for any small network.

    from arlib.widgets import MadeMaskExplorer
    MadeMaskExplorer(D=6, hidden=[8, 8], ordering="natural", seed=0, output=5)

Knobs (all in the page, no kernel needed): the input size D, the hidden sizes, the ordering
(natural / random / custom), the seed, and the output unit. The page draws the network layer by
layer with every connection the masks keep, each unit labelled with its degree m(k); the paths
into the chosen output and the inputs it can reach are highlighted; below are each layer's mask
and the product of the masks (which input each output can reach), rows and columns in the
generation order, where it is strictly lower-triangular.

The page computes the masks itself, exactly as ``arlib.masks`` does: the random orderings and
degrees come from Mulberry32, which ``made_masks.js`` and ``arlib.masks.Mulberry32`` implement
bit for bit, so the same seed gives the same masks in the browser and in Python. The readout
(``data-readout``, indices 0-based) carries the settings, the ordering, the degrees, the number of
connections in each mask and, for every output, the inputs it reaches; ``expected_readout``
recomputes all of it with ``arlib.masks`` for the browser test.
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets

from arlib.masks import check_made_masks, made_degrees, made_masks, mask_connectivity

from .base import Explorer

MAX_D, MAX_LAYERS, MAX_WIDTH = 12, 4, 16


def _settings(D: Any, hidden: Any, ordering: Any, seed: Any, custom_order: Any, output: Any) -> tuple:
    if not isinstance(D, int) or not 2 <= D <= MAX_D:
        raise ValueError(f"D must be an int in [2, {MAX_D}] (the explorer draws every unit), got {D!r}")
    try:
        hidden = [int(h) for h in hidden]
    except (TypeError, ValueError) as err:
        raise ValueError(f"hidden must be a list of layer widths, e.g. [8, 8]; got {hidden!r}") from err
    if not 1 <= len(hidden) <= MAX_LAYERS or not all(1 <= h <= MAX_WIDTH for h in hidden):
        raise ValueError(f"hidden must have 1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} units each, got {hidden}")
    if ordering not in ("natural", "random", "custom"):
        raise ValueError(f"ordering must be 'natural', 'random' or 'custom', got {ordering!r}")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an int in [0, 2**32), got {seed!r}")
    custom = list(range(D)) if custom_order is None else [int(i) for i in custom_order]
    if sorted(custom) != list(range(D)):
        raise ValueError(f"custom_order must be a permutation of range({D}) (0-based input indices), got {custom}")
    if not isinstance(output, int) or not 0 <= output < D:
        raise ValueError(f"output must be an input index in [0, {D - 1}], got {output!r}")
    return D, hidden, ordering, seed, custom, output


class MadeMaskExplorer(Explorer):
    """MADE masks and the DAG they imply, computed in the page for any setting (see module docstring)."""

    _js_file = "made_masks.js"

    D = traitlets.Int(6).tag(sync=True)
    hidden = traitlets.List(traitlets.Int(), default_value=[8, 8]).tag(sync=True)
    ordering = traitlets.Unicode("natural").tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)
    custom_order = traitlets.List(traitlets.Int(), default_value=list(range(6))).tag(sync=True)
    output = traitlets.Int(5).tag(sync=True)  # 0-based index d of the output unit p(x_d | ...)

    def __init__(self, D: int = 6, hidden: Any = (8, 8), ordering: str = "natural", seed: int = 0, *,
                 custom_order: Any = None, output: int | None = None, **kwargs: Any) -> None:
        out = (D - 1 if isinstance(D, int) else 0) if output is None else output
        D, hidden, ordering, seed, custom, out = _settings(D, hidden, ordering, seed, custom_order, out)
        super().__init__(D=D, hidden=hidden, ordering=ordering, seed=seed, custom_order=custom,
                         output=out, **kwargs)

    # ------------------------------------------------------------------ exact numbers
    @staticmethod
    def compute(D: int, hidden: list[int], ordering: str, seed: int, custom_order: list[int] | None,
                output: int) -> dict:
        """Everything the page shows, from ``arlib.masks``: degrees, masks, reachability."""


        D, hidden, ordering, seed, custom, output = _settings(D, hidden, ordering, seed, custom_order, output)
        how = custom if ordering == "custom" else ordering
        degrees = made_degrees(D, hidden, how, seed)
        masks = made_masks(degrees)
        order = torch.argsort(degrees[0])
        check_made_masks(masks, order)
        R = mask_connectivity(masks)
        reach = [[int(j) for j in R[d].nonzero().flatten().tolist()] for d in range(D)]
        return {
            "D": D, "hidden": hidden, "ordering": ordering, "seed": seed, "output": output,
            "order": order.tolist(), "degrees": [d.tolist() for d in degrees],
            "connections": [int(M.sum()) for M in masks],
            "reachable": reach[output], "connectivity": reach,
            "masks": [M.long().tolist() for M in masks],
        }

    def readout(self, **changes: Any) -> dict:
        """The numbers the page shows for the current settings (or ``changes`` to them), without masks."""
        s = {"D": self.D, "hidden": list(self.hidden), "ordering": self.ordering, "seed": self.seed,
             "custom_order": list(self.custom_order), "output": self.output, **changes}
        r = self.compute(**s)
        r.pop("masks")
        return r

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        r = cls.compute(int(readout["D"]), list(readout["hidden"]), readout["ordering"], int(readout["seed"]),
                        readout.get("custom_order") or list(range(int(readout["D"]))), int(readout["output"]))
        r.pop("masks")
        return r

    # ------------------------------------------------------------------ static view
    def figure(self, **changes: Any):
        """The explorer's picture in matplotlib: the network with the chosen output's paths, each
        mask, and the product of the masks in generation order. Returns the figure."""

        s = {"D": self.D, "hidden": list(self.hidden), "ordering": self.ordering, "seed": self.seed,
             "custom_order": list(self.custom_order), "output": self.output, **changes}
        r = self.compute(**s)
        D, hidden, out = r["D"], r["hidden"], r["output"]
        masks = [np.array(M) for M in r["masks"]]
        sizes = [D, *hidden, D]
        L = len(sizes)
        # units on the paths into the chosen output, layer by layer from the top
        live = [None] * L
        live[-1] = np.zeros(D, bool)
        live[-1][out] = True
        for l in range(L - 1, 0, -1):
            live[l - 1] = (masks[l - 1][live[l]].sum(0) > 0)
        fig = plt.figure(figsize=(7.3, 5.4))   # the page's column width: never shrunk
        gs = fig.add_gridspec(2, len(masks) + 1, height_ratios=[1.5, 1])
        ax = fig.add_subplot(gs[0, :])
        pos = lambda l, i: ((i + 0.5) / sizes[l], l)  # noqa: E731
        for l, M in enumerate(masks):
            for k, j in zip(*np.nonzero(M)):
                on = live[l][j] and live[l + 1][k]
                (x1, y1), (x2, y2) = pos(l, j), pos(l + 1, k)
                ax.plot([x1, x2], [y1, y2], color="#e4572e" if on else "#bbbbbb", lw=1.6 if on else 0.6,
                        zorder=2 if on else 1)
        labels = [r["degrees"][0], *r["degrees"][1:], r["degrees"][0]]
        for l, n in enumerate(sizes):
            for i in range(n):
                x, y = pos(l, i)
                hot = live[l][i]
                ax.scatter([x], [y], s=230, color="#fde4dc" if hot else "white",
                           edgecolor="#e4572e" if hot else "#333333", zorder=3)
                ax.text(x, y, str(labels[l][i]), ha="center", va="center", fontsize=8, zorder=4)
            name = "inputs x" if l == 0 else ("outputs p(x_d | ...)" if l == L - 1 else f"hidden layer {l}")
            ax.text(-0.02, l, name, ha="right", va="center", fontsize=9)
        for i in range(D):
            ax.text(pos(0, i)[0], -0.32, f"x{i + 1}", ha="center", va="top", fontsize=8)
            ax.text(pos(L - 1, i)[0], L - 1 + 0.3, f"x̂{i + 1}", ha="center", va="bottom", fontsize=8)
        ax.set_xlim(-0.3, 1.0)
        ax.set_ylim(-0.7, L - 0.4)
        ax.set_axis_off()
        reach = ", ".join(f"x{j + 1}" for j in r["reachable"]) or "none"
        ax.set_title(f"MADE, D = {D}, hidden {hidden}, {r['ordering']} ordering, seed {r['seed']}\n"
                     f"numbers are degrees m(k); output x̂{out + 1} reaches {reach}", fontsize=9)
        names = [f"$M^{{W{l + 1}}}$" for l in range(len(hidden))] + ["$M^V$"]
        for l, (M, name) in enumerate(zip(masks, names)):
            a = fig.add_subplot(gs[1, l])
            a.imshow(M, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
            a.set_title(name, fontsize=9)
            a.set_xlabel("from (layer below)", fontsize=8)
            a.set_ylabel("to", fontsize=8)
            a.set_xticks([])
            a.set_yticks([])
        order = r["order"]
        C = np.zeros((D, D), int)
        for d, js in enumerate(r["connectivity"]):
            C[d, js] = 1
        a = fig.add_subplot(gs[1, -1])
        a.imshow(C[np.ix_(order, order)], cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        a.set_title("product of masks\n(generation order)", fontsize=9)
        a.set_xticks(range(D), [f"x{i + 1}" for i in order], fontsize=8, rotation=90)
        a.set_yticks(range(D), [f"x̂{i + 1}" for i in order], fontsize=8)
        fig.tight_layout()
        return fig
