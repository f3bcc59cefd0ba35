"""PixelCNN (chapter 9) at the book's settings: training throughput, the cost of applying the masks,
and naive vs fast sampling (same seed, same samples).

* training throughput: forward + summed NLL + backward + Adam, batch 64, for the recipe's model and
  for a model as deep as the reference PixelCNN of PERFORMANCE.md (32 channels, 16 masked layers),
  in float32 and, where the CPU has bfloat16 hardware, under bfloat16 autocast (``fit``'s "auto")
  (the models run channels-last inside; ``benchmarks/refbench_pixelcnn.py`` compares them with the
  references);
* dropout: the 64-channel PixelCNN with dropout 0.1 (``pixelcnn_wide``), a training step with
  ``arlib.layers.Dropout`` against the same with ``nn.Dropout``, as a ratio in one run;
* masks: a forward pass with the masks multiplied in (what ``MaskedConv2d`` does every call) against
  the same convolutions with the masked weights computed beforehand;
* sampling 100 images: naive (``arlib.sampling.ancestral_sample``: a full pass per pixel, 784
  passes) against the model's own cached sampler (one position per layer per pixel), from the same
  seed; the note says whether the images are identical, and a row gives the speed-up naive / cache
  as a ratio taken in one run.  ``--quick`` samples 10 images.
"""
from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from arlib.checkpoints import available, load_model
from arlib.data import load_binarized_mnist
from arlib.layers import channels_last
from arlib.models import PixelCNN
from arlib.recipes import pixelcnn, pixelcnn_wide
from arlib.sampling import ancestral_sample
from arlib.train import native_bf16, resolve_precision
from benchmarks.common import Row, median_time, train_step


def _train_rate(model, x, repeats: int, precision: str = "fp32") -> float:
    return x.shape[0] / median_time(train_step(model, x, precision), repeats=repeats)


def _dropout_row(repeats: int) -> Row:
    """The 64-channel PixelCNN with dropout 0.1 (recipe ``pixelcnn_wide``, batch 32, its precision):
    a training step with ``arlib.layers.Dropout`` against the same with ``nn.Dropout``, interleaved."""
    x = load_binarized_mnist("train", shape="image", n=32)
    precision = resolve_precision(pixelcnn_wide.FULL["precision"])
    torch.manual_seed(0)
    ours = pixelcnn_wide.build()
    torch.manual_seed(0)
    torchs = pixelcnn_wide.build()
    torchs.dropout = nn.Dropout(torchs.dropout.p)     # one dropout module serves every layer
    steps = {"arlib": train_step(ours, x, precision), "torch": train_step(torchs, x, precision)}
    times = {k: [] for k in steps}
    for _ in range(repeats + 1):                      # the first round warms up
        for k, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[k].append(time.perf_counter() - t0)
    t = {k: statistics.median(v[1:]) for k, v in times.items()}
    return Row("PixelCNN training throughput", f"pixelcnn_wide (64 ch, dropout 0.1), {precision}", 32 / t["arlib"],
               "images/s", f"batch 32; arlib.layers.Dropout {t['torch'] / t['arlib']:.2f}x nn.Dropout "
                           f"({32 / t['torch']:.0f} images/s) in this run")


def _premasked_forward(model, x):
    """The model's forward with masked, cropped weights prepared outside (no mask multiply per call)."""
    ws = [(layer.masked_weight().detach(), layer.bias, layer.kernel_size[0] // 2) for layer in model.layers]

    def fwd():
        h = channels_last(model.scale(x))
        for w, b, p in ws:
            h = F.relu(F.conv2d(F.pad(h, (p, p, p, 0)), w, b))
        return model.head[1](F.relu(model.head[0](h)))

    return fwd


def run(quick: bool = False) -> list[Row]:

    repeats = 2 if quick else 5
    threads = torch.get_num_threads()
    x = load_binarized_mnist("train", shape="image", n=64)
    rows = []
    settings = [("book: 32 ch, 8 layers (7x7 A + 3x3 B)", pixelcnn.build),
                ("reference depth: 32 ch, 16 layers", lambda: PixelCNN(channels=32, n_layers=16, first_kernel_size=7))]
    for name, build in settings:
        torch.manual_seed(0)
        fp32 = _train_rate(build(), x, repeats)
        rows.append(Row("PixelCNN training throughput", name, fp32, "images/s", f"batch 64; {threads} threads"))
        if native_bf16():   # what fit(precision="auto") trains with on this CPU
            torch.manual_seed(0)
            bf16 = _train_rate(build(), x, repeats, "bf16")
            rows.append(Row("PixelCNN training throughput", f"{name}, bfloat16 autocast", bf16, "images/s",
                            f"{bf16 / fp32:.2f}x float32 in this run"))

    rows.append(_dropout_row(repeats))

    torch.manual_seed(0)
    model = pixelcnn.build().eval()
    with torch.no_grad():
        t_mask = median_time(lambda: model(x), repeats=repeats)
        t_pre = median_time(_premasked_forward(model, x), repeats=repeats)
    rows.append(Row("PixelCNN forward, batch 64", "masks multiplied in every call", 1000 * t_mask, "ms",
                    f"pre-masked weights: {1000 * t_pre:.1f} ms ({100 * (t_mask / t_pre - 1):+.0f} %)"))

    n = 10 if quick else 100
    try:

        if "pixelcnn" in available():
            model = load_model("pixelcnn")
    except Exception:  # an untrained model samples just as fast
        pass
    out, times = {}, {}
    samplers = {"naive": lambda g: ancestral_sample(model, n, generator=g),
                "cache": lambda g: model.sample(n, generator=g)}
    for method, draw in samplers.items():
        t0 = time.perf_counter()
        out[method] = draw(torch.Generator().manual_seed(0))
        times[method] = time.perf_counter() - t0
    for method in samplers:
        same = torch.equal(out[method], out["naive"])
        rows.append(Row(f"PixelCNN sampling {n} images", method, times[method], "s",
                        f"{times['naive'] / times[method]:.1f}x faster than naive; "
                        f"{'same samples' if same else 'DIFFERENT samples'} for seed 0"))
    same = torch.equal(out["cache"], out["naive"])
    rows.append(Row(f"PixelCNN sampling {n} images", "naive / cache", times["naive"] / times["cache"], "x",
                    f"{'same' if same else 'DIFFERENT'} samples for seed 0; the book's sampler, "
                    "target (PERFORMANCE.md): >= 10x"))
    return rows


if __name__ == "__main__":
    from benchmarks.common import print_table

    print_table(run(quick=True))
