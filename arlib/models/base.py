"""The one interface every density model in ``arlib.models`` shares.

* ``forward(x, **cond)`` returns the logits of every conditional in one parallel pass (teacher
  forcing): ``(B, *event_shape)`` for binary data (one Bernoulli logit per dimension), or
  ``(B, K, *event_shape)`` for data with ``K = num_values`` categories.
* ``log_prob(x, **cond)`` returns log p(x) per example, in nats.
* ``generate(n, choose, **cond)`` is the ancestral loop: for each dimension i in ``order`` it
  computes the logits of p(x_i | x_<i) and lets ``choose(i, logits)`` pick the values.
  Models override it with their fastest exact loop; everything that generates goes through it.
* ``sample(n, *, generator=None, return_probs=False, **cond)`` is ``generate`` with a random
  draw as ``choose`` (one rule for every model: ``arlib.sampling.draw``, noise on the model's device).
* ``order`` is explicit: ``order[k]`` is the flat index of the k-th dimension to be generated.
* ``conditional`` says whether the model takes labels ``y=``; ``device`` and ``dtype`` say where
  and in what it computes; ``config`` holds the constructor's arguments (for checkpoints).
* ``on_train_step(step)`` is called by ``fit`` before every gradient step (a no-op by default).
"""
from __future__ import annotations

import functools
import inspect
import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from arlib.sampling import ancestral_generate, sample_with

__all__ = ["AutoregressiveModel", "Choose"]

Choose = Callable[[int, torch.Tensor], torch.Tensor]


def _jsonable(v):
    if isinstance(v, torch.Tensor):
        return v.tolist()
    if isinstance(v, tuple):
        return [_jsonable(u) for u in v]
    if isinstance(v, list):
        return [_jsonable(u) for u in v]
    return v


class AutoregressiveModel(nn.Module):
    """Base class: subclasses implement ``forward`` and may override ``generate`` for speed."""

    eval_batch_size: int = 500
    """Examples per batch that ``arlib.train.evaluate`` uses unless told otherwise: a speed hint
    only (the NLL does not depend on it).  Convolutional models set a small one, so that a batch's
    feature maps stay in cache."""

    def __init_subclass__(cls, **kwargs):
        """Record the constructor's arguments of the concrete class in ``self.config``."""
        super().__init_subclass__(**kwargs)
        init = cls.__init__
        if getattr(init, "_records_config", False):
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            init(self, *args, **kw)
            if type(self).__init__ is recording_init:   # the outermost constructor
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                self.config = {k: _jsonable(v) for k, v in list(bound.arguments.items())[1:]}

        recording_init._records_config = True
        cls.__init__ = recording_init

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

    @classmethod
    def examples(cls) -> list["AutoregressiveModel"]:
        """Small instances covering the class's variants: the shared model tests
        (``tests/test_models.py``) run on these, so a new model is tested once it defines them."""
        raise NotImplementedError(f"{cls.__name__} defines no examples(); the shared model tests need them")

    # ------------------------------------------------------------------ what the model is
    @property
    def D(self) -> int:
        """Number of dimensions n of one example."""
        return math.prod(self.event_shape)

    @property
    def binary(self) -> bool:
        """True for binary data (one Bernoulli logit per dimension)."""
        return self.num_values == 2

    @property
    def conditional(self) -> bool:
        """True when the model takes labels (``y=``); ``fit`` and ``evaluate`` pass them then."""
        return False

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters (the CPU for a model without any)."""
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type the model computes in."""
        p = next(self.parameters(), None)
        return p.dtype if p is not None and p.is_floating_point() else torch.float32

    def on_train_step(self, step: int) -> None:
        """Called by ``fit`` before gradient step ``step``; a no-op except where a model changes
        with the step (MADE picks its mask)."""

    # ------------------------------------------------------------------ checks
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

    def check_cond(self, cond: dict) -> None:
        """Raise ``ValueError`` for labels given to an unconditional model, or unknown keywords."""
        if cond and not self.conditional:
            raise ValueError(f"{type(self).__name__} is unconditional: it takes no {', '.join(cond)}=")
        unknown = set(cond) - {"y"}
        if unknown:
            raise ValueError(f"unknown keyword(s) {sorted(unknown)}; a conditional model takes y=")

    @staticmethod
    def check_n(n: int) -> None:
        """Raise ``ValueError`` unless ``n`` is a positive int (a number of examples)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")

    # --------------------------------------------------------------- density
    def forward(self, x: torch.Tensor, **cond) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor, **cond) -> torch.Tensor:
        """log p(x) per example, in nats: the sum of the log-conditionals."""
        self.check_input(x)
        self.check_cond(cond)
        return self.log_prob_from_logits(self(x.to(self.dtype), **cond), x)

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
        self.check_cond(cond)
        logits = self(x.to(self.dtype), **cond)
        return torch.sigmoid(logits) if self.binary else logits.softmax(1)

    # --------------------------------------------------------------- generation
    @torch.no_grad()
    def generate(self, n: int, choose: Choose, **cond) -> torch.Tensor:
        """Ancestral loop over ``order``: ``choose(i, logits)`` returns the values of dimension i
        (flat index) given the logits of p(x_i | x_<i), ``(n,)`` or ``(n, K)``; returns ``x``.

        This generic version runs the whole network once per dimension (D passes); models
        override it with something cheaper where their structure allows, computing the same
        logits (up to float rounding).
        """
        self.check_n(n)
        self.check_cond(cond)
        return ancestral_generate(self, n, choose, **cond)

    def sample(self, n: int, *, generator: torch.Generator | None = None, return_probs: bool = False, **cond):
        """Draw ``n`` examples: ``generate`` with ``arlib.sampling.draw`` as the choice.

        ``generator`` must live on the model's device.  With ``return_probs`` it also returns,
        for every dimension, p(x_i = 1 | x_<i) (binary) or the probability of the drawn value.
        """
        return sample_with(self, n, self.generate, generator, return_probs, **cond)
