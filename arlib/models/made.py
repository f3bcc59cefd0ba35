"""MADE: Masked Autoencoder for Distribution Estimation (Germain et al., 2015).

An ordinary autoencoder x -> h^1 -> ... -> h^L -> x_hat, with every weight matrix multiplied
by a 0/1 mask built from degrees (``arlib.masks``), so that output d sees only the inputs
before d in the ordering: one forward pass gives all D conditionals p(x_d | x_<d).

* ``num_masks = K``: K (ordering, connectivity) pairs, mask k drawn with seed ``seed + k``.
  ``set_mask(k)`` chooses the mask explicitly; in training, ``fit`` calls ``on_train_step(s)``,
  which uses mask s mod K for minibatch s (order-agnostic when ``ordering="random"``,
  connectivity-agnostic always).  ``forward`` has no side effect.
* The **mask ensemble** (the paper's "32 masks" row) is the mixture
  p(x) = (1/K) sum_k p_k(x), so log p(x) = logsumexp_k log p_k(x) - log K
  (``ensemble_log_prob``); ``log_prob`` uses it in eval mode when ``ensemble=True``.
  Averaging the K logit vectors instead is not the density of any mixture.
* ``generate`` (and so ``sample``) computes each hidden unit exactly once, when the inputs its degree allows are
  all set: one forward pass worth of work in all, instead of D passes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from arlib.layers import MaskedLinear
from arlib.masks import check_made_masks, made_degrees, made_masks, made_order
from arlib.models.base import AutoregressiveModel

__all__ = ["MADE"]


class MADE(AutoregressiveModel):
    """MADE for binary vectors of length D with hidden layers ``hidden_sizes`` and ReLU units.

    Args:
        D: number of inputs n (784 for binarized MNIST).
        hidden_sizes: widths of the hidden layers, e.g. ``[500]`` or ``[500, 500]``.
        num_masks: K, the number of (ordering, connectivity) masks cycled through in training
            and averaged over by the ensemble.
        ordering: ``"natural"`` (raster order for every mask), ``"random"`` (mask k has its own
            random ordering: order-agnostic training), or a permutation of range(D) used by every mask.
        seed: mask k is drawn with seed ``seed + k`` (Mulberry32; the mask explorer draws the same).
        ensemble: in eval mode, ``log_prob`` returns the K-mask ensemble density.
        direct: add a direct masked connection from the inputs to the outputs (the paper's
            ``direct_input_connect="Output"``: an FVSBN inside MADE, x_<d -> logit of x_d).
    """

    def __init__(self, D: int = 784, hidden_sizes: list[int] | tuple[int, ...] = (500,), num_masks: int = 1,
                 ordering: str | list[int] = "natural", seed: int = 0, ensemble: bool = True, direct: bool = False):
        if isinstance(ordering, str) and ordering not in ("natural", "random"):
            raise ValueError(f"ordering must be 'natural', 'random' or a permutation of range(D), got {ordering!r}")
        if not isinstance(ordering, str):
            ordering = made_order(D, ordering)          # checks that it is a permutation
        if num_masks < 1:
            raise ValueError(f"num_masks must be >= 1, got {num_masks}")
        super().__init__((D,))
        hidden_sizes = [int(h) for h in hidden_sizes]
        self.hidden_sizes = hidden_sizes
        self.num_masks, self.ordering, self.seed, self.ensemble = num_masks, ordering, seed, ensemble
        sizes = [D, *hidden_sizes, D]
        self.layers = nn.ModuleList(MaskedLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.direct = MaskedLinear(D, D, bias=False) if direct else None
        if direct:
            nn.init.zeros_(self.direct.weight)
        self._degrees: list[torch.Tensor] = []
        self._checked: set[int] = set()
        self.mask_index = -1
        self.set_mask(0)
        for layer in self.masked_layers():   # one mask for good: its masked entries never matter
            layer.masked_entries_free = num_masks == 1

    @classmethod
    def examples(cls) -> list["MADE"]:
        return [cls(9, [12]), cls(9, [12, 10], num_masks=3, ordering="random", seed=2),
                cls(9, [12], direct=True), cls(9, [12], ordering=[4, 0, 8, 2, 6, 1, 7, 3, 5])]

    # ------------------------------------------------------------------ masks
    def masked_layers(self) -> list[MaskedLinear]:
        """The MaskedLinear layers (the hidden and output layers, and ``direct`` if present)."""
        return [*self.layers, *([] if self.direct is None else [self.direct])]

    def masks_for(self, k: int, out: list[torch.Tensor] | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """``(degrees, masks)`` of mask ``k`` (0 <= k < num_masks), checked to be autoregressive
        (the check runs the first time each k is drawn); ``out``: tensors to draw the masks into
        (``made_masks``)."""
        degrees = made_degrees(self.D, self.hidden_sizes, self.ordering, seed=self.seed + k)
        masks = made_masks(degrees, out)
        if k not in self._checked:
            check_made_masks(masks, torch.argsort(degrees[0]))
            self._checked.add(k)
        return degrees, masks

    def set_mask(self, k: int) -> None:
        """Switch to mask ``k`` (its ordering becomes ``self.order``)."""
        k = int(k) % self.num_masks
        if k == self.mask_index:
            return
        # a mask already checked is drawn straight into the layers' buffers: no new tensors, no copies
        in_place = self.num_masks > 1 and k in self._checked
        degrees, masks = self.masks_for(k, out=[layer.mask for layer in self.layers] if in_place else None)
        for layer, m in zip(self.layers, masks):
            layer.set_mask(m)
        if self.direct is not None:   # x_j -> logit of x_d when j comes before d in the ordering
            d0 = degrees[0].to(self.direct.mask.device, torch.float32)
            self.direct.set_mask(torch.gt(d0[:, None], d0[None, :], out=self.direct.mask if in_place else None))
        self.order.copy_(torch.argsort(degrees[0]).to(self.order.device))
        self._degrees = degrees
        self.mask_index = k

    def on_train_step(self, step: int) -> None:
        """Training cycles through the K masks, one per minibatch: step s uses mask s mod K."""
        self.set_mask(step % self.num_masks)

    @property
    def degrees(self) -> list[torch.Tensor]:
        """The degrees ``[m^0, m^1, ..., m^L]`` of the current mask."""
        return self._degrees

    # ------------------------------------------------------------------ density
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_d = 1 | x_<d) for every d under the current mask ``(B, D)``.

        """
        h = x
        for layer in self.layers[:-1]:
            h = F.relu(layer(h))
        logits = self.layers[-1](h)
        return logits if self.direct is None else logits + self.direct(x)

    def log_prob(self, x: torch.Tensor, **cond) -> torch.Tensor:
        """log p(x) in nats.  In training mode: the density of the current mask (``fit`` picks it
        with ``on_train_step``).  In eval mode with ``ensemble`` and K > 1: the mixture over all K
        masks (``ensemble_log_prob``); otherwise the current mask's density."""
        if not self.training and self.ensemble and self.num_masks > 1:
            self.check_cond(cond)
            return self.ensemble_log_prob(x)
        return super().log_prob(x, **cond)

    @torch.no_grad()
    def mask_log_probs(self, x: torch.Tensor, num_masks: int | None = None) -> torch.Tensor:
        """log p_k(x) for each mask k = 0..K-1 (K = ``num_masks``, default all), shape ``(K, B)``,
        in nats; the current mask and train/eval mode are left as they were."""
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
                lps.append(self.log_prob_from_logits(self(x.to(self.dtype)), x))
        finally:
            self.set_mask(keep)
            self.train(was_training)
        return torch.stack(lps)

    def ensemble_log_prob(self, x: torch.Tensor, num_masks: int | None = None) -> torch.Tensor:
        """log (1/K sum_k p_k(x)) = logsumexp_k log p_k(x) - log K over masks 0..K-1, in nats."""
        lps = self.mask_log_probs(x, num_masks)
        return torch.logsumexp(lps, 0) - math.log(lps.shape[0])

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self, n: int, choose, **cond) -> torch.Tensor:
        """Ancestral loop under the current mask (``set_mask``), in its ordering.

        When input at position t is set, every hidden unit of degree t (in every layer) has all
        its inputs and is computed, once; output t+1 needs only units of degree <= t. So the
        whole loop costs one forward pass of multiply-adds, spread over D small steps.
        """
        self.check_n(n)
        self.check_cond(cond)
        dev, dt = self.device, self.dtype
        W = [layer.masked_weight() for layer in self.layers]
        bias = [layer.bias for layer in self.layers]
        hs = [torch.zeros(n, self.D, dtype=dt, device=dev)] + [torch.zeros(n, h, dtype=dt, device=dev)
                                                                for h in self.hidden_sizes]
        x = hs[0]
        # units of each hidden layer grouped by degree: groups[l][t] = indices with degree t
        groups = [[(deg == t).nonzero().flatten().to(dev) for t in range(self.D + 1)] for deg in self._degrees[1:]]
        A = None if self.direct is None else self.direct.masked_weight()
        for t, d in enumerate(self.order.tolist()):
            logit = hs[-1] @ W[-1][d] + bias[-1][d]
            x[:, d] = choose(d, logit if A is None else logit + x @ A[d])
            for l in range(len(self.hidden_sizes)):  # units of degree t + 1 are now complete
                idx = groups[l][t + 1]
                if idx.numel():
                    hs[l + 1][:, idx] = F.relu(hs[l] @ W[l][idx].T + bias[l][idx])
        return x
