"""Speed benchmarks, printed as tables by ``make bench`` (``python -m benchmarks``).

Each module ``benchmarks/bench_*.py`` defines ``run(quick: bool) -> list[Row]``. Times are
medians of repeated runs on this machine; ratios are taken within one run.
"""
