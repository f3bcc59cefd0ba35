"""Independent Bernoullis: one parameter per pixel, p(x) = prod_i theta_i^x_i (1 - theta_i)^(1 - x_i).

The trivial baseline that proves the plumbing: it is an autoregressive model whose
conditionals ignore x_<i altogether.
"""
from __future__ import annotations

import torch
from torch import nn

from arlib.models.base import AutoregressiveModel

__all__ = ["IndependentBernoulli"]


class IndependentBernoulli(AutoregressiveModel):
    """n independent Bernoulli variables with logits ``logit_theta`` (n parameters)."""

    def __init__(self, n: int = 784):
        super().__init__((n,))
        self.logit_theta = nn.Parameter(torch.zeros(n))

    @classmethod
    def examples(cls) -> list["IndependentBernoulli"]:
        return [cls(9)]

    @property
    def theta(self) -> torch.Tensor:
        """p(x_i = 1) for every i."""
        return torch.sigmoid(self.logit_theta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logit_theta.expand(x.shape[0], -1)

    @torch.no_grad()
    def fit_closed_form(self, x: torch.Tensor, eps: float = 1e-3) -> "IndependentBernoulli":
        """Maximum likelihood in closed form: theta_i = mean of x_i, clamped to [eps, 1 - eps]."""
        self.check_input(x)
        theta = x.float().mean(0).clamp(eps, 1 - eps)
        self.logit_theta.copy_(torch.logit(theta))
        return self

    @torch.no_grad()
    def generate(self, n: int, choose, **cond) -> torch.Tensor:
        """Every pixel from its own theta_i: the logits never change, whatever was drawn before."""
        self.check_n(n)
        self.check_cond(cond)
        logits = self.logit_theta.expand(n, -1)
        x = torch.zeros(n, self.D, dtype=self.dtype, device=self.device)
        for i in self.order.tolist():
            x[:, i] = choose(i, logits[:, i])
        return x
