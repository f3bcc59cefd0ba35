"""Execution time of every chapter notebook, and of the whole book (median of 3)."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks.common import Row

ROOT = Path(__file__).resolve().parents[1]


def _execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - t0


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    rows, total = [], []
    notebooks = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    per = {p: [_execute(p) for _ in range(repeats)] for p in notebooks}
    for p, ts in per.items():
        rows.append(Row("chapter execution", p.stem, statistics.median(ts), "s", f"median of {repeats}; target < 60 s"))
    for k in range(repeats):
        total.append(sum(ts[k] for ts in per.values()))
    rows.append(Row("chapter execution", "whole book", statistics.median(total), "s",
                    f"{len(notebooks)} chapters; target < 300 s"))
    return rows
