import pytest
import torch
from torch import nn

from arlib.models import AutoregressiveModel, IndependentBernoulli
from arlib.testing import AutoregressiveViolation, assert_autoregressive, dependency_matrix


class LowerTriangular(AutoregressiveModel):
    """A correct toy: logit_i = sum_{j<i} W_ij x_j (strictly lower-triangular)."""

    def __init__(self, D, leak_at=None, order=None):
        super().__init__((D,), order=order)
        self.W = nn.Parameter(torch.randn(D, D, generator=torch.Generator().manual_seed(0)))
        mask = torch.tril(torch.ones(D, D), -1)
        if leak_at is not None:
            mask[leak_at] = 1  # dimension i sees x_j with j >= i
        perm = self.order
        P = torch.zeros(D, D)
        P[perm, torch.arange(D)] = 1  # reorder: the mask lives in generation order
        self.register_buffer("mask", P @ mask @ P.T)

    def forward(self, x):
        return x @ (self.W * self.mask).T


def test_correct_model_passes():
    assert_autoregressive(LowerTriangular(10), (10,))
    assert_autoregressive(IndependentBernoulli(7), (7,))


def test_correct_model_in_another_order_passes_only_in_that_order():
    order = torch.tensor([3, 0, 4, 1, 2])
    m = LowerTriangular(5, order=order)
    assert_autoregressive(m, (5,))
    with pytest.raises(AutoregressiveViolation):
        assert_autoregressive(m, (5,), order=torch.arange(5))


def test_leaky_model_fails_and_names_the_pair():
    with pytest.raises(AutoregressiveViolation, match=r"dimension 4 \(position 4 in the order\) changes when dimension 4"):
        assert_autoregressive(LowerTriangular(8, leak_at=(4, 4)), (8,))
    with pytest.raises(AutoregressiveViolation, match=r"dimension 2 .* when dimension 6"):
        assert_autoregressive(LowerTriangular(8, leak_at=(2, 6)), (8,))


def test_dependency_matrix_is_the_mask():
    m = LowerTriangular(6)
    assert torch.equal(dependency_matrix(m, (6,)), torch.tril(torch.ones(6, 6, dtype=torch.bool), -1))


def test_order_size_mismatch():
    with pytest.raises(ValueError, match="entries"):
        assert_autoregressive(LowerTriangular(4), (4,), order=torch.arange(5))


def test_dropout_check_catches_no_dropout_and_a_leak_in_training():
    from arlib.models import PixelCNN
    from arlib.testing import assert_dropout_in_training_only
    build = lambda **d: PixelCNN(1, 8, 3, 3, 5, height=6, width=6, residual=True, **d)  # noqa: E731
    x = torch.randint(0, 2, (3, 1, 6, 6)).float()
    with pytest.raises(AssertionError, match="no dropout"):
        assert_dropout_in_training_only(build(), build(), x)
    m, plain = build(dropout=0.5), build()
    for net in (m, plain):
        net.layers[0].mask[:, :, 2, 2] = 1                 # the type-A centre let through, in both
    with pytest.raises(AutoregressiveViolation, match="in training: the logit of pixel 0 depends on pixel 0"):
        assert_dropout_in_training_only(m, plain, x)
