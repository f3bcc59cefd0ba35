"""Train any model of the book with its full settings and save the checkpoint that ships.

    python scripts/train.py --model fvsbn            # full run (uses the GPU when present)
    python scripts/train.py --model fvsbn --short    # the book's short run
    python scripts/train.py --list

The checkpoint lands in ``arlib/checkpoints/NAME.safetensors`` (or ``--out DIR``), with the
training settings, test NLL, wall time and device in its metadata and in ``manifest.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="recipe name, see --list")
    ap.add_argument("--short", action="store_true", help="the book's short run instead of the full one")
    ap.add_argument("--epochs", type=int, help="override the number of epochs")
    ap.add_argument("--max-minutes", type=float, help="stop after this much wall time (a CPU budget)")
    ap.add_argument("--out", type=Path, help="write the checkpoint here instead of arlib/checkpoints")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    from arlib import recipes
    from arlib.checkpoints import save
    from arlib.config import device
    from arlib.data import load_binarized_mnist
    from arlib.train import evaluate

    if args.list or not args.model:
        print("\n".join(recipes.names()))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ["ARLIB_FULL"] = "0" if args.short else "1"
    r = recipes.get(args.model)
    overrides = {}
    if args.epochs:
        overrides["epochs"] = args.epochs
    if args.max_minutes:
        overrides["max_seconds"] = args.max_minutes * 60
    t0 = time.perf_counter()
    model, hist = recipes.run(args.model, full=not args.short, **overrides)
    seconds = time.perf_counter() - t0
    conditional = (r.SHORT if args.short else r.FULL).get("conditional", False)
    test = load_binarized_mnist("test", shape=getattr(r, "SHAPE", "flat"), labels=conditional)
    if conditional:
        test = torch.utils.data.TensorDataset(*test)
    ev = evaluate(model, test, conditional=conditional)
    info = {
        "recipe": args.model, "run": "short" if args.short else "full", "settings": {**(r.SHORT if args.short else r.FULL), **overrides},
        "epochs_run": len(hist.epoch), "best_epoch": hist.best_epoch, "stopped_early": hist.stopped_early,
        "valid_nll": hist.valid_nll, "train_nll": hist.train_nll,
        "test_nll_nats": round(ev.nll, 4), "test_bits_per_dim": round(ev.bits_per_dim, 5),
        "train_seconds": round(seconds, 1), "device": str(device()), "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(), "torch": torch.__version__,
    }
    path = save(model, getattr(r, "CHECKPOINT", args.model), info, directory=args.out)
    print(f"{args.model}: {ev} after {len(hist.epoch)} epochs, {seconds:.0f} s -> {path}")


if __name__ == "__main__":
    main()
