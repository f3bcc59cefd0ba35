"""Gated PixelCNN (chapter 11): training throughput and sampling time; the results table (chapter 12): evaluation time.

Settings measured:

* the book's model (``arlib.recipes.gated_pixelcnn``: p = 16, 12 layers) at batch 32;
* the reference's size (PERFORMANCE.md, pytorch-generative's Gated PixelCNN: 128 channels, an input layer of
  7 x 7 and 10 gated 3 x 3 layers, head of 32) at batch 64, as close as arlib's masks express it;
* sampling 16 images with the cached sampler against 784 full passes (the naive cost is measured per pass and
  multiplied by 784; a full naive run of the same samples is checked on a 12 x 12 image);
* ``arlib.book.results.results_table`` over the shipped checkpoints (the notebook's 500 test images; all 10,000 unless quick).

With ``ARLIB_BENCH_BUDGET_SECONDS=S`` it also trains chapter 9's PixelCNN and the gated model from scratch for S
seconds of wall time each (same data, seed, batch and learning rate) and reports their validation NLL: the
"same budget" comparison of chapter 11.
"""
from __future__ import annotations

import os
import time

import torch

from arlib import recipes
from arlib.book.results import results_table
from arlib.data import load_binarized_mnist
from arlib.models import GatedPixelCNN
from arlib.sampling import ancestral_sample
from arlib.train import evaluate, fit
from benchmarks.common import Row, median_time


def _train_throughput(model, batch: int, repeats: int) -> float:
    x = (torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -model.log_prob(x).mean()
        loss.backward()
        opt.step()

    return batch / median_time(step, repeats=repeats, warmup=1)


@torch.no_grad()
def _eval_throughput(model, batch: int, repeats: int) -> float:
    x = (torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    model.eval()
    return batch / median_time(lambda: model.log_prob(x), repeats=repeats, warmup=1)


def _budget(seconds: float) -> list[Row]:

    train = load_binarized_mnist("train", shape="image")
    valid = load_binarized_mnist("valid", shape="image", n=1000)
    rows = []
    for name in ("pixelcnn", "gated_pixelcnn"):
        model = recipes.get(name).build()
        hist = fit(model, train, epochs=100, batch_size=32, lr=2e-3, seed=0, max_seconds=seconds, progress=False)
        nll = evaluate(model, valid).nll
        rows.append(Row("same wall-time budget", f"{name}, {seconds:.0f} s, batch 32", nll, "valid NLL (nats)",
                        f"{len(hist.step_nll)} steps, {hist.images_per_second:.0f} img/s, first 1000 valid images"))
    return rows


def run(quick: bool = False) -> list[Row]:

    repeats = 1 if quick else 3
    rows: list[Row] = []
    torch.manual_seed(0)
    book = recipes.get("gated_pixelcnn").build()
    rows.append(Row("gated pixelcnn train", "book (p=16, L=12), batch 32", _train_throughput(book, 32, repeats), "img/s"))
    rows.append(Row("gated pixelcnn eval", "book (p=16, L=12), batch 256", _eval_throughput(book, 256, repeats), "img/s"))
    ref = GatedPixelCNN(channels=128, n_layers=11, kernel_size=3, first_kernel_size=7, head_channels=32)
    n_ref = sum(p.numel() for p in ref.parameters())
    rows.append(Row("gated pixelcnn train", "reference size (128 ch, 1+10 layers), batch 64",
                    _train_throughput(ref, 64, max(1, repeats - 1)), "img/s",
                    f"{n_ref:,} params; pytorch-generative: 9.7 img/s (PERFORMANCE.md)"))
    rows.append(Row("gated pixelcnn eval", "reference size, batch 64", _eval_throughput(ref, 64, repeats), "img/s",
                    "pytorch-generative: 44.9 img/s"))

    # sampling: cached vs 784 full passes
    book.eval()
    n = 16
    cached = median_time(lambda: book.sample(n, generator=torch.Generator().manual_seed(0)), repeats=repeats, warmup=0)
    with torch.no_grad():
        one_pass = median_time(lambda: book(torch.zeros(n, 1, 28, 28)), repeats=5, warmup=1)
    rows.append(Row("gated pixelcnn sampling", f"book, {n} images, cached", cached, "s"))
    rows.append(Row("gated pixelcnn sampling", f"book, {n} images, 784 full passes (784 x one pass)", 784 * one_pass, "s",
                    f"cached is {784 * one_pass / cached:.0f}x faster"))
    small = GatedPixelCNN(**{**book.config, "height": 12, "width": 12})
    small.load_state_dict(book.state_dict())
    same = torch.equal(ancestral_sample(small, 4, generator=torch.Generator().manual_seed(1)),
                       small.sample(4, generator=torch.Generator().manual_seed(1)))
    rows.append(Row("gated pixelcnn sampling", "naive == cached, 4 images of 12x12, same seed", float(same), "bool"))
    if not quick:
        ref.eval()
        with torch.no_grad():
            ref_pass = median_time(lambda: ref(torch.zeros(n, 1, 28, 28)), repeats=2, warmup=1)
        ref_cached = median_time(lambda: ref.sample(n, generator=torch.Generator().manual_seed(0)), repeats=1, warmup=0)
        rows.append(Row("gated pixelcnn sampling", f"reference size, {n} images, cached", ref_cached, "s",
                        f"784 full passes: {784 * ref_pass:.0f} s; pytorch-generative: 266 s"))

    # the results table of chapter 12

    for n_test in ((500,) if quick else (500, 10_000)):
        t0 = time.perf_counter()
        res = results_table(n_test=n_test, sample=False, progress=False)
        total = time.perf_counter() - t0
        ok = [r for r in res if r.status == "ok"]
        rows.append(Row("results table", f"{n_test} test images, {len(ok)} of {len(res)} rows", total, "s",
                        "evaluation only (loading included)"))
        for r in ok:
            rows.append(Row("results table row", f"{r.model.name}, {n_test} images", r.eval_seconds, "s",
                            f"NLL {r.nll:.2f}"))
    budget = os.environ.get("ARLIB_BENCH_BUDGET_SECONDS")
    if budget:
        rows += _budget(float(budget))
    return rows
