"""Ancestral sampling, with the per-step record that the sampling animations play back."""
from __future__ import annotations

import torch
from tqdm.auto import tqdm

__all__ = ["ancestral_sample", "draw"]


def draw(logits: torch.Tensor, binary: bool, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw one value per row from Bernoulli (``binary``) or categorical logits.

    Returns ``(values, prob_of_one_or_probs)``: for binary logits ``(B,)`` the values and
    p(x=1); for categorical logits ``(B, K)`` the values and the probability of the drawn value.
    """
    if binary:
        p = torch.sigmoid(logits)
        u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
        return (u < p).to(p.dtype), p
    probs = logits.softmax(-1)
    v = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    return v.to(logits.dtype), probs.gather(-1, v[:, None]).squeeze(-1)


@torch.no_grad()
def ancestral_sample(model, n: int, generator: torch.Generator | None = None, return_probs: bool = False,
                     progress: bool = False, **cond):
    """Sample ``n`` examples from ``model`` dimension by dimension in ``model.order``.

    Runs ``model(x)`` once per dimension (the naive sampler).  ``return_probs`` also returns,
    for every dimension, the probability p(x_i = 1 | x_<i) it was drawn from (binary models)
    or the probability of the drawn value (categorical models): the lecture's probability maps.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    dev = model._device()
    x = torch.zeros(n, *model.event_shape, dtype=model._dtype(), device=dev)
    probs = torch.zeros_like(x)
    xf, pf = x.view(n, -1), probs.view(n, -1)
    for i in tqdm(model.order.tolist(), disable=not progress, desc="sampling", leave=False):
        logits = model(x, **cond)
        li = logits.reshape(n, -1)[:, i] if model.binary else logits.reshape(n, model.num_values, -1)[:, :, i]
        xf[:, i], pf[:, i] = draw(li, model.binary, generator)
    return (x, probs) if return_probs else x
