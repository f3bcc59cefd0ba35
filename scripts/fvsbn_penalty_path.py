"""FVSBN's L2 penalty, measured: the exact optimum for each penalty, and its validation and test NLL.

FVSBN's training loss is convex (784 logistic regressions), so for a penalty lambda the minimum of

    mean over the training images of -log p(x)  +  lambda / 2 * |w|^2

is one well-defined model.  The biases b are not penalised: a pixel that is off in every training
image wants b -> -infinity, and a penalty on b costs nats there (with b penalised too, 1e-4 gave
a test NLL of 98.86 against 98.79; ``arlib.train.fit``'s ``weight_decay`` leaves them alone too, which
is how the recipe trains the shipped model at the penalty this path chose).
This script finds it by full-batch L-BFGS for each lambda on a path, each solve warm-started from
the previous one, and prints the training, validation and test NLL of each solution (nats per
image, all images of each split) and the largest entry of its gradient, which says how close to the
optimum it is.

    python scripts/fvsbn_penalty_path.py --threads 1    # from the shipped (unpenalised) checkpoint

The default path starts from the shipped checkpoint, the unpenalised optimum, and goes up; from an
all-zero model (``--start zeros``) the problem is ill-conditioned enough that a few hundred L-BFGS
iterations per penalty stop well short of the optimum.

Each solve takes minutes on one core; the table goes to ``--out`` (JSON) as it grows.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from arlib.checkpoints import load_model
from arlib.data import load_binarized_mnist
from arlib.models import FVSBN
from arlib.train import evaluate


def penalised_loss(model: FVSBN, x: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean -log p(x) over ``x`` plus ``penalty`` / 2 times the squared norm of the weights w."""
    return -model.log_prob(x).mean() + 0.5 * penalty * model.w.pow(2).sum()


def max_gradient(model: FVSBN, x: torch.Tensor, penalty: float) -> float:
    """The largest absolute entry of the penalised loss's gradient (0 at the optimum)."""
    model.zero_grad()
    penalised_loss(model, x, penalty).backward()
    return max(p.grad.abs().max().item() for p in model.parameters())


def solve(model: FVSBN, x: torch.Tensor, penalty: float, max_iter: int) -> int:
    """Minimise the penalised mean NLL of ``model`` on ``x`` in place by L-BFGS; returns the number of
    loss evaluations."""
    opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=max_iter, history_size=20,
                            tolerance_grad=1e-6, tolerance_change=1e-10, line_search_fn="strong_wolfe")
    evals = 0

    def closure() -> torch.Tensor:
        nonlocal evals
        evals += 1
        opt.zero_grad()
        loss = penalised_loss(model, x, penalty)
        loss.backward()
        return loss

    opt.step(closure)
    return evals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--penalties", type=float, nargs="+", default=[1e-4, 3e-4, 1e-3])
    ap.add_argument("--start", choices=["zeros", "shipped"], default="shipped")
    ap.add_argument("--max-iter", type=int, default=150, help="L-BFGS iterations per penalty")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("fvsbn_penalty_path.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, xv, xt = (load_binarized_mnist(s) for s in ("train", "valid", "test"))
    model = load_model("fvsbn").float() if args.start == "shipped" else FVSBN(784)
    model.train()
    rows, t0 = [], time.perf_counter()
    print(f"{'penalty':>8s} {'train':>8s} {'valid':>8s} {'test':>8s} {'max grad':>9s} {'evals':>6s} "
          f"{'seconds':>8s}")
    for penalty in args.penalties:
        evals = solve(model, x, penalty, args.max_iter)
        splits = {"train": x, "valid": xv, "test": xt}
        row = {"penalty": penalty, **{k: evaluate(model, d).nll for k, d in splits.items()},
               "max_gradient": max_gradient(model, x, penalty), "evals": evals,
               "seconds": round(time.perf_counter() - t0, 1)}
        rows.append(row)
        print(f"{penalty:8.0e} {row['train']:8.3f} {row['valid']:8.3f} {row['test']:8.3f} "
              f"{row['max_gradient']:9.1e} {evals:6d} {row['seconds']:8.0f}", flush=True)
        args.out.write_text(json.dumps({"start": args.start, "max_iter": args.max_iter, "path": rows},
                                       indent=1) + "\n")
    best = min(rows, key=lambda r: r["valid"])
    print(f"lowest validation NLL: penalty {best['penalty']:g} (test {best['test']:.3f})")


if __name__ == "__main__":
    main()
