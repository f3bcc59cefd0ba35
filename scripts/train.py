"""Train a model of the book with its recipe and save the checkpoint that ships.

    python scripts/train.py --list
    python scripts/train.py --model fvsbn --threads 1                 # the full run, resumable
    python scripts/train.py --model made --threads 1 --max-minutes 60 # one sitting of at most an hour
    python scripts/train.py --model made --threads 1                  # ...continues where it stopped
    python scripts/train.py --model fvsbn --short --out /tmp/ck       # the chapter's short run
    python scripts/train.py --model made --set average_from=30 --run-dir DIR  # a variant of a recipe
    python scripts/train.py --status                                  # where every run stands

The run's state (model, optimizer, schedule, RNG, curves) lives in ``--run-dir`` (default
``$ARLIB_RUNS/NAME`` or ``~/.cache/arlib/runs/NAME``, outside the git tree) and is rewritten every
few minutes; running the same command again continues it (``--fresh`` starts over).  When the run
has finished (its epochs, or early stopping), the best weights are evaluated on all 10,000 test
images and written to ``arlib/checkpoints/NAME.safetensors`` (or ``--out DIR``) in ``--store``
precision, with the validation NLL against wall-clock seconds, the machine and the settings in its
metadata and in ``manifest.json``; its check figures go there too (the check subset and the papers'
test file, as ``scripts/results.py --record-check NAME`` records them), so the checkpoint ships as
written.  A GPU is used when present (the checkpoint loads on the CPU).
"""
from __future__ import annotations

import argparse
import ast
import os
import platform
import shutil
from pathlib import Path

import torch
from results import record_check  # scripts/results.py, beside this file

from arlib import recipes
from arlib.checkpoints import fixed_masks, manifest, save, stored_state
from arlib.config import device
from arlib.train import STATE_FILE, History, evaluate


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    if device().type == "cuda":
        return torch.cuda.get_device_name()
    return f"{cpu_name()}, {torch.get_num_threads()} thread(s)"


def finish(name: str, run_dir: Path):
    """The model with the best weights of the run in ``run_dir`` so far, and its history, marked finished."""
    state = torch.load(run_dir / STATE_FILE, weights_only=True)
    model = recipes.get(name).build().to(device())
    model.load_state_dict(state["best_model"] if state["best_model"] is not None else state["model"])
    model.eval()
    hist = History(**state["history"])
    hist.finished = True
    return model, hist


def with_parent(info: dict, parent: str) -> None:
    """A warm restart's metadata in place: the parent checkpoint's curves ahead of the run's own, on
    one clock (the run's seconds counted from the end of the parent's), epochs counted from the
    parent's first; ``info["init"]`` names the parent (sha256) and where the restart begins."""
    entry = manifest()[parent]
    p = entry["info"]
    if not p.get("valid_seconds"):
        raise SystemExit(f"init={parent!r}: its checkpoint recorded no validation clock (valid_seconds); "
                         "a warm restart's metadata needs the parent's curve against time")
    t0 = p["train_seconds"]
    info["init"] = {"checkpoint": parent, "sha256": entry["sha256"], "epochs": p["epochs_run"],
                    "train_seconds": t0, "test_nll_nats": p["test_nll_nats"]}
    for key in ("valid_nll", "train_nll", "lr"):
        info[key] = list(p.get(key) or [None] * p["epochs_run"]) + list(info[key])
    info["valid_seconds"] = list(p["valid_seconds"]) + [round(t0 + t, 2) for t in info["valid_seconds"]]
    info["epochs_run"] += p["epochs_run"]
    info["best_epoch"] += p["epochs_run"]
    info["train_seconds"] = round(t0 + info["train_seconds"], 2)


def status(runs: Path) -> list[str]:
    """One line per run directory under ``runs`` that holds a state: its epoch (of the recipe's), its
    best and last validation NLL, its training time, and whether it is finished or can be resumed
    (then, at the pace of its last epochs, the hours its remaining epochs take)."""
    lines = []
    for path in sorted(runs.glob(f"*/{STATE_FILE}")):
        name = path.parent.name
        state = torch.load(path, weights_only=True, map_location="cpu")
        h = History(**state["history"])
        if not h.epoch:
            lines.append(f"{name}: no epoch finished yet")
            continue
        recipe = name.removesuffix("-short")
        epochs = (recipes.settings(recipe, full=not name.endswith("-short"))["epochs"]
                  if recipe in recipes.names() else None)
        planned = f" (the recipe has {epochs})" if epochs else ""
        stands = ("resumable" if not h.finished else "finished (early stopping)" if h.stopped_early
                  else "finished")
        last = h.valid_seconds[-4:]
        pace = sorted(b - a for a, b in zip(last, last[1:]))
        if not h.finished and epochs and pace and epochs > h.epoch[-1]:
            # the median of the last (up to) three epochs' times; early stopping may end it sooner
            stands += f", at most {pace[len(pace) // 2] * (epochs - h.epoch[-1]) / 3600:.1f} h to go at its pace"
        lines.append(f"{name}: epoch {h.epoch[-1]}{planned}, best valid {h.best_valid_nll:.3f} (epoch "
                     f"{h.best_epoch}), last {h.valid_nll[-1]:.3f}, {state['elapsed'] / 3600:.1f} h; {stands}")
    return lines or [f"no runs in {runs}"]


def parse_setting(item: str) -> tuple[str, object]:
    """``"KEY=VALUE"`` (VALUE a Python literal, or else a string) -> ``(KEY, value)``."""
    key, sep, value = item.partition("=")
    if not sep or not key.isidentifier():
        raise SystemExit(f"--set expects KEY=VALUE, got {item!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="recipe name, see --list")
    ap.add_argument("--short", action="store_true", help="the chapter's short run instead of the full one")
    ap.add_argument("--epochs", type=int, help="override the number of epochs")
    ap.add_argument("--max-minutes", type=float, help="end this sitting after this much wall time")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one of the recipe's settings (a Python literal, e.g. average_from=40); "
                         "repeatable, recorded in the checkpoint's settings")
    ap.add_argument("--run-dir", type=Path, help="where the resumable state lives")
    ap.add_argument("--fresh", action="store_true", help="delete the run directory's state and start over")
    ap.add_argument("--finish", action="store_true",
                    help="end the run where its state stands (a time budget) and ship its best weights so far")
    ap.add_argument("--out", type=Path, help="write the checkpoint here instead of arlib/checkpoints")
    ap.add_argument("--store", choices=["float16", "float32", "int8"], default="float16",
                    help="precision of the stored weights (default float16); int8: each weight matrix as "
                         "int8 with a float32 scale per row, biases float16 (about half float16's size). "
                         "The book's rule: store a model so only if the test NLL printed for the stored "
                         "weights is within 0.05 nat of float32's")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (1 for a background run)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--status", action="store_true", help="where every run under $ARLIB_RUNS stands")
    args = ap.parse_args()
    runs = Path(os.environ.get("ARLIB_RUNS", Path.home() / ".cache" / "arlib" / "runs"))
    if args.status:
        print("\n".join(status(runs)))
        return
    if args.list or not args.model:
        for name in recipes.names():
            print(f"{name:22s} {(recipes.get(name).__doc__ or '').strip().splitlines()[0]}")
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    r = recipes.get(args.model)
    full = not args.short
    overrides = {}
    if args.epochs:
        overrides["epochs"] = args.epochs
    if args.max_minutes:
        overrides["max_seconds"] = args.max_minutes * 60
    overrides.update(parse_setting(item) for item in args.set)
    run_dir = args.run_dir or runs / (args.model + ("-short" if args.short else ""))
    if args.fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    print(f"{args.model}: run directory {run_dir}")
    if args.finish:
        model, hist = finish(args.model, run_dir)
    else:
        model, hist = recipes.run(args.model, full=full, run_dir=run_dir, **overrides)
    if not hist.finished:
        print(f"{args.model}: stopped after epoch {hist.epoch[-1]} (best valid {hist.best_valid_nll:.3f} at "
              f"epoch {hist.best_epoch}); run the same command to continue")
        return
    test = recipes.load_data(args.model, "test", labels=model.conditional)
    ev32 = evaluate(model, test)
    info = {
        "recipe": args.model, "run": "full" if full else "short",
        "settings": {k: v for k, v in recipes.settings(args.model, full, **overrides).items()},
        "epochs_run": hist.epoch[-1], "best_epoch": hist.best_epoch, "stopped_early": hist.stopped_early,
        "stopped_by": ("a time budget (--finish)" if args.finish else "early stopping"
                       if hist.epoch[-1] < recipes.settings(args.model, full, **overrides)["epochs"] else "its epochs"),
        "valid_nll": [round(v, 4) for v in hist.valid_nll], "valid_seconds": hist.valid_seconds,
        "train_nll": [round(v, 4) for v in hist.train_nll], "lr": hist.lr,
        "train_seconds": hist.valid_seconds[-1] if hist.valid_seconds else None,
        "precision": hist.precision,
        "test_nll_nats_float32": round(ev32.nll, 4),
        "device": str(device()), "machine": machine(), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "stored": args.store, "notes": getattr(r, "NOTES", ""),
    }
    parent = info["settings"].get("init")
    if parent is not None:
        with_parent(info, parent)
    dtype = {"float16": torch.float16, "float32": torch.float32, "int8": torch.int8}[args.store]
    stored = r.build().to(device())                    # what ships: the weights as load() returns them
    stored.load_state_dict(stored_state(model.state_dict(), dtype, fixed_masks(model)))
    ev = evaluate(stored.eval(), test)
    info.update(test_nll_nats=round(ev.nll, 4), test_bits_per_dim=round(ev.bits_per_dim, 5))
    path = save(model, args.model, info, directory=args.out, dtype=dtype)
    print(f"{args.model}: test {ev} ({args.store}; float32 {ev32.nll:.4f}) after {hist.epoch[-1]} epochs, "
          f"{info['train_seconds']} s -> {path}")
    print(f"{args.model}: check figures recorded: {record_check([args.model], args.out)[args.model]}")


if __name__ == "__main__":
    main()
