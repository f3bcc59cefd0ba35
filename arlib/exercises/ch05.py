"""Checkers for the exercises of chapter 5 (NADE).

    from arlib.exercises import ch05
    ch05.check_running_sum_backward(my_backward)  # exercise 1: the gradient through the running sum
    ch05.check_running_sum(my_logits)             # exercise 2: the O(nH) running sum
    ch05.check_completion(my_complete)            # exercise 3: complete an image from its first pixels
    ch05.check_break_even(H_max)                  # when is NADE smaller than FVSBN? (chapter 2, exercise 5)

Each raises ``ExerciseError`` saying what is wrong, or prints a confirmation.
"""
from __future__ import annotations

from typing import Callable

import torch

from arlib.exercises import ExerciseError, passed
from arlib.lessons import counting
from arlib.models import NADE
from arlib.models.nade import running_sum_logits

__all__ = ["check_break_even", "check_running_sum_backward", "check_running_sum", "check_completion", "random_nade",
           "running_sum_backward_reference", "running_sum_reference", "complete_reference"]


def random_nade(n: int = 8, H: int = 5, seed: int = 0):
    """A small NADE with random parameters (float64), for trying out your code."""

    m = NADE(n, H).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return m


def check_break_even(H_max: int, n: int = 784) -> str:
    """The largest H for which NADE (2nH + H + n) has fewer parameters than FVSBN (n(n+1)/2).

    (Chapter 2's exercise 5 asks this; ``arlib.exercises.ch02.check_nade_break_even`` checks it there.)
    """

    want = max(H for H in range(1, n) if counting.nade(n, H) < counting.fvsbn(n))
    if not isinstance(H_max, (int,)) and not (hasattr(H_max, "is_integer") and float(H_max).is_integer()):
        raise ExerciseError(f"H is a number of hidden units, a whole number; got {H_max!r} (round down)")
    H_max = int(H_max)
    if H_max == want + 1:
        raise ExerciseError(f"at H = {H_max} NADE has {counting.nade(n, H_max):,} parameters and FVSBN "
                            f"{counting.fvsbn(n):,}: NADE is not smaller any more; round down")
    if H_max == n // 4:
        raise ExerciseError(f"{H_max} = n/4 is the large-n approximation; solve 2nH + H + n < n(n+1)/2 exactly")
    if H_max != want:
        raise ExerciseError(f"H = {H_max} is not the break-even point: solve (2n + 1) H + n < n (n + 1) / 2 "
                            f"for H with n = {n}")
    return passed(f"NADE is smaller than FVSBN only for H <= {want} at n = {n} "
                  f"(NADE {counting.nade(n, want):,} vs FVSBN {counting.fvsbn(n):,} parameters)")


def running_sum_backward_reference(x: torch.Tensor, delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A reference solution of exercise 1: the gradient through the running sum, in O(nH) per example.

    ``x`` (B, n), ``delta`` (B, n, H) with ``delta[:, i]`` = dL/da_i. Returns ``(grad_W, grad_c)``, shapes
    (H, n) and (H,), summed over the batch: dL/dW[:, j] = x_j sum_{i>j} delta_i and dL/dc = sum_i delta_i.
    The sums over i > j are a running sum taken backwards.
    """
    B, n, H = delta.shape
    grad_W = torch.zeros(H, n, dtype=delta.dtype)
    later = torch.zeros(B, H, dtype=delta.dtype)          # S_j = sum of delta_i over i > j
    for j in range(n - 1, -1, -1):
        grad_W[:, j] = later.T @ x[:, j].to(delta.dtype)  # x_j S_j, summed over the batch
        later = later + delta[:, j]
    return grad_W, delta.sum((0, 1))


def _pre_activations(x: torch.Tensor, W: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """a_i = c + W[:, <i] x_<i for every i, shape (B, n, H) (from the definition, for autograd)."""
    steps = x[:, :, None] * W.T[None]                    # step j adds x_j W[:, j]
    return c + torch.cumsum(steps, 1) - steps            # the sum over j < i


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-8)


def check_running_sum_backward(fn: Callable[..., tuple]) -> str:
    """Exercise 1: ``fn(x, delta)`` returns ``(grad_W, grad_c)``, the gradient of a loss L through NADE's
    running sum a_i = c + W[:, <i] x_<i, given ``delta[:, i]`` = dL/da_i (shape (B, n, H)), summed over
    the batch: shapes (H, n) and (H,). Compared with autograd on random numbers."""
    for B, n, H, seed in [(4, 6, 3, 0), (7, 9, 5, 1)]:
        g = torch.Generator().manual_seed(100 + seed)
        x = torch.randint(0, 2, (B, n), generator=g).double()
        delta = torch.randn(B, n, H, generator=g, dtype=torch.float64)
        W = torch.randn(H, n, generator=g, dtype=torch.float64).requires_grad_(True)
        c = torch.randn(H, generator=g, dtype=torch.float64).requires_grad_(True)
        (_pre_activations(x, W, c) * delta).sum().backward()   # a loss whose dL/da_i is delta_i
        want_W, want_c = W.grad.detach(), c.grad.detach()
        try:
            out = fn(x.clone(), delta.clone())
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"your function raised {type(err).__name__}: {err} (x {tuple(x.shape)}, "
                                f"delta {tuple(delta.shape)})") from err
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ExerciseError("return a pair (grad_W, grad_c): the gradients for W (H, n) and for c (H,)")
        got_W, got_c = (torch.as_tensor(t).detach().to(torch.float64) for t in out)
        if got_W.shape != (H, n):
            if got_W.shape == (n, H):
                raise ExerciseError(f"grad_W has shape {tuple(got_W.shape)}: transposed; it has W's shape "
                                    f"(H, n) = ({H}, {n}), one column per pixel")
            if got_W.shape == (B, H, n):
                raise ExerciseError("grad_W has one gradient per example: sum over the batch (the gradient of a "
                                    "sum of losses is the sum of their gradients)")
            raise ExerciseError(f"grad_W should have W's shape (H, n) = ({H}, {n}); got {tuple(got_W.shape)}")
        if got_c.shape != (H,):
            hint = " (sum over the batch and over the conditionals)" if got_c.numel() in (B * H, n * H, B * n * H) else ""
            raise ExerciseError(f"grad_c should have c's shape (H,) = ({H},); got {tuple(got_c.shape)}{hint}")
        if not _close(got_W, want_W):
            after_incl = delta.flip(1).cumsum(1).flip(1)          # sum over i >= j
            after = after_incl - delta                            # sum over i > j
            before = delta.cumsum(1) - delta                      # sum over i < j
            if _close(got_W, torch.einsum("bjh,bj->hj", after_incl, x)):
                raise ExerciseError("you included delta_j in the sum for column j: a_j = c + W[:, <j] x_<j does "
                                    "not contain W[:, j] x_j (conditional j may not see x_j), so sum over i > j "
                                    "only; the last column of W must get gradient 0")
            if _close(got_W, torch.einsum("bjh,bj->hj", before, x)):
                raise ExerciseError("you summed delta_i over the conditionals *before* j; W[:, j] x_j is added to "
                                    "a_{j+1}, a_{j+2}, ..., so sum over the later ones, i > j (a running sum "
                                    "taken backwards, from the last pixel)")
            if _close(got_W, after.sum(0).T):
                raise ExerciseError("multiply by x_j: W[:, j] enters the pre-activations as W[:, j] x_j, so an "
                                    "example with x_j = 0 contributes nothing to the gradient of column j")
            if _close(got_W * B, want_W):
                raise ExerciseError("you averaged over the batch; return the sum over the examples")
            err = (got_W - want_W).abs().max().item()
            j = int((got_W - want_W).abs().max(0).values.argmax())
            raise ExerciseError(f"grad_W differs from the true gradient by up to {err:.3g} (worst at column {j}; "
                                f"n = {n}, H = {H}): dL/dW[:, j] = x_j times the sum of delta_i over i > j")
        if not _close(got_c, want_c):
            if _close(got_c, delta[:, 0].sum(0)):
                raise ExerciseError("c is in every a_i, not only in a_1 = c: dL/dc is the sum of delta_i over all "
                                    "conditionals (and examples)")
            if _close(got_c * B, want_c):
                raise ExerciseError("grad_c: you averaged over the batch; return the sum over the examples")
            raise ExerciseError("grad_c is not the sum of delta_i over all conditionals and examples "
                                "(each a_i contains c once, with coefficient 1)")
    return passed("dL/dW[:, j] = x_j sum_{i>j} dL/da_i and dL/dc = sum_i dL/da_i: the running sum, run backwards")


def running_sum_reference(x: torch.Tensor, W: torch.Tensor, c: torch.Tensor, V: torch.Tensor,
                          b: torch.Tensor) -> torch.Tensor:
    """A reference solution of exercise 2 (the same recursion as ``arlib.models.nade.running_sum_logits``)."""
    a = c.expand(x.shape[0], -1)
    out = []
    for i in range(x.shape[1]):
        out.append(torch.sigmoid(a) @ V[i] + b[i])
        a = a + x[:, i:i + 1] * W[:, i]
    return torch.stack(out, 1)


def check_running_sum(fn: Callable[..., torch.Tensor]) -> str:
    """Exercise 2: ``fn(x, W, c, V, b)`` returns the (B, n) logits of NADE's conditionals in O(nH)."""

    for n, H, seed in [(6, 3, 0), (9, 5, 1)]:
        m = random_nade(n, H, seed)
        g = torch.Generator().manual_seed(50 + seed)
        x = torch.randint(0, 2, (7, n), generator=g).double()
        W, c, V, b = (p.detach().clone() for p in (m.W, m.c, m.V, m.b))
        try:
            got = torch.as_tensor(fn(x.clone(), W, c, V, b), dtype=torch.float64)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"your function raised {type(err).__name__}: {err} (x {tuple(x.shape)}, "
                                f"W {tuple(W.shape)}, c {tuple(c.shape)}, V {tuple(V.shape)}, b {tuple(b.shape)})") from err
        want = running_sum_logits(x, W, c, V, b).detach()
        if got.shape != want.shape:
            raise ExerciseError(f"expected logits of shape {tuple(want.shape)} (one per example and pixel); "
                                f"got {tuple(got.shape)}")
        if torch.allclose(got, want, atol=1e-8):
            continue
        # recognisable mistakes
        inclusive = torch.stack([b[i] + torch.sigmoid(c + x[:, :i + 1] @ W[:, :i + 1].T) @ V[i] for i in range(n)], 1)
        if torch.allclose(got, inclusive, atol=1e-8):
            raise ExerciseError("h_i used x_i itself: add W[:, i] x_i to the running sum *after* computing "
                                "the logit of pixel i (h_i may only see x_<i)")
        no_c = torch.stack([b[i] + torch.sigmoid(x[:, :i] @ W[:, :i].T) @ V[i] for i in range(n)], 1)
        if torch.allclose(got, no_c, atol=1e-8):
            raise ExerciseError("the hidden bias c is missing: start the running sum at a_1 = c, not at 0")
        if torch.allclose(got, torch.sigmoid(want), atol=1e-8):
            raise ExerciseError("you returned probabilities; return the logits b_i + V_i h_i (no final sigmoid)")
        err = (got - want).abs().max().item()
        i = int((got - want).abs().max(0).values.argmax())
        raise ExerciseError(f"your logits differ from NADE's by up to {err:.3g} (first at pixel {i}, n = {n}, H = {H})")
    return passed("the running sum a_{i+1} = a_i + W[:, i] x_i gives every conditional in O(nH)")


@torch.no_grad()
def complete_reference(model, x_top: torch.Tensor, generator: torch.Generator | None = None):
    """A reference solution of exercise 3: keep the first k pixels, sample the rest (raster order)."""
    B, k = x_top.shape
    x = torch.zeros(B, model.D, dtype=x_top.dtype)
    x[:, :k] = x_top
    a = model.c + x_top @ model.W[:, :k].T                  # the running sum after the given pixels
    probs = torch.zeros_like(x)
    for i in range(k, model.D):
        p = torch.sigmoid(torch.sigmoid(a) @ model.V[i] + model.b[i])
        x[:, i] = (torch.rand(B, generator=generator, dtype=x.dtype) < p).to(x.dtype)
        probs[:, i] = p
        a = a + x[:, i:i + 1] * model.W[:, i]
    return x, probs


def check_completion(fn: Callable) -> str:
    """Exercise 3: ``fn(model, x_top, generator)`` keeps the first k pixels of each row of ``x_top``
    (B, k), samples pixels k..n-1 from NADE's conditionals, and returns ``(x, probs)`` with
    ``probs[:, i] = p(x_i = 1 | x_<i)`` for the sampled pixels."""
    m = random_nade(10, 6, seed=3)
    g = torch.Generator().manual_seed(7)
    x_top = torch.randint(0, 2, (2000, 4), generator=g).double()
    try:
        out = fn(m, x_top.clone(), torch.Generator().manual_seed(0))
    except Exception as err:  # noqa: BLE001
        raise ExerciseError(f"your function raised {type(err).__name__}: {err}") from err
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ExerciseError("return a pair (x, probs): the completed images and the probabilities they were drawn from")
    x, probs = (torch.as_tensor(t, dtype=torch.float64) for t in out)
    if x.shape != (2000, 10) or probs.shape != (2000, 10):
        raise ExerciseError(f"x and probs must have shape (B, n) = (2000, 10); got {tuple(x.shape)} and {tuple(probs.shape)}")
    if not torch.equal(x[:, :4], x_top):
        raise ExerciseError("the first k pixels changed: a completion keeps the given pixels x_<=k as they are")
    if not torch.all((x == 0) | (x == 1)):
        raise ExerciseError("x must be binary: draw each pixel as (u < p) with u uniform")
    want = torch.sigmoid(m(x))[:, 4:]
    if not torch.allclose(probs[:, 4:], want.detach(), atol=1e-8):
        err = (probs[:, 4:] - want).abs().max().item()
        raise ExerciseError(f"probs[:, k:] are not p(x_i = 1 | x_<i) of the completed images (off by up to {err:.3g}); "
                            "did you update the running sum with the *sampled* x_i before the next pixel?")
    freq, mean_p = x[:, 4:].mean(0), want.mean(0)
    if (freq - mean_p).abs().max() > 0.05:
        raise ExerciseError("the sampled pixels do not follow their probabilities: draw x_i = 1 with probability p_i")
    return passed("completions keep the given pixels and sample the rest from p(x_i | x_<i)")
