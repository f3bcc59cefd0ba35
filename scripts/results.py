"""Rebuild the results table of chapter 12 from the shipped checkpoints.

    python scripts/results.py                    # all 10,000 test images
    python scripts/results.py --n-test 500       # the first 500 (the notebook's default)
    python scripts/results.py --out results.md   # also write the Markdown table to a file

Every model with a checkpoint in arlib/checkpoints is evaluated now (test NLL in nats and bits/dim,
time to draw one sample, evaluation time); models without one are listed with the command that
trains them.  Training time and epochs come from the checkpoints' metadata.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-test", type=int, default=10_000, help="evaluate the first N test images (default: all)")
    ap.add_argument("--no-sample", action="store_true", help="skip the sampling-time measurement")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from arlib.results import results_markdown, results_table

    t0 = time.perf_counter()
    results = results_table(n_test=args.n_test, sample=not args.no_sample)
    table = results_markdown(results)
    footer = (f"\nTest NLL on the first {args.n_test:,} binarized-MNIST test images; torch {torch.__version__}, "
              f"{torch.get_num_threads()} thread(s); the whole table took {time.perf_counter() - t0:.0f} s.")
    print(table + "\n" + footer)
    if args.out:
        args.out.write_text(table + "\n" + footer + "\n")


if __name__ == "__main__":
    main()
