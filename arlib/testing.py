"""Checks shared by every model's tests and by the chapters' asserts."""
from __future__ import annotations

import math

import torch

__all__ = ["assert_autoregressive", "assert_dropout_in_training_only", "AutoregressiveViolation", "dependency_matrix"]


class AutoregressiveViolation(AssertionError):
    """A conditional depends on a dimension at or after its own position in the ordering."""


@torch.no_grad()
def dependency_matrix(model, shape: tuple[int, ...], n_inputs: int = 2, seed: int = 0,
                      atol: float | None = None, chunk: int = 256, **cond) -> torch.Tensor:
    """``M[i, j] = True`` when the conditional of dimension i changed when dimension j changed.

    Measured by perturbation: for each of ``n_inputs`` random inputs and each dimension j,
    change x_j (flip a bit, or move a categorical value) and compare all logits.
    Dimensions are flat indices into ``shape``.  A logit counts as changed when it moves by more
    than ``atol * (1 + |logit|)``; the default, 100 machine epsilons of the model's dtype, is above
    the rounding noise of batched versus single-row matrix products and far below any real weight.
    """
    D = math.prod(shape)
    K = getattr(model, "num_values", 2)
    g = torch.Generator().manual_seed(seed)
    M = torch.zeros(D, D, dtype=torch.bool)
    model.eval()
    dtype = getattr(model, "dtype", torch.float32)
    if atol is None:
        atol = 100 * torch.finfo(dtype).eps
    for _ in range(n_inputs):
        x = torch.randint(0, K, (1, D), generator=g).to(dtype)
        base = _logits(model, x.view(1, *shape), K, cond)  # (1, L, D) L = values per dim
        for start in range(0, D, chunk):
            js = torch.arange(start, min(start + chunk, D))
            xs = x.repeat(len(js), 1)
            xs[torch.arange(len(js)), js] = (xs[torch.arange(len(js)), js] + 1) % K
            cj = {k: v.expand(len(js), *v.shape[1:]) for k, v in cond.items()}
            out = _logits(model, xs.view(len(js), *shape), K, cj)
            changed = ((out - base).abs() > atol * (1 + base.abs())).any(1)  # (len(js), D): dim i changed
            M[:, js] |= changed.T
    return M


def _logits(model, x, K, cond):
    out = model(x, **cond)
    B = x.shape[0]
    return out.reshape(B, 1, -1) if K == 2 else out.reshape(B, K, -1)


def assert_autoregressive(model, shape: tuple[int, ...], order: torch.Tensor | None = None, **kw) -> None:
    """Raise ``AutoregressiveViolation`` unless the conditional of every dimension depends only on
    dimensions strictly before it in the model's order (``order[k]`` = k-th dimension generated).

    The message names the first offending pair (in generation order).
    """
    order = model.order if order is None else torch.as_tensor(order)
    D = math.prod(shape)
    if order.numel() != D:
        raise ValueError(f"order has {order.numel()} entries but shape {shape} has {D} dimensions")
    pos = torch.empty(D, dtype=torch.long)
    pos[order.cpu()] = torch.arange(D)
    M = dependency_matrix(model, shape, **kw)
    bad = M & (pos[None, :] >= pos[:, None])  # j at or after i in the order
    if bad.any():
        ii, jj = bad.nonzero(as_tuple=True)
        k = torch.argmin(pos[ii] * D + pos[jj])
        i, j = int(ii[k]), int(jj[k])
        raise AutoregressiveViolation(
            f"{type(model).__name__}: the conditional of dimension {i} (position {int(pos[i])} in the order) "
            f"changes when dimension {j} (position {int(pos[j])}) changes; it may only depend on dimensions "
            f"before it ({int(bad.sum())} offending pairs in all)"
        )


def assert_dropout_in_training_only(model: torch.nn.Module, plain: torch.nn.Module, x: torch.Tensor) -> None:
    """Check ``model`` (built with dropout) against ``plain`` (the same network without it) on binary
    images ``x`` of shape (B, 1, H, W): dropout adds no parameters (``plain`` loads ``model``'s state),
    evaluation computes exactly what ``plain`` does, each training pass draws a fresh dropout mask, and
    a training pass (one mask) is still autoregressive in ``model.order``: the gradient of every
    pixel's logit reaches only the pixels before it. Raises AssertionError (or
    ``AutoregressiveViolation``) otherwise; leaves ``model`` in evaluation mode."""
    plain.load_state_dict(model.state_dict())
    torch.testing.assert_close(model.eval()(x), plain.eval()(x))
    model.train()
    torch.manual_seed(1)
    a = model(x)
    torch.manual_seed(2)
    if torch.allclose(a, model(x)):
        raise AssertionError("two training passes computed the same output: no dropout acts in training")
    x1 = x[:1].clone().requires_grad_(True)
    logits = model(x1).reshape(-1)             # one dropout mask for every pixel's check
    D = logits.numel()
    pos = torch.empty(D, dtype=torch.long)
    pos[model.order.cpu()] = torch.arange(D)
    for i in range(D):
        (g,) = torch.autograd.grad(logits[i], x1, retain_graph=True)
        late = (g.reshape(-1) != 0) & (pos >= pos[i])
        if late.any():
            j = int(late.nonzero()[0])
            raise AutoregressiveViolation(f"{type(model).__name__} in training: the logit of pixel {i} "
                                          f"depends on pixel {j}, which is not before it")
    model.eval()
