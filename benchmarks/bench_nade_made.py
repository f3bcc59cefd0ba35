"""NADE and MADE speed: evaluation (naive O(n^2 H) vs running sum), training throughput against
the reference implementations of PERFORMANCE.md, and the time to sample 100 images; then
arlib's rows of ``../shared/refbench`` (train img/s, eval img/s, seconds for 16 samples of FVSBN,
NADE, MADE 500 and MADE 8000, timed the way refbench times them) for arlib alone.

The references are re-created here in their own style (so that ratios come from one run on one
machine): the pytorch-generative NADE (a Python loop over the pixels, autograd records every step)
and karpathy/pytorch-made's MADE (masks multiplied into the weights on every forward).

    python -m benchmarks nade_made [--quick]
    python -m benchmarks refbench [--quick]     # only the refbench rows (bench_refbench.py)
"""
from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from arlib.masks import made_degrees, made_masks
from arlib.models import FVSBN, MADE, NADE
from arlib.models.nade import running_sum_logits
from arlib.sampling import ancestral_sample
from benchmarks.common import Row, median_time

B = 64  # the batch of PERFORMANCE.md's reference figures


def _batch(n: int = B, D: int = 784) -> torch.Tensor:
    return (torch.rand(n, D, generator=torch.Generator().manual_seed(0)) < 0.3).float()


def _naive_logits(x, W, c, V, b):
    out = torch.empty(x.shape)
    for i in range(x.shape[1]):
        out[:, i] = b[i] + torch.sigmoid(c + x[:, :i] @ W[:, :i].T) @ V[i]
    return out


def _train_step(params, logits_fn, x):
    opt = torch.optim.Adam(params, lr=1e-4)

    def step():
        loss = F.binary_cross_entropy_with_logits(logits_fn(x), x, reduction="sum") / x.shape[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def _paired(fns: list, repeats: int) -> list[float]:
    """Median seconds of each function, measured in turns (a, b, a, b, ...) after one warm-up each,
    so that a shared machine's drifting load falls on all of them alike."""

    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for f, ts in zip(fns, times):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


class _KarpathyMaskedLinear(nn.Linear):
    """karpathy/pytorch-made's layer: F.linear(x, mask * weight, bias) on every call."""

    def __init__(self, a: int, b: int, mask: torch.Tensor):
        super().__init__(a, b)
        self.register_buffer("mask", mask.float())

    def forward(self, x):
        return F.linear(x, self.mask * self.weight, self.bias)


def _karpathy_made(hidden: int = 500, D: int = 784) -> nn.Module:

    m = made_masks(made_degrees(D, [hidden], "natural", seed=0))
    return nn.Sequential(_KarpathyMaskedLinear(D, hidden, m[0]), nn.ReLU(), _KarpathyMaskedLinear(hidden, D, m[1]))


# refbench's arlib specs (../shared/refbench/arlib_extra.py), by the name refbench gives them
REFBENCH_MODELS = {
    "arlib_fvsbn": ("FVSBN(784)", lambda: FVSBN(784)),
    "arlib_nade": ("NADE(784, 500)", lambda: NADE(784, 500)),
    "arlib_made500": ("MADE(784, [500]), 1 mask", lambda: MADE(784, [500], num_masks=1)),
    "arlib_made8000": ("MADE(784, [8000]), 1 mask", lambda: MADE(784, [8000], num_masks=1)),
}


def refbench_rows(quick: bool = False) -> list[Row]:
    """refbench's measurements of arlib's models, without the references: batch 64 of random binary
    images, train = zero_grad + forward + BCE with logits (sum over pixels, mean over the batch) +
    backward + Adam(lr 1e-3) step; eval = forward under no_grad; sample = 16 samples with
    ``model.sample``. Train and eval are timed in rounds over all models (``_paired``), so their
    ratios come from one run; compare with refbench's table for the references."""
    x = (torch.rand(B, 784, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    models = {name: build() for name, (_, build) in REFBENCH_MODELS.items()}
    trains, evals = [], []
    for m in models.values():
        m.train()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)

        def train(m=m, opt=opt):
            opt.zero_grad(set_to_none=True)
            F.binary_cross_entropy_with_logits(m(x), x, reduction="sum").div(B).backward()
            opt.step()

        def evaluate(m=m):
            with torch.no_grad():
                m(x)

        trains.append(train)
        evals.append(evaluate)
    t_train = _paired(trains, 3 if quick else 10)
    t_eval = _paired(evals, 3 if quick else 10)
    rows = []
    for (name, (setting, _)), m, tt, te in zip(REFBENCH_MODELS.items(), models.values(), t_train, t_eval):
        m.eval()
        ts = median_time(lambda: m.sample(16, generator=torch.Generator().manual_seed(0)), repeats=1 if quick else 3)
        rows += [Row("refbench rows, arlib alone", f"{name}: {setting}, train, batch {B}", B / tt, "img/s"),
                 Row("refbench rows, arlib alone", f"{name}: {setting}, eval, batch {B}", B / te, "img/s"),
                 Row("refbench rows, arlib alone", f"{name}: {setting}, 16 samples", ts, "s")]
    return rows


def run(quick: bool = False) -> list[Row]:
    r = 2 if quick else 5
    rows: list[Row] = []
    x = _batch()

    # ---- NADE evaluation: naive vs running sum vs arlib (H = 500)
    nade = NADE(784, 500)
    W, c, V, b = nade.W.detach(), nade.c.detach(), nade.V.detach(), nade.b.detach()
    x8 = x[:8]
    with torch.no_grad():
        t_naive, t_loop, t_fused = _paired([lambda: _naive_logits(x8, W, c, V, b),
                                            lambda: running_sum_logits(x8, W, c, V, b), lambda: nade(x8)],
                                           1 if quick else 3)
        t_eval = median_time(lambda: nade(x), repeats=r)
    rows += [
        Row("NADE eval, 8 images", "naive O(n^2 H), H=500", 8 / t_naive, "img/s"),
        Row("NADE eval, 8 images", "running-sum loop, H=500", 8 / t_loop, "img/s", f"{t_naive / t_loop:.0f}x naive"),
        Row("NADE eval, 8 images", "arlib NADE (blocks), H=500", 8 / t_fused, "img/s", f"{t_naive / t_fused:.0f}x naive"),
        Row("NADE eval", f"arlib NADE, H=500, batch {B}", B / t_eval, "img/s", "reference 1,599 img/s"),
    ]

    # ---- NADE training: Python loop over pixels (reference style) vs arlib
    ref = [p.detach().clone().requires_grad_() for p in (W, c, V, b)]
    t_ref, t_nade = _paired([_train_step(ref, lambda xb: running_sum_logits(xb, *ref), x),
                             _train_step(list(nade.parameters()), nade, x)], r)
    loop_rate, nade_rate = B / t_ref, B / t_nade
    rows += [
        Row("NADE train", f"Python loop over pixels (pytorch-generative style), H=500, batch {B}", loop_rate, "img/s",
            "reference table: 372 img/s"),
        Row("NADE train", f"arlib NADE, H=500, batch {B}", nade_rate, "img/s",
            f"{nade_rate / loop_rate:.1f}x the loop in this run; target 10x 372 = 3,720"),
    ]

    # ---- MADE training: one hidden layer of 500 (the lean reference), and the book's 2 x 500 x 32 masks
    kp = _karpathy_made()
    made1 = MADE(784, [500]).train()
    made2 = MADE(784, [500, 500], num_masks=32, ordering="random").train()
    with torch.no_grad():
        for _ in range(32):  # draw (and check) each of the 32 masks once, as the first steps of training do
            made2(x[:1])
    ts = _paired([_train_step(list(kp.parameters()), kp, x), _train_step(list(made1.parameters()), made1, x),
                  _train_step(list(made2.parameters()), made2, x)], 10 * r)
    kp_rate, made1_rate, made2_rate = (B / t for t in ts)
    rows += [
        Row("MADE train", f"karpathy/pytorch-made style, 1 x 500, batch {B}", kp_rate, "img/s", "reference table: 21,547 img/s"),
        Row("MADE train", f"arlib MADE, 1 x 500, 1 mask, batch {B}", made1_rate, "img/s",
            f"{made1_rate / kp_rate:.2f}x the karpathy style in this run"),
        Row("MADE train", f"arlib MADE, 2 x 500, 32 masks (new mask every step), batch {B}", made2_rate, "img/s",
            "the book's model"),
    ]

    # ---- sampling 100 images
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    made1.eval()
    made2.eval()
    t_nade = median_time(lambda: nade.sample(100, generator=g()), repeats=max(1, r - 2))
    t_made_fast = median_time(lambda: made1.sample(100, generator=g()), repeats=max(1, r - 2))
    t_made2_fast = median_time(lambda: made2.sample(100, generator=g()), repeats=max(1, r - 2))
    t_made2_slow = median_time(lambda: ancestral_sample(made2, 100, generator=g()), repeats=1, warmup=0)
    rows += [
        Row("sample 100 images", "NADE H=500 (running sum, O(H) per pixel)", t_nade, "s"),
        Row("sample 100 images", "MADE 1 x 500 (each unit once, by degree)", t_made_fast, "s"),
        Row("sample 100 images", "MADE 2 x 500 (each unit once, by degree)", t_made2_fast, "s"),
        Row("sample 100 images", "MADE 2 x 500, 784 full passes (generic sampler)", t_made2_slow, "s",
            f"{t_made2_slow / t_made2_fast:.0f}x the by-degree sampler"),
    ]
    return rows
