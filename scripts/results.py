"""Rebuild the results table of chapter 12 from the shipped checkpoints.

    python scripts/results.py                    # all 10,000 test images
    python scripts/results.py --n-test 1000      # a seeded random 1,000 (the notebook's default)
    python scripts/results.py --out results.html # also write the HTML table to a file
    python scripts/results.py --record-check     # store every checkpoint's check-subset NLL in the manifest,
                                                 # and its NLL on the papers' test file (all 10,000, and the
                                                 # check subset of it)
    python scripts/results.py --record-check fvsbn   # the same for the checkpoints named

Every model with a checkpoint in arlib/checkpoints is evaluated now (test NLL in nats and bits/dim,
time to draw one sample); models without one are listed with the command that trains them.  The
full-test-set NLL, training time and epochs come from the checkpoints' metadata.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from arlib.book.results import CHECK, check_nll, on_papers_file, results_html, results_table
from arlib.checkpoints import DIR, load_model, manifest

PAPERS = "larochelle_murray"


def record_check(names: list[str] | None = None, directory: Path | None = None) -> dict[str, dict[str, float]]:
    """Evaluate every checkpoint in ``directory`` (default: the shipped ones), or those of ``names``,
    on the check subset, and an unconditional binarized-MNIST one also on the papers' test file (all
    10,000 and the check subset), and store the figures in its manifest entry."""
    directory = Path(directory or DIR)
    man = manifest(directory)
    unknown = set(names or ()) - set(man)
    if unknown:
        raise SystemExit(f"no checkpoint named {sorted(unknown)} in {directory}; there are: {sorted(man)}")
    out = {}
    for name in names or man:
        out[name] = {"check": check_nll(name, directory)}
        man[name]["check"] = {**CHECK, "nll_nats": round(out[name]["check"], 4)}
        if on_papers_file(load_model(name, directory)):
            out[name] |= {"papers, all": check_nll(name, directory, source=PAPERS, n=10_000),
                          "papers, check": check_nll(name, directory, source=PAPERS)}
            man[name][PAPERS] = {"n": 10_000, "nll_nats": round(out[name]["papers, all"], 4),
                                 "check": {**CHECK, "nll_nats": round(out[name]["papers, check"], 4)}}
        (directory / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-test", type=int, default=10_000, help="evaluate N test images (default: all)")
    ap.add_argument("--no-sample", action="store_true", help="skip the sampling-time measurement")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads")
    ap.add_argument("--out", type=Path, help="write the HTML table here")
    ap.add_argument("--record-check", nargs="*", metavar="NAME",
                    help="record each checkpoint's NLL on the seeded check subset in manifest.json "
                         "(what tests/test_checkpoints.py compares with)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.record_check is not None:
        print(f"NLL in nats; check subset: {CHECK['n']:,} test images (seed {CHECK['seed']})")
        for name, nll in record_check(args.record_check).items():
            print(f"{name:22s} " + ", ".join(f"{k} {v:.4f}" for k, v in nll.items()), flush=True)
        return
    t0 = time.perf_counter()
    results = results_table(n_test=args.n_test, sample=not args.no_sample)
    print(f"{'model':42s} {'live NLL':>9s} {'manifest':>9s} {'bits/dim':>9s}  note")
    for r in results:
        if r.status == "ok":
            full = "–" if r.full_test_nll is None else f"{r.full_test_nll:.2f}"
            print(f"{r.model.name:42s} {r.nll:9.2f} {full:>9s} {r.bits_per_dim:9.4f}  {r.note}")
        else:
            print(f"{r.model.name:42s} {'–':>9s} {'–':>9s} {'–':>9s}  {r.status}: {r.note}")
    print(f"\n{args.n_test:,} binarized-MNIST test images; torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s); {time.perf_counter() - t0:.0f} s.")
    if args.out:
        args.out.write_text(results_html(results) + "\n")


if __name__ == "__main__":
    main()
