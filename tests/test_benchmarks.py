"""benchmarks/bench_roofline.py: the arithmetic it counts per image is the model's own."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from arlib.models import FVSBN  # noqa: E402
from benchmarks.bench_roofline import peak_gflops, train_flops_per_image  # noqa: E402


def test_flops_of_a_training_step_are_the_models_products():
    """FVSBN's forward is one product x W^T (2 n^2 per image) and its backward one more for dL/dW
    (the input needs no gradient): 4 n^2 per image, at one thread or two."""
    n = 784
    x = (torch.rand(8, n, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    model = FVSBN(n)
    assert train_flops_per_image(model, x) == 4 * n * n
    assert all(p.grad is None for p in model.parameters())      # the counting step leaves no gradient behind
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:   # counted on one thread, whatever the caller's setting, which is given back
        assert train_flops_per_image(model, x[:2]) == 4 * n * n and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_peak_is_a_rate():
    assert 0 < peak_gflops("fp32", n=128, repeats=1) < 1e5
