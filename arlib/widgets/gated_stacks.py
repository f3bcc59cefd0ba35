"""ClassSamplingExplorer: pick a digit class and a seed, and watch a class-conditional Gated PixelCNN draw it.

    ClassSamplingExplorer.from_model(model, classes=range(10), seeds=(0, 1, 2))

Python records the runs (``model.sample(len(classes), y=classes, generator=seed, return_probs=True)``
for every seed: image j of a seed's batch is class ``classes[j]``) and passes them as traits; the page switches between them
and steps through the chosen one with no kernel: the image so far, the probability map so far, the
pixel drawn now, and that pixel's receptive field through the two stacks (computed in the page by
dilation with the stack masks, ``arlib.receptive.gated_stack_field``): every pixel before it in reach,
no blind spot. It opens half-drawn (``sampling.default_step``), and a new class or seed keeps
the step.  Readout: {label, seed, step, pixel, row, col, p, value, field_count, past_in_reach}.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import traitlets

from arlib.receptive import gated_stack_field

from .base import Explorer, as_float_array
from .sampling import default_step

DIGITS = 4  # probabilities are stored rounded to this many decimals (the state stays small)


class ClassSamplingExplorer(Explorer):
    """Recorded class-conditional sampling runs: choose a class and a seed, step through the draw."""

    _js_file = "gated_stacks.js"

    classes = traitlets.List(traitlets.Int()).tag(sync=True)
    seeds = traitlets.List(traitlets.Int()).tag(sync=True)
    x = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # run k = class index * n_seeds + seed index
    probs = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    n_layers = traitlets.Int(12).tag(sync=True)
    kernel_size = traitlets.Int(3).tag(sync=True)
    first_kernel_size = traitlets.Int(5).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)  # index into classes
    seed = traitlets.Int(0).tag(sync=True)  # index into seeds
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, x: Any, probs: Any, classes: Sequence[int], seeds: Sequence[int], *,
                 shape: tuple[int, int] = (28, 28), n_layers: int = 12, kernel_size: int = 3,
                 first_kernel_size: int = 5, label: int = 0, seed: int = 0, step: int | None = None,
                 **kwargs: Any) -> None:
        h, w = int(shape[0]), int(shape[1])
        D = h * w
        classes, seeds = [int(c) for c in classes], [int(s) for s in seeds]
        if not classes or not seeds:
            raise ValueError("classes and seeds must each hold at least one value")
        n_runs = len(classes) * len(seeds)
        xs, ps = as_float_array("x", x), as_float_array("probs", probs)
        if xs.size != n_runs * D or ps.size != n_runs * D:
            raise ValueError(f"x and probs must hold {len(classes)} classes x {len(seeds)} seeds = {n_runs} runs "
                             f"of {h}x{w} pixels ({n_runs * D} values), got {xs.size} and {ps.size}")
        if xs.size * 9 > 900_000:
            raise ValueError(f"{n_runs} runs of {D} pixels would make the page state too large; record fewer")
        xs, ps = xs.reshape(n_runs, D), ps.reshape(n_runs, D)
        if not np.all((xs == 0) | (xs == 1)):
            raise ValueError("x must be binary (0s and 1s)")
        if not np.all(np.isfinite(ps) & (ps >= 0) & (ps <= 1)):
            raise ValueError("probs must be probabilities in [0, 1]: p(x_i = 1 | x_<i, y) of every pixel")
        for name, v in (("n_layers", n_layers), ("kernel_size", kernel_size), ("first_kernel_size", first_kernel_size)):
            if not isinstance(v, int) or v < 1 or (name != "n_layers" and (v < 3 or v % 2 == 0)):
                raise ValueError(f"{name} must be {'a positive int' if name == 'n_layers' else 'an odd int >= 3'}, "
                                 f"got {v!r}")
        if not 0 <= int(label) < len(classes):
            raise ValueError(f"label is an index into classes: 0 .. {len(classes) - 1}, got {label}")
        if not 0 <= int(seed) < len(seeds):
            raise ValueError(f"seed is an index into seeds: 0 .. {len(seeds) - 1}, got {seed}")
        step = default_step(h, w) if step is None else int(step)  # half-drawn, not empty
        if not 0 <= int(step) < D - 1:
            raise ValueError(f"step must be in [0, {D - 2}] (the step slider must be able to move on), got {step}")
        super().__init__(classes=classes, seeds=seeds, x=xs.astype(np.int64).tolist(),
                         probs=np.round(ps, DIGITS).tolist(), height=h, width=w, n_layers=n_layers,
                         kernel_size=kernel_size, first_kernel_size=first_kernel_size, label=int(label),
                         seed=int(seed), step=int(step), **kwargs)

    @classmethod
    def from_model(cls, model, classes: Sequence[int] = tuple(range(10)), seeds: Sequence[int] = (0, 1, 2),
                   **kwargs: Any) -> "ClassSamplingExplorer":
        """Record ``len(seeds)`` runs of a class-conditional GatedPixelCNN, one batch of ``classes`` per seed."""

        if not getattr(model, "conditional", False):
            raise ValueError("from_model needs a class-conditional model (GatedPixelCNN with n_classes)")
        classes = [int(c) for c in classes]
        runs_x, runs_p = [], []
        for s in seeds:
            g = torch.Generator().manual_seed(int(s))
            xb, pb = model.sample(len(classes), y=torch.tensor(classes), generator=g, return_probs=True)
            runs_x.append(xb.flatten(1))
            runs_p.append(pb.flatten(1))
        # run index = class index * n_seeds + seed index
        xs = torch.stack(runs_x, 1).reshape(-1, runs_x[0].shape[1])
        ps = torch.stack(runs_p, 1).reshape(-1, runs_p[0].shape[1])
        cfg = model.config
        kwargs.setdefault("shape", (cfg["height"], cfg["width"]))
        return cls(xs, ps, classes, seeds, n_layers=cfg["n_layers"], kernel_size=cfg["kernel_size"],
                   first_kernel_size=cfg["first_kernel_size"], **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def compute(state: dict, label: int, seed: int, step: int) -> dict:
        """The readout at a setting, from the state, with the field by ``arlib.receptive.gated_stack_field``."""

        H, W = int(state["height"]), int(state["width"])
        k = label * len(state["seeds"]) + seed
        r, c = divmod(step, W)  # raster order
        field = gated_stack_field(int(state["n_layers"]), int(state["kernel_size"]), (H, W), (r, c),
                                  int(state["first_kernel_size"]))
        past = np.zeros(H * W, dtype=bool)
        past[:step] = True
        flat = field.flatten().numpy()
        if flat[step:].any():
            raise AssertionError("the field reaches the pixel itself or the future")
        return {"label": int(state["classes"][label]), "seed": int(state["seeds"][seed]), "step": step,
                "pixel": step, "row": r, "col": c, "p": float(state["probs"][k][step]),
                "value": int(state["x"][k][step]), "field_count": int(flat.sum())}

    def readout(self, label: int | None = None, seed: int | None = None, step: int | None = None) -> dict:
        """What the page shows (defaults: the widget's own knobs)."""
        state = {n: getattr(self, n) for n in ("classes", "seeds", "x", "probs", "height", "width", "n_layers",
                                               "kernel_size", "first_kernel_size")}
        return self.compute(state, self.label if label is None else label, self.seed if seed is None else seed,
                            self.step if step is None else step)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        label = state["classes"].index(int(readout["label"]))
        seed = state["seeds"].index(int(readout["seed"]))
        return cls.compute(state, label, seed, int(readout["step"]))
