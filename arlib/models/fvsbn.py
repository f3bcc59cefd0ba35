"""FVSBN: the fully visible sigmoid belief network, an autoregressive model from logistic regression.

    p(x_i = 1 | x_<i) = sigma(theta_i^T [1, x_<i])

theta_i = (b_i, w_i1, ..., w_i,i-1) has i entries: a bias and one weight per earlier pixel.
All n conditionals together are one linear layer whose weight matrix W is strictly lower
triangular in the generation order, logits = x W^T + b, so one matrix product evaluates all
784 conditionals at once (the lecture's "how do we evaluate").

The model stores exactly the n (n + 1) / 2 free numbers of the lecture (``counting.fvsbn``):
the n biases ``b`` and the n (n - 1) / 2 weights below the diagonal, packed in ``w``; ``W``
scatters them into the n x n matrix (pixel indices, in any order) on every forward.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from arlib.models.base import AutoregressiveModel

__all__ = ["FVSBN"]


class FVSBN(AutoregressiveModel):
    """n logistic regressions, one per pixel, each on the pixels before it in ``order``.

    Args:
        n: number of binary variables (784 for MNIST).
        order: generation order, ``order[k]`` = the pixel generated k-th (default: raster scan).

    Parameters: ``b`` (n biases, b[i] for pixel i) and ``w`` (the n (n - 1) / 2 weights; ``w``
    packs, row by row, the strictly lower triangle of W in generation order). The buffer
    ``mask`` (n x n, pixel indices) is 1 where W may be non-zero: ``mask[i, j] = 1`` iff pixel
    j comes before pixel i in ``order``.
    """

    def __init__(self, n: int = 784, order: Sequence[int] | torch.Tensor | None = None):
        super().__init__((n,), order=order)
        self.b = nn.Parameter(torch.zeros(n))
        self.w = nn.Parameter(torch.zeros(n * (n - 1) // 2))
        # (k, l) with l < k in generation order -> (row, col) = (order[k], order[l]) in pixel indices
        k, l = torch.tril_indices(n, n, offset=-1)
        rows, cols = self.order[k], self.order[l]
        self.register_buffer("flat_index", rows * n + cols, persistent=False)
        mask = torch.zeros(n, n)
        mask[rows, cols] = 1.0
        self.register_buffer("mask", mask, persistent=False)

    @classmethod
    def examples(cls) -> list["FVSBN"]:
        return [cls(9), cls(9, order=[4, 0, 8, 2, 6, 1, 7, 3, 5])]

    @property
    def W(self) -> torch.Tensor:
        """The n x n weight matrix in pixel indices: W[i, j] = weight of x_j in the logit of x_i."""
        n = self.D
        return self.w.new_zeros(n * n).index_put((self.flat_index,), self.w).view(n, n)

    def theta(self, i: int) -> torch.Tensor:
        """The lecture's theta_i of pixel i: [bias, weights of the pixels before i in the order]."""
        pos = int((self.order == i).nonzero())
        before = self.order[:pos]
        return torch.cat([self.b[i : i + 1], self.W[i, before]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of all n conditionals in one pass: x W^T + b, shape (B, n)."""
        return torch.addmm(self.b, x, self.W.T)

    @torch.no_grad()
    def generate(self, n: int, choose, **cond) -> torch.Tensor:
        """Ancestral loop in ``order``, incrementally: O(n_pixels**2) work in all.

        The logits start at b; once x_i is chosen, x_i times column i of W is added to the
        logits of every later pixel, so no step recomputes the whole product.
        """
        self.check_n(n)
        self.check_cond(cond)
        W = self.W
        logits = self.b.expand(n, -1).clone()
        x = torch.zeros_like(logits)
        for i in self.order.tolist():
            x[:, i] = choose(i, logits[:, i])
            logits.addr_(x[:, i], W[:, i])  # every later logit += x_i * W[:, i]
        return x
