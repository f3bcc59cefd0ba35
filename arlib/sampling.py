"""Ancestral sampling: the one draw rule, the generic D-pass loop, and sampling through any loop.

Every model generates through ``model.generate(n, choose)``: an ancestral loop that asks
``choose(i, logits)`` for the values of dimension i.  Sampling is that loop with a random draw
as ``choose`` (``sample_with``); the entropy decoder of chapter 13 is the same loop with the
decoder as ``choose``.
"""
from __future__ import annotations

from typing import Callable

import torch
from tqdm.auto import tqdm

__all__ = ["draw", "ancestral_generate", "ancestral_sample", "sample_with"]


def draw(logits: torch.Tensor, binary: bool, generator: torch.Generator | None = None
         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw one value per row from Bernoulli (``binary``) or categorical logits.

    The noise is drawn on the logits' device (``generator`` must live there).  Returns
    ``(values, prob)``: for binary logits ``(B,)`` the values and p(x=1); for categorical logits
    ``(B, K)`` the values and the probability of the drawn value.
    """
    if binary:
        p = torch.sigmoid(logits)
        u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
        return (u < p).to(p.dtype), p
    probs = logits.softmax(-1)
    v = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    return v.to(logits.dtype), probs.gather(-1, v[:, None]).squeeze(-1)


@torch.no_grad()
def ancestral_generate(model, n: int, choose: Callable[[int, torch.Tensor], torch.Tensor],
                       progress: bool = False, **cond) -> torch.Tensor:
    """The generic ancestral loop: run ``model(x)`` once per dimension in ``model.order`` and let
    ``choose(i, logits_i)`` set ``x_i`` (D full passes: the naive sampler every fast one must match)."""
    x = torch.zeros(n, *model.event_shape, dtype=model.dtype, device=model.device)
    xf = x.view(n, -1)
    for i in tqdm(model.order.tolist(), disable=not progress, desc="sampling", leave=False):
        logits = model(x, **cond)
        li = logits.reshape(n, -1)[:, i] if model.binary else logits.reshape(n, model.num_values, -1)[:, :, i]
        xf[:, i] = choose(i, li)
    return x


@torch.no_grad()
def sample_with(model, n: int, generate: Callable, generator: torch.Generator | None = None,
                return_probs: bool = False, **cond):
    """Sample ``n`` examples through the loop ``generate(n, choose, **cond)`` with ``draw`` as the
    choice; with ``return_probs`` also the probability of every draw (the lecture's probability maps)."""
    model.check_n(n)
    probs = torch.zeros(n, model.D, dtype=model.dtype, device=model.device)

    def choose(i: int, logits: torch.Tensor) -> torch.Tensor:
        v, p = draw(logits, model.binary, generator)
        probs[:, i] = p
        return v

    was_training = model.training
    model.eval()
    try:
        x = generate(n, choose, **cond)
    finally:
        model.train(was_training)
    return (x, probs.view_as(x)) if return_probs else x


def ancestral_sample(model, n: int, *, generator: torch.Generator | None = None, return_probs: bool = False,
                     progress: bool = False, **cond):
    """Sample with the generic D-pass loop (``ancestral_generate``) instead of the model's own:
    the reference that every fast sampler must reproduce draw for draw."""
    model.check_n(n)
    model.check_cond(cond)

    def generate(k, choose, **c):
        return ancestral_generate(model, k, choose, progress=progress, **c)

    return sample_with(model, n, generate, generator, return_probs, **cond)
