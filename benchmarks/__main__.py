"""Run every ``benchmarks/bench_*.py`` and print one table.

    python -m benchmarks              # all
    python -m benchmarks chapters     # only modules whose name contains "chapters"
    python -m benchmarks --quick      # fewer repeats (a smoke run)
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

import torch

from benchmarks.common import Row, print_table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("only", nargs="*", help="substrings of benchmark module names")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    mods = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if args.only:
        mods = [m for m in mods if any(s in m for s in args.only)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    rows: list[Row] = []
    for name in mods:
        print(f"running {name} ...", file=sys.stderr)
        rows += importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
    print_table(rows)


if __name__ == "__main__":
    main()
