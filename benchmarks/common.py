"""Shared helpers for benchmarks: timing by median of repeats, and the result rows."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from arlib.train import training_autocast


@dataclass
class Row:
    """One measurement: what, at which setting, the value and its unit, and a note."""

    benchmark: str
    setting: str
    value: float
    unit: str
    note: str = ""


def median_time(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def train_step(model, x, precision: str = "fp32") -> Callable[[], None]:
    """One training step of ``model`` on the batch ``x`` as ``fit`` takes it (forward under
    ``precision``'s autocast, mean NLL, backward, an Adam step), as a function to time."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step():
        with training_autocast(precision):
            loss = -model.log_prob(x).float().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def print_table(rows: list[Row]) -> None:
    """Print rows as an aligned text table."""
    head = ("benchmark", "setting", "value", "unit", "note")
    cells = [head] + [(r.benchmark, r.setting, f"{r.value:,.4g}", r.unit, r.note) for r in rows]
    w = [max(len(c[i]) for c in cells) for i in range(5)]
    for k, c in enumerate(cells):
        print("  ".join(s.ljust(w[i]) if i != 2 else s.rjust(w[i]) for i, s in enumerate(c)).rstrip())
        if k == 0:
            print("  ".join("-" * x for x in w))
