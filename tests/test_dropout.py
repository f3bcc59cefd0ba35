"""arlib.layers.Dropout: nn.Dropout's rule (keep with probability 1 - p, scale by 1 / (1 - p)) from
16-bit uniform integers, four to each 64-bit number the generator draws."""
import pytest
import torch
from torch import nn

from arlib.layers import Dropout


def test_drops_at_its_rate_and_scales_exactly():
    d = Dropout(0.1).train()
    x = torch.ones(1_000_003)                       # not a multiple of 4
    torch.manual_seed(0)
    y = d(x)
    scale = 2 ** 16 / (2 ** 16 - d.cut)
    assert d.cut == 6554 and y.unique().tolist() == pytest.approx([0.0, scale])
    dropped = (y == 0).double().mean().item()
    assert abs(dropped - d.cut / 2 ** 16) < 5 * (0.1 * 0.9 / x.numel()) ** 0.5     # five standard errors
    assert abs(y.double().mean().item() - 1) < 5 * (scale ** 2 * 0.1 * 0.9 / x.numel()) ** 0.5
    # every 16-bit chunk of a 64-bit word is a fair coin at p = 1/2 (the top bits too)
    half = Dropout(0.5).train()
    kept = half.keep_mask(torch.empty(4 * 250_000)).view(-1, 4).double().mean(0)
    assert ((kept - 0.5).abs() < 5 * (0.25 / 250_000) ** 0.5).all(), kept


def test_mask_follows_the_seed_and_the_layout_and_the_gradient_is_the_mask():
    d = Dropout(0.3).train()
    x = torch.randn(4, 6, 5, 7).contiguous(memory_format=torch.channels_last).requires_grad_()
    torch.manual_seed(1)
    y = d(x)
    torch.manual_seed(1)
    assert torch.equal(d(x), y)                     # the default generator, so fit's seed governs it
    assert y.is_contiguous(memory_format=torch.channels_last)
    m = (y != 0).to(x.dtype) * (2 ** 16 / (2 ** 16 - d.cut))
    assert torch.allclose(y, x * m)
    y.sum().backward()
    assert torch.allclose(x.grad, m)


def test_identity_in_evaluation_and_at_rate_zero_and_bad_rates_refused():
    x = torch.randn(3, 10)
    assert Dropout(0.5).eval()(x) is x and Dropout(0.0).train()(x) is x
    for p in (-0.1, 1.0):
        with pytest.raises(ValueError, match="dropout"):
            Dropout(p)
    assert not list(Dropout(0.2).parameters()) and "p=0.2" in repr(Dropout(0.2))


def test_models_use_it():
    from arlib.models import GatedPixelCNN, PixelCNN

    for m in (PixelCNN(channels=8, n_layers=3, residual=True, dropout=0.1, height=7, width=7),
              GatedPixelCNN(channels=8, n_layers=2, dropout=0.1, height=7, width=7)):
        kinds = {type(k) for k in m.modules()}
        assert Dropout in kinds and nn.Dropout not in kinds
