"""MADE: Masked Autoencoder for Distribution Estimation (Germain et al., 2015).

An ordinary autoencoder x -> h^1 -> ... -> h^L -> x_hat, with every weight matrix multiplied
by a 0/1 mask built from degrees (``arlib.masks``), so that output d sees only the inputs
before d in the ordering: one forward pass gives all D conditionals p(x_d | x_<d).

* ``num_masks = K``: K (ordering, connectivity) pairs, mask k drawn with seed ``seed + k``.
  In training mode every call of ``forward`` moves on to the next mask (one mask per
  minibatch: order-agnostic when ``ordering="random"``, connectivity-agnostic always).
* The **mask ensemble** (the paper's "32 masks" row) is the mixture
  p(x) = (1/K) sum_k p_k(x), so log p(x) = logsumexp_k log p_k(x) - log K
  (``ensemble_log_prob``); ``log_prob`` uses it in eval mode when ``ensemble=True``.
  Averaging the K logit vectors instead is not the density of any mixture.
* ``sample`` computes each hidden unit exactly once, when the inputs its degree allows are
  all set: one forward pass worth of work in all, instead of D passes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from arlib.layers import MaskedLinear
from arlib.masks import check_made_masks, made_degrees, made_masks
from arlib.models.base import AutoregressiveModel

__all__ = ["MADE"]


class MADE(AutoregressiveModel):
    """MADE for binary vectors of length D with hidden layers ``hidden_sizes`` and ReLU units.

    Args:
        D: number of inputs n (784 for binarized MNIST).
        hidden_sizes: widths of the hidden layers, e.g. ``[500]`` or ``[500, 500]``.
        num_masks: K, the number of (ordering, connectivity) masks cycled through in training
            and averaged over by the ensemble.
        ordering: ``"natural"`` (raster order for every mask) or ``"random"`` (mask k has its own
            random ordering: order-agnostic training).
        seed: mask k is drawn with seed ``seed + k`` (Mulberry32; the mask explorer draws the same).
        ensemble: in eval mode, ``log_prob`` returns the K-mask ensemble density.
    """

    def __init__(self, D: int = 784, hidden_sizes: list[int] | tuple[int, ...] = (500,), num_masks: int = 1,
                 ordering: str = "natural", seed: int = 0, ensemble: bool = True):
        if ordering not in ("natural", "random"):
            raise ValueError(f"ordering must be 'natural' or 'random', got {ordering!r}")
        if num_masks < 1:
            raise ValueError(f"num_masks must be >= 1, got {num_masks}")
        super().__init__((D,))
        hidden_sizes = [int(h) for h in hidden_sizes]
        self.config = {"D": D, "hidden_sizes": hidden_sizes, "num_masks": num_masks,
                       "ordering": ordering, "seed": seed, "ensemble": ensemble}
        self.hidden_sizes = hidden_sizes
        self.num_masks, self.ordering, self.seed, self.ensemble = num_masks, ordering, seed, ensemble
        sizes = [D, *hidden_sizes, D]
        self.layers = nn.ModuleList(MaskedLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self._degrees: list[torch.Tensor] = []
        self._checked: set[int] = set()
        self.mask_index = -1
        self.set_mask(0)

    # ------------------------------------------------------------------ masks
    def masks_for(self, k: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """``(degrees, masks)`` of mask ``k`` (0 <= k < num_masks), checked to be autoregressive
        (the check runs the first time each k is drawn)."""
        degrees = made_degrees(self.D, self.hidden_sizes, self.ordering, seed=self.seed + k)
        masks = made_masks(degrees)
        if k not in self._checked:
            check_made_masks(masks, torch.argsort(degrees[0]))
            self._checked.add(k)
        return degrees, masks

    def set_mask(self, k: int) -> None:
        """Switch to mask ``k`` (its ordering becomes ``self.order``)."""
        k = int(k) % self.num_masks
        if k == self.mask_index:
            return
        degrees, masks = self.masks_for(k)
        for layer, m in zip(self.layers, masks):
            layer.set_mask(m)
        self.order.copy_(torch.argsort(degrees[0]).to(self.order.device))
        self._degrees = degrees
        self.mask_index = k

    def next_mask(self) -> None:
        """Move on to the next of the K masks (no-op when K = 1)."""
        if self.num_masks > 1:
            self.set_mask(self.mask_index + 1)

    @property
    def degrees(self) -> list[torch.Tensor]:
        """The degrees ``[m^0, m^1, ..., m^L]`` of the current mask."""
        return self._degrees

    # ------------------------------------------------------------------ density
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_d = 1 | x_<d) for every d under the current mask ``(B, D)``.

        In training mode with K > 1 masks, each call first moves on to the next mask.
        """
        if self.training:
            self.next_mask()
        h = x
        for layer in self.layers[:-1]:
            h = F.relu(layer(h))
        return self.layers[-1](h)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) in nats: the current mask's density, or in eval mode with ``ensemble`` and
        K > 1 the mixture over all K masks (``ensemble_log_prob``)."""
        if not self.training and self.ensemble and self.num_masks > 1:
            return self.ensemble_log_prob(x)
        return super().log_prob(x)

    @torch.no_grad()
    def ensemble_log_prob(self, x: torch.Tensor, num_masks: int | None = None) -> torch.Tensor:
        """log (1/K sum_k p_k(x)) = logsumexp_k log p_k(x) - log K over masks 0..K-1, in nats."""
        self.check_input(x)
        K = self.num_masks if num_masks is None else int(num_masks)
        if not 1 <= K <= self.num_masks:
            raise ValueError(f"num_masks must be in [1, {self.num_masks}], got {K}")
        keep, was_training = self.mask_index, self.training
        self.eval()
        lps = []
        try:
            for k in range(K):
                self.set_mask(k)
                lps.append(self.log_prob_from_logits(self(x.to(self._dtype())), x))
        finally:
            self.set_mask(keep)
            self.train(was_training)
        return torch.logsumexp(torch.stack(lps), 0) - math.log(K)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_probs: bool = False,
               mask: int | None = None):
        """Ancestral sampling under mask ``mask`` (default: the current one), in its ordering.

        When input at position t is set, every hidden unit of degree t (in every layer) has all
        its inputs and is computed, once; output t+1 needs only units of degree <= t. So the
        whole sample costs one forward pass of multiply-adds, spread over D small steps.
        """
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        keep = self.mask_index
        if mask is not None:
            self.set_mask(mask)
        try:
            dev, dt = self._device(), self._dtype()
            D = self.D
            W = [layer.weight * layer.mask for layer in self.layers]
            bias = [layer.bias for layer in self.layers]
            hs = [torch.zeros(n, D, dtype=dt, device=dev)] + [torch.zeros(n, h, dtype=dt, device=dev)
                                                               for h in self.hidden_sizes]
            x = hs[0]
            probs = torch.zeros(n, D, dtype=dt, device=dev)
            # units of each hidden layer grouped by degree: groups[l][t] = indices with degree t
            groups = [[(deg == t).nonzero().flatten().to(dev) for t in range(D)] for deg in self._degrees[1:]]
            for t, d in enumerate(self.order.tolist()):
                logit = hs[-1] @ W[-1][d] + bias[-1][d]
                p = torch.sigmoid(logit)
                x[:, d] = (torch.rand(n, generator=generator, dtype=dt).to(dev) < p).to(dt)
                probs[:, d] = p
                for l in range(len(self.hidden_sizes)):  # units of degree t + 1 are now complete
                    idx = groups[l][t + 1] if t + 1 < D else None
                    if idx is None or idx.numel() == 0:
                        continue
                    hs[l + 1][:, idx] = F.relu(hs[l] @ W[l][idx].T + bias[l][idx])
        finally:
            self.set_mask(keep)
        return (x, probs) if return_probs else x
