"""arlib's rows of ``../shared/refbench`` for arlib alone: train img/s, eval img/s and seconds for 16
samples of FVSBN, NADE (H = 500), MADE (500, one mask) and MADE (8000, one mask), timed as refbench
times them (``bench_nade_made.refbench_rows``). For the ratios to the reference implementations run
refbench itself (its README), which interleaves both in one process.

    python -m benchmarks refbench [--quick]
"""
from __future__ import annotations

from benchmarks.bench_nade_made import refbench_rows
from benchmarks.common import Row


def run(quick: bool = False) -> list[Row]:
    return refbench_rows(quick)
