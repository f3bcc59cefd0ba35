"""What bounds training speed: each model's arithmetic per image against this CPU's measured peak.

For each recipe below (and arlib's PixelCNN at pytorch-generative's shape, as
``benchmarks/refbench_pixelcnn.py`` compares it), one training step (forward, NLL, backward, Adam) at the
recipe's batch size and training precision (``fit``'s ``"auto"``: bfloat16 autocast where the CPU
multiplies bfloat16 in hardware):

* **MFLOP per image**, counted by ``torch.utils.flop_counter`` while the step executes (the matrix
  products and convolutions; elementwise work such as sigmoids, masks and the optimizer is not counted);
* **images per second**, the median of repeated steps;
* the **GFLOP/s** that makes, and its share of the **peak** of this CPU measured in the same run: a
  2048 x 2048 matrix product in the same precision, at the same number of threads.

A model near the peak can only train faster by doing less arithmetic (which is why the PixelCNNs crop
their kernels to the rows a pixel sees); one far below it is bound by something else: memory traffic,
many small operations, Python.  Shares are ratios of two measurements taken one after the other, so a
busy machine lowers both; the figures are this machine's, not a property of the models.
"""
from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from arlib import recipes
from arlib.data import load_binarized_mnist
from arlib.models import PixelCNN
from arlib.train import resolve_precision, training_autocast
from benchmarks.common import Row, median_time, train_step

RECIPES = ["fvsbn", "nade", "made", "pixelcnn", "pixelcnn_deep", "pixelcnn_wide", "gated_pixelcnn",
           "gated_pixelcnn_wide"]
"""The recipes measured: the book's models at the settings their shipped checkpoints trained with."""


def peak_gflops(precision: str = "fp32", n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of an ``n`` x ``n`` matrix product in ``precision`` ("fp32" or "bf16") on this CPU."""
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=g).to(dtype), torch.randn(n, n, generator=g).to(dtype)
    return 2 * n ** 3 / median_time(lambda: a @ b, repeats=repeats) / 1e9


def train_flops_per_image(model, x, precision: str = "fp32") -> float:
    """FLOPs of one training step's forward and backward passes, per image (counted on one thread,
    so that work a model spreads over its own threads is seen too)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with training_autocast(precision), FlopCounterMode(display=False) as fwd:
            loss = -model.log_prob(x).float().mean()
        with FlopCounterMode(display=False) as bwd:
            loss.backward()
    finally:
        torch.set_num_threads(threads)
    model.zero_grad(set_to_none=True)
    return (fwd.get_total_flops() + bwd.get_total_flops()) / x.shape[0]


def _models(quick: bool) -> list[tuple[str, torch.nn.Module, torch.Tensor, str]]:
    out = []
    for name in RECIPES[:5] if quick else RECIPES:
        s = recipes.settings(name, full=True)
        batch = min(s["batch_size"], 16) if quick else s["batch_size"]
        torch.manual_seed(0)
        out.append((f"{name} (recipe, batch {batch})", recipes.get(name).build(),
                    recipes.load_data(name, "train", n=batch), resolve_precision(s.get("precision", "fp32"))))
    torch.manual_seed(0)
    pg = PixelCNN(in_channels=1, channels=32, n_layers=16, kernel_size=3, first_kernel_size=7, head_channels=32,
                  bottleneck=True)
    out.append(("PixelCNN at pytorch-generative's shape (batch 32)", pg,
                load_binarized_mnist("train", shape="image", n=32), "fp32"))
    return out


def run(quick: bool = False) -> list[Row]:
    repeats = 2 if quick else 5
    threads = torch.get_num_threads()
    peaks = {"fp32": peak_gflops("fp32", repeats=repeats)}
    rows = [Row("peak: 2048 x 2048 matrix product", "float32", peaks["fp32"], "GFLOP/s", f"{threads} threads")]
    for setting, model, x, precision in _models(quick):
        if precision not in peaks:
            peaks[precision] = peak_gflops(precision, repeats=repeats)
            rows.append(Row("peak: 2048 x 2048 matrix product", "bfloat16", peaks[precision], "GFLOP/s",
                            f"{threads} threads; {peaks[precision] / peaks['fp32']:.2f}x float32"))
        flops = train_flops_per_image(model, x, precision)
        rate = x.shape[0] / median_time(train_step(model, x, precision), repeats=repeats)
        achieved = flops * rate / 1e9
        rows.append(Row("training step: arithmetic against the peak", setting, rate, "images/s",
                        f"{'bfloat16' if precision == 'bf16' else 'float32'}; {flops / 1e6:,.1f} MFLOP/image -> "
                        f"{achieved:,.1f} GFLOP/s = {100 * achieved / peaks[precision]:.0f} % of the peak"))
    return rows


if __name__ == "__main__":
    from benchmarks.common import print_table

    print_table(run(quick=True))
