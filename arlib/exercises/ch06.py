"""Checkers for the exercises of chapter 6 (MADE).

    from arlib.exercises import ch06
    ch06.check_small_masks(M_W, M_V)          # exercise 1: masks of a 3-input MADE by hand
    ch06.check_masks_fn(my_masks)             # exercise 2: masks from degrees
    ch06.check_ensemble(my_ensemble)          # exercise 3: the mask-ensemble log-likelihood

Each raises ``ExerciseError`` saying what is wrong, or prints a confirmation.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from arlib.exercises import ExerciseError, passed
from arlib.masks import check_made_masks, made_degrees, made_masks

__all__ = ["check_small_masks", "check_masks_fn", "check_ensemble", "ensemble_reference"]


def _as01(name: str, M) -> torch.Tensor:
    try:
        t = torch.as_tensor(M, dtype=torch.float64)
    except (TypeError, ValueError) as err:
        raise ExerciseError(f"{name} must be a matrix of 0s and 1s (a list of lists or a tensor)") from err
    if not torch.all((t == 0) | (t == 1)):
        raise ExerciseError(f"{name} must contain only 0s and 1s")
    return t


def check_small_masks(M_W, M_V) -> str:
    """Exercise 1: D = 3 inputs in natural order, one hidden layer of 2 units with degrees (1, 2).

    ``M_W`` is the (2 x 3) mask of the hidden layer, ``M_V`` the (3 x 2) mask of the output layer,
    rows = units of the layer above, columns = units of the layer below.
    """
    W, V = _as01("M_W", M_W), _as01("M_V", M_V)
    want_W = torch.tensor([[1.0, 0, 0], [1, 1, 0]], dtype=torch.float64)
    want_V = torch.tensor([[0.0, 0], [1, 0], [1, 1]], dtype=torch.float64)
    if W.shape == (3, 2) and torch.equal(W.T, want_W):
        raise ExerciseError("M_W is transposed: rows are the hidden units (2), columns the inputs (3)")
    if W.shape != (2, 3):
        raise ExerciseError(f"M_W must be 2 x 3 (hidden units x inputs), got {tuple(W.shape)}")
    if V.shape == (2, 3) and torch.equal(V.T, want_V):
        raise ExerciseError("M_V is transposed: rows are the outputs (3), columns the hidden units (2)")
    if V.shape != (3, 2):
        raise ExerciseError(f"M_V must be 3 x 2 (outputs x hidden units), got {tuple(V.shape)}")
    if not torch.equal(W, want_W):
        if torch.equal(W, (torch.tensor([1.0, 2])[:, None] > torch.tensor([1.0, 2, 3])[None]).double()):
            raise ExerciseError("M_W uses m^1(k) > m^0(d); hidden layers use >=: a unit of degree 1 may see x_1")
        raise ExerciseError("M_W is wrong: hidden unit k sees input d when m^1(k) >= m^0(d)")
    if not torch.equal(V, want_V):
        if torch.equal(V, (torch.tensor([1.0, 2, 3])[:, None] >= torch.tensor([1.0, 2])[None]).double()):
            raise ExerciseError("M_V uses >=; the output layer needs m^0(d) > m^1(k), otherwise output d "
                                "can see x_d through a hidden unit of degree d")
        raise ExerciseError("M_V is wrong: output d sees hidden unit k when m^0(d) > m^1(k)")
    return passed("output 1 sees nothing, output 2 sees x_1, output 3 sees x_1 and x_2")


def check_masks_fn(fn: Callable[[list[torch.Tensor]], list[torch.Tensor]]) -> str:
    """Exercise 2: ``fn(degrees)`` returns the list of masks (one per layer, shape (out, in))."""

    for D, hidden, ordering, seed in [(5, [7], "natural", 0), (8, [6, 9], "random", 3), (6, [4, 4, 5], "random", 9)]:
        degrees = made_degrees(D, hidden, ordering, seed)
        want = made_masks(degrees)
        try:
            got = fn([d.clone() for d in degrees])
        except Exception as err:  # noqa: BLE001
            raise ExerciseError(f"your function raised {type(err).__name__}: {err}") from err
        if len(got) != len(want):
            raise ExerciseError(f"{len(hidden)} hidden layers need {len(want)} masks (one per weight matrix), got {len(got)}")
        for l, (g, w) in enumerate(zip(got, want)):
            g = torch.as_tensor(g, dtype=torch.float32)
            last = l == len(want) - 1
            name = "the output mask" if last else f"mask {l + 1}"
            if g.shape != w.shape:
                hint = " (transposed?)" if g.shape == w.T.shape else ""
                raise ExerciseError(f"{name} has shape {tuple(g.shape)}, expected {tuple(w.shape)} = (units above, units below){hint}")
            if torch.equal(g, w):
                continue
            if last:
                ge = (degrees[0][:, None] >= degrees[-1][None, :]).float()
                if torch.equal(g, ge):
                    raise ExerciseError("the output mask uses >=: output d could then see x_d itself through a hidden "
                                        "unit of degree m^0(d); use the strict m^0(d) > m^L(k)")
            else:
                gt = (degrees[l + 1][:, None] > degrees[l][None, :]).float()
                if torch.equal(g, gt):
                    raise ExerciseError(f"{name} uses >; hidden layers use m^l(k) >= m^(l-1)(k') (a unit of degree "
                                        "k may depend on inputs 1..k)")
            raise ExerciseError(f"{name} differs from MADE's in {int((g != w).sum())} entries (D = {D}, hidden = {hidden})")
        check_made_masks([torch.as_tensor(g, dtype=torch.float32) for g in got], torch.argsort(degrees[0]))
    return passed("your masks equal arlib.masks.made_masks and their product is strictly lower-triangular")


def ensemble_reference(log_probs: torch.Tensor) -> torch.Tensor:
    """A reference solution of exercise 3: log (1/K sum_k p_k(x)) from log p_k(x) of shape (K, B)."""
    return torch.logsumexp(log_probs, 0) - math.log(log_probs.shape[0])


def check_ensemble(fn: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Exercise 3: ``fn(log_probs)`` turns per-mask log p_k(x), shape (K, B), into the ensemble's log p(x), shape (B,)."""
    g = torch.Generator().manual_seed(0)
    lp = -80 - 30 * torch.rand(6, 5, generator=g, dtype=torch.float64)  # MNIST-like magnitudes: exp underflows nothing here
    lp_big = lp - 700                                                   # exp(lp) underflows to 0 in float64
    want, want_big = ensemble_reference(lp), ensemble_reference(lp_big)
    try:
        got, got_big = (torch.as_tensor(fn(t.clone()), dtype=torch.float64) for t in (lp, lp_big))
    except Exception as err:  # noqa: BLE001
        raise ExerciseError(f"your function raised {type(err).__name__}: {err}") from err
    if got.shape != want.shape:
        raise ExerciseError(f"expected one value per example, shape {tuple(want.shape)}; got {tuple(got.shape)} "
                            "(combine over the masks, dimension 0)")
    if torch.allclose(got, lp.mean(0)):
        raise ExerciseError("that is the mean of the log-probabilities, log of the *geometric* mean of the p_k: not a "
                            "mixture and not normalised; the ensemble averages the probabilities themselves")
    if torch.allclose(got, torch.logsumexp(lp, 0)):
        raise ExerciseError("you summed the probabilities; the mixture averages them: subtract log K")
    if not torch.allclose(got, want, atol=1e-9):
        raise ExerciseError(f"off by up to {(got - want).abs().max().item():.3g} nats from log((1/K) sum_k p_k(x))")
    if not torch.isfinite(got_big).all() or not torch.allclose(got_big, want_big, atol=1e-9):
        raise ExerciseError("correct for moderate values, but for log p_k(x) around -800 nats your result is "
                            f"{got_big[0].item()}: exp() underflows; use torch.logsumexp")
    return passed("log p(x) = logsumexp_k log p_k(x) - log K, stable for any magnitude")
