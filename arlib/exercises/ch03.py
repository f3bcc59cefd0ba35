"""Checkers for the exercises of chapter 3 (FVSBN).

Each checker runs your function on small random FVSBNs, compares it with ``arlib.models.FVSBN``
and raises ``ExerciseError`` saying what is off, with a likely cause where one is recognisable.
"""
from __future__ import annotations

from typing import Callable

import torch

from arlib.exercises import ExerciseError, passed
from arlib.models import FVSBN

__all__ = ["check_log_prob", "check_sampler", "random_fvsbn"]


def random_fvsbn(n: int = 6, order=None, seed: int = 0):
    """A small FVSBN with random parameters (float64), for trying out your code."""

    m = FVSBN(n, order=order).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        m.b.copy_(torch.randn(n, generator=g, dtype=torch.float64))
        m.w.copy_(torch.randn(m.w.shape, generator=g, dtype=torch.float64))
    return m


def _bernoulli_log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return (x * torch.nn.functional.logsigmoid(logits) + (1 - x) * torch.nn.functional.logsigmoid(-logits)).sum(1)


def check_log_prob(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Exercise: ``fn(x, b, W_full, order)`` returns log p(x) per row in one pass.

    ``W_full`` is a dense n x n matrix (pixel indices) whose entries on or above the diagonal
    *in the order* must be ignored: the function has to mask it for ``order`` itself.
    """
    for n, seed in [(5, 0), (8, 1), (12, 2)]:
        g = torch.Generator().manual_seed(100 + seed)
        order = torch.randperm(n, generator=g)
        m = random_fvsbn(n, order=order, seed=seed)
        W_full = torch.randn(n, n, generator=g, dtype=torch.float64)
        W_full[m.mask.bool()] = m.W[m.mask.bool()]  # the real weights where the mask allows them
        x = torch.randint(0, 2, (16, n), generator=g).double()
        args = (x.clone(), m.b.detach().clone(), W_full.clone(), order.clone())
        try:
            got = fn(*args)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"your function raised {type(err).__name__}: {err} (n = {n}, x of shape "
                                f"{tuple(x.shape)}, order = {order.tolist()})") from err
        got = torch.as_tensor(got, dtype=torch.float64)
        want = m.log_prob(x).detach()
        if got.shape != want.shape:
            raise ExerciseError(f"expected one log-probability per row, shape {tuple(want.shape)}; got "
                                f"shape {tuple(got.shape)} (sum over pixels, not over the batch)")
        if torch.allclose(got, want, atol=1e-8):
            continue
        pos = torch.empty(n, dtype=torch.long)
        pos[order] = torch.arange(n)
        before = (pos[None, :] < pos[:, None]).double()  # the right mask
        def lp(mask):
            return _bernoulli_log_prob(x @ (W_full * mask).T + m.b.detach(), x)
        if torch.allclose(got, -want, atol=1e-8):
            raise ExerciseError("you return the negative log-likelihood; log p(x) is the sum of log-probabilities "
                                "(negative numbers)")
        if torch.allclose(got, lp(torch.ones(n, n, dtype=torch.float64)), atol=1e-8):
            raise ExerciseError("W_full is used without a mask: pixel i then sees every pixel, itself included")
        if torch.allclose(got, lp(before + torch.eye(n, dtype=torch.float64)), atol=1e-8):
            raise ExerciseError("your mask keeps the diagonal: the conditional of x_i must not see x_i itself")
        if torch.allclose(got, lp(before.T), atol=1e-8):
            raise ExerciseError("your mask is transposed: row i of W holds the weights *into* pixel i, so "
                                "W[i, j] may be non-zero only when j comes before i in the order")
        if torch.allclose(got, lp(torch.tril(torch.ones(n, n, dtype=torch.float64), -1)), atol=1e-8):
            raise ExerciseError("your mask is lower-triangular in pixel indices; it must be lower-triangular "
                                "in the *order*: W[i, j] allowed iff position(j) < position(i)")
        k = int((got - want).abs().argmax())
        raise ExerciseError(f"log p(x) differs for n = {n}, order = {order.tolist()}: row {k} gives "
                            f"{float(got[k]):.6f}, the model {float(want[k]):.6f}")
    return passed("your one-pass log p(x) equals arlib's FVSBN for random orders")


def check_sampler(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Exercise: ``fn(b, W, order, u)`` samples incrementally with the uniforms ``u`` (x_i = 1 iff u_i < p_i).

    ``W`` is FVSBN's masked n x n matrix (pixel indices), ``u`` a (B, n) tensor of uniforms,
    ``u[:, i]`` used for pixel i. The result is the (B, n) tensor of samples.
    """
    for n, seed in [(6, 0), (10, 1), (784, 2)]:
        g = torch.Generator().manual_seed(200 + seed)
        order = torch.randperm(n, generator=g)
        m = random_fvsbn(n, order=order, seed=seed)
        with torch.no_grad():
            m.w.mul_(0.3 if n > 100 else 1.0)
        b, W = m.b.detach().clone(), m.W.detach().clone()
        u = torch.rand(32, n, generator=g, dtype=torch.float64)
        try:
            got = fn(b.clone(), W.clone(), order.clone(), u.clone())
        except Exception as err:  # noqa: BLE001
            raise ExerciseError(f"your function raised {type(err).__name__}: {err} (n = {n})") from err
        got = torch.as_tensor(got, dtype=torch.float64)
        # the reference: the lecture's loop, with the same uniforms
        x = torch.zeros(32, n, dtype=torch.float64)
        for i in order.tolist():
            x[:, i] = (u[:, i] < torch.sigmoid(x @ W[i] + b[i])).double()
        if got.shape != x.shape:
            raise ExerciseError(f"expected samples of shape {tuple(x.shape)}, got {tuple(got.shape)}")
        if not torch.all((got == 0) | (got == 1)):
            raise ExerciseError("samples must be 0 or 1 (did you return the probabilities?)")
        if torch.equal(got, x):
            continue
        # where in the order does it first go wrong?
        bad_pos = [t for t, i in enumerate(order.tolist()) if not torch.equal(got[:, i], x[:, i])]
        t = bad_pos[0]
        i = int(order[t])
        if t == 0:
            p0 = torch.sigmoid(b[i])
            if torch.equal(got[:, i], (u[:, i] > p0).double()):
                raise ExerciseError("the comparison is flipped: x_i = 1 when u_i < p(x_i = 1 | x_<i)")
            raise ExerciseError(f"the first pixel of the order (pixel {i}) is wrong already: its probability is "
                                "sigma(b_i), since no pixel comes before it")
        raise ExerciseError(f"n = {n}: your samples first differ at step {t} of the order (pixel {i}), in "
                            f"{int((got[:, i] != x[:, i]).sum())} of 32 samples. Check that the logits of later "
                            "pixels get x_i * W[:, i] added after x_i is drawn, and that you visit pixels in "
                            "`order`, not 0..n-1")
    return passed("your incremental sampler draws exactly the lecture's ancestral samples")
