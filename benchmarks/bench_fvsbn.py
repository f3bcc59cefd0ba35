"""FVSBN speed: training and evaluation throughput, and the time to sample (incremental vs naive).

Reference (PERFORMANCE.md, same kind of machine): pytorch-generative's FVBN (784 separate
nn.Linear) trains at 1,119 images/s, evaluates at 8,604 images/s and takes 5.0 s for 16
samples (784 full passes), batch 64, 2 threads. The target is at least 10x on throughput.
"""
from __future__ import annotations

import torch

from arlib.models import FVSBN
from arlib.sampling import ancestral_sample
from benchmarks.common import Row, median_time

REF_TRAIN, REF_EVAL, REF_SAMPLE16 = 1119.0, 8604.0, 5.0


def _train_step(model, opt, x):
    loss = -model.log_prob(x).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    torch.manual_seed(0)
    model = FVSBN(784)
    with torch.no_grad():
        model.w.normal_(0, 0.01)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rows = []
    for batch, note in ((64, "reference setting"), (100, "book setting")):
        x = torch.bernoulli(torch.full((batch, 784), 0.3))
        steps = 20 if quick else 50
        t = median_time(lambda: [_train_step(model, opt, x) for _ in range(steps)], repeats=repeats)
        ips = batch * steps / t
        rows.append(Row("fvsbn train", f"batch {batch}", ips, "img/s",
                        f"{note}; {ips / REF_TRAIN:.1f}x reference FVBN ({REF_TRAIN:,.0f})"))
    x = torch.bernoulli(torch.full((500, 784), 0.3))
    with torch.no_grad():
        t = median_time(lambda: model.log_prob(x), repeats=repeats)
    rows.append(Row("fvsbn eval", "batch 500", 500 / t, "img/s", f"{500 / t / REF_EVAL:.1f}x reference ({REF_EVAL:,.0f})"))
    for n in (16, 100):
        g = torch.Generator().manual_seed(0)
        t = median_time(lambda: model.sample(n, generator=g), repeats=repeats)
        note = f"incremental O(n^2); reference 16 samples: {REF_SAMPLE16} s" if n == 16 else "incremental O(n^2)"
        rows.append(Row("fvsbn sample", f"{n} images", t, "s", note))
        if n == 16:
            t16 = t
    g = torch.Generator().manual_seed(0)
    t_naive = median_time(lambda: ancestral_sample(model, 16, generator=g), repeats=1, warmup=0)
    rows.append(Row("fvsbn sample", "16 images, naive", t_naive, "s",
                    f"784 full passes; incremental is {t_naive / t16:.0f}x faster"))
    return rows
