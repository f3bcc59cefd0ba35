"""The one interface every density model in ``arlib.models`` shares.

* ``forward(x)`` returns the logits of every conditional in one parallel pass (teacher forcing):
  ``(B, *event_shape)`` for binary data (one Bernoulli logit per dimension), or
  ``(B, K, *event_shape)`` for data with ``K = num_values`` categories.
* ``log_prob(x)`` returns log p(x) per example, in nats.
* ``sample(n)`` draws ``n`` examples by ancestral sampling in the model's ordering.
* ``order`` is explicit: ``order[k]`` is the flat index of the k-th dimension to be generated.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AutoregressiveModel"]


class AutoregressiveModel(nn.Module):
    """Base class: subclasses implement ``forward`` and may override ``sample`` for speed."""

    def __init__(self, event_shape: tuple[int, ...], num_values: int = 2, order: torch.Tensor | None = None):
        super().__init__()
        self.event_shape = tuple(int(s) for s in event_shape)
        if num_values < 2:
            raise ValueError(f"num_values must be >= 2, got {num_values}")
        self.num_values = int(num_values)
        D = math.prod(self.event_shape)
        order = torch.arange(D) if order is None else torch.as_tensor(order, dtype=torch.long)
        if order.shape != (D,) or not torch.equal(order.sort().values, torch.arange(D)):
            raise ValueError(f"order must be a permutation of range({D}), got shape {tuple(order.shape)}")
        self.register_buffer("order", order.clone(), persistent=False)

    # ------------------------------------------------------------------ helpers
    @property
    def D(self) -> int:
        """Number of dimensions n of one example."""
        return math.prod(self.event_shape)

    @property
    def binary(self) -> bool:
        return self.num_values == 2

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``x`` is a batch of valid examples for this model."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {type(x).__name__}")
        if tuple(x.shape[1:]) != self.event_shape or x.dim() != len(self.event_shape) + 1:
            raise ValueError(
                f"{type(self).__name__} expects a batch of shape (B, {', '.join(map(str, self.event_shape))}), "
                f"got {tuple(x.shape)}"
            )
        if self.binary:
            if not torch.all((x == 0) | (x == 1)):
                raise ValueError(f"{type(self).__name__} models binary data: every value must be 0 or 1")
        else:
            K = self.num_values
            if not torch.all((x == x.round()) & (x >= 0) & (x < K)):
                raise ValueError(f"{type(self).__name__} expects integer values in [0, {K - 1}]")

    # --------------------------------------------------------------- interface
    def forward(self, x: torch.Tensor, **cond) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor, **cond) -> torch.Tensor:
        """log p(x) per example, in nats: the sum of the log-conditionals."""
        self.check_input(x)
        logits = self(x.to(self._dtype()), **cond)
        return self.log_prob_from_logits(logits, x)

    def log_conditionals_from_logits(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x_i | x_<i) of every value, shape (B, D), given the logits from ``forward``."""
        if self.binary:
            lp = -F.binary_cross_entropy_with_logits(logits, x.to(logits.dtype), reduction="none")
        else:
            lp = -F.cross_entropy(logits, x.long(), reduction="none")
        return lp.flatten(1)

    def log_prob_from_logits(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Sum over dimensions of log p(x_i | x_<i), given the logits from ``forward``."""
        return self.log_conditionals_from_logits(logits, x).sum(1)

    def conditionals(self, x: torch.Tensor, **cond) -> torch.Tensor:
        """Probabilities of every conditional: p(x_i = 1 | x_<i) (binary) or a K-way softmax."""
        logits = self(x.to(self._dtype()), **cond)
        return torch.sigmoid(logits) if self.binary else logits.softmax(1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_probs: bool = False, **cond):
        """Ancestral sampling, one dimension at a time in ``self.order``.

        This generic version runs the whole network once per dimension (D passes); models
        override it with something cheaper where their structure allows.  With
        ``return_probs`` it also returns the probability each value was drawn from.
        """
        from arlib.sampling import ancestral_sample

        return ancestral_sample(self, n, generator=generator, return_probs=return_probs, **cond)

    def _dtype(self) -> torch.dtype:
        p = next(self.parameters(), None)
        return p.dtype if p is not None and p.is_floating_point() else torch.float32

    def _device(self) -> torch.device:
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")
