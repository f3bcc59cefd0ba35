"""A small continuous autoregressive model: p(x_t | x_<t) = N(mu_theta(x_<t), sigma_theta(x_<t)^2) (chapter 12).

The lecture's last slide: autoregressive models "can be extended to a continuous representation",
for example with Gaussian conditionals.  ``GaussianAR`` does it for a few real-valued dimensions:
dimension ``order[0]`` gets a learned Gaussian N(mu_1, sigma_1^2), and every later dimension a
Gaussian whose mean and log standard deviation come from a small MLP of the dimensions before it.

    model = GaussianAR(2, order=[0, 1])
    fit_gaussian_ar(model, x)          # maximum likelihood, full batch, Adam
    model.log_prob(x)                  # exact log-density, sum of the Gaussian log-conditionals
    model.sample(1000, generator=g)    # ancestral sampling

``banana(n)`` is the toy density of the chapter: x_1 ~ N(0, 1), x_2 | x_1 ~ N(x_1^2 / 2 - 1, 0.25^2).
In the order (x_1, x_2) a Gaussian autoregressive model can represent it exactly; in the order
(x_2, x_1) it cannot (p(x_2) is skewed and p(x_1 | x_2) has two modes, at +-sqrt(2 (x_2 + 1))).
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["GaussianAR", "banana", "banana_log_prob", "fit_gaussian_ar"]

LOG_2PI = math.log(2 * math.pi)


def banana(n: int, generator: torch.Generator | None = None, noise: float = 0.25) -> torch.Tensor:
    """``n`` points of the banana density: x_1 ~ N(0, 1), x_2 = x_1^2 / 2 - 1 + noise * N(0, 1); shape (n, 2)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    z = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    x1 = z[:, 0]
    x2 = 0.5 * x1**2 - 1.0 + noise * z[:, 1]
    return torch.stack([x1, x2], 1).float()


def banana_log_prob(x: torch.Tensor, noise: float = 0.25) -> torch.Tensor:
    """The true log-density of ``banana``, in nats: log N(x_1; 0, 1) + log N(x_2; x_1^2/2 - 1, noise^2)."""
    x = x.double()
    x1, x2 = x[:, 0], x[:, 1]
    lp1 = -0.5 * (LOG_2PI + x1**2)
    lp2 = -0.5 * (LOG_2PI + ((x2 - (0.5 * x1**2 - 1.0)) / noise) ** 2) - math.log(noise)
    return lp1 + lp2


class GaussianAR(nn.Module):
    """p(x) = prod_t N(x_{o_t}; mu_t(x_{o_<t}), sigma_t(x_{o_<t})^2) over ``D`` real dimensions in ``order``.

    The first dimension has a learned mean and log standard deviation; dimension t > 0 has an MLP
    (t inputs -> ``hidden`` tanh units -> 2 outputs: mu_t and log sigma_t).
    """

    def __init__(self, D: int = 2, order: list[int] | None = None, hidden: int = 32):
        super().__init__()
        if not isinstance(D, int) or D < 1:
            raise ValueError(f"D must be a positive int, got {D!r}")
        order = list(range(D)) if order is None else [int(o) for o in order]
        if sorted(order) != list(range(D)):
            raise ValueError(f"order must be a permutation of range({D}), got {order}")
        self.D, self.order = D, order
        self.first = nn.Parameter(torch.zeros(2))  # mu_1, log sigma_1
        self.nets = nn.ModuleList(
            nn.Sequential(nn.Linear(t, hidden), nn.Tanh(), nn.Linear(hidden, 2)) for t in range(1, D)
        )

    def conditionals(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mu and log sigma of every conditional, in the model's order (teacher forcing): two ``(B, D)`` tensors."""
        xo = x[:, self.order]
        mus, logs = [self.first[0].expand(x.shape[0])], [self.first[1].expand(x.shape[0])]
        for t, net in enumerate(self.nets, start=1):
            out = net(xo[:, :t])
            mus.append(out[:, 0])
            logs.append(out[:, 1])
        return torch.stack(mus, 1), torch.stack(logs, 1)

    def log_conditionals(self, x: torch.Tensor) -> torch.Tensor:
        """log N(x_{o_t}; mu_t, sigma_t^2) for every t, ``(B, D)`` in nats (the model's order)."""
        if x.dim() != 2 or x.shape[1] != self.D:
            raise ValueError(f"expected a batch of shape (B, {self.D}), got {tuple(x.shape)}")
        mu, log_sigma = self.conditionals(x)
        z = (x[:, self.order] - mu) * torch.exp(-log_sigma)
        return -0.5 * (LOG_2PI + z**2) - log_sigma

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) in nats: the sum of the Gaussian log-conditionals."""
        return self.log_conditionals(x).sum(1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ancestral sampling: x_{o_1} ~ N(mu_1, sigma_1^2), then each next dimension given the ones before."""
        xo = torch.zeros(n, self.D)
        eps = torch.randn(n, self.D, generator=generator)
        for t in range(self.D):
            if t == 0:
                mu, log_sigma = self.first[0], self.first[1]
            else:
                out = self.nets[t - 1](xo[:, :t])
                mu, log_sigma = out[:, 0], out[:, 1]
            xo[:, t] = mu + torch.exp(log_sigma) * eps[:, t]
        x = torch.empty_like(xo)
        x[:, self.order] = xo
        return x


def fit_gaussian_ar(model: GaussianAR, x: torch.Tensor, steps: int = 500, lr: float = 0.02, seed: int = 0) -> list[float]:
    """Maximum likelihood on all of ``x`` at once (Adam); returns the NLL (nats per point) after every step."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = -model.log_prob(x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
