"""PixelRNN (chapter 7) at the book's settings: training throughput, likelihood evaluation, sampling.

The model is sequential in the pixels, so its speed is set by 784 small steps one after the other:
training and evaluation run the LSTM over the whole sequence (one call, 784 steps inside),
sampling runs one cell step per pixel, carrying the state.  For contrast, the time a naive
sampler would need (one full pass per pixel) is estimated as 784 x the time of one full pass.
"""
from __future__ import annotations

import torch

from arlib.data import load_binarized_mnist
from arlib.recipes import pixelrnn
from benchmarks.common import Row, median_time

SETTING = "pixelrnn (LSTM, H=128)"


def run(quick: bool = False) -> list[Row]:

    repeats = 1 if quick else 3
    torch.manual_seed(0)
    model = pixelrnn.build()
    B = pixelrnn.FULL["batch_size"]
    x = load_binarized_mnist("train", shape="image", n=max(B, 100))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        loss = -model.log_prob(x[:B]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    model.train()
    t_train = median_time(train_step, repeats=repeats)
    model.eval()
    xe = x[:64]
    with torch.no_grad():
        t_eval = median_time(lambda: model.log_prob(xe), repeats=repeats)
        g = torch.Generator().manual_seed(0)
        t_sample = median_time(lambda: model.sample(100, generator=g), repeats=repeats, warmup=0 if quick else 1)
        t_full = median_time(lambda: model(x[:100]), repeats=repeats)
    threads = torch.get_num_threads()
    return [
        Row("training throughput", SETTING, B / t_train, "images/s", f"batch {B}, forward + backward + Adam; {threads} threads"),
        Row("likelihood evaluation", SETTING, 1000 * t_eval, "ms/batch", f"batch of 64 = {64 / t_eval:,.0f} images/s; 784 sequential steps"),
        Row("sampling 100 images", SETTING, t_sample, "s", "one cell step per pixel, carrying the state"),
        Row("sampling 100 images", SETTING + " naive", 784 * t_full, "s", "estimated: 784 full passes (what it avoids)"),
    ]


if __name__ == "__main__":
    from benchmarks.common import print_table

    print_table(run(quick=True))
