"""Checkers for chapter 1's code exercises."""
from __future__ import annotations

import math

import torch

from arlib.exercises import ExerciseError, passed


def check_bernoulli_mle(fn) -> str:
    """``fn(x)`` must return the maximum-likelihood theta (one value per column) of binary data ``x``."""
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(200, 7, generator=g) < torch.linspace(0.05, 0.95, 7)).float()
    got = torch.as_tensor(fn(x), dtype=torch.float64)
    want = x.double().mean(0)
    if got.shape == (x.shape[0],):
        raise ExerciseError("you averaged over pixels (dim 1); average over examples (dim 0)")
    if got.shape != want.shape:
        raise ExerciseError(f"expected one theta per pixel, shape {tuple(want.shape)}; got shape {tuple(got.shape)}")
    if torch.allclose(got, 1 - want, atol=1e-6):
        raise ExerciseError("you returned P(x_i = 0); theta_i is P(x_i = 1)")
    err = (got - want).abs().max().item()
    if err > 1e-6:
        raise ExerciseError(f"theta differs from the MLE by up to {err:.3g}; the MLE of a Bernoulli is the fraction of ones")
    return passed("the MLE of each Bernoulli parameter is the fraction of examples with x_i = 1")


def check_bits_per_dim(fn) -> str:
    """``fn(nll_nats, D)`` must convert an NLL in nats per example into bits per dimension."""
    cases = [(543.4, 784), (81.3, 784), (math.log(2), 2), (10.0, 3)]
    for nll, D in cases:
        got, want = float(fn(nll, D)), nll / (D * math.log(2))
        if math.isclose(got, nll / D, rel_tol=1e-6):
            raise ExerciseError(f"fn({nll}, {D}) = {got:.4g}: you divided by D but forgot to convert nats to bits (divide by ln 2)")
        if math.isclose(got, nll / math.log(2), rel_tol=1e-6):
            raise ExerciseError(f"fn({nll}, {D}) = {got:.4g}: that is bits per example; divide by D for bits per dimension")
        if math.isclose(got, nll * math.log(2) / D, rel_tol=1e-6):
            raise ExerciseError(f"fn({nll}, {D}) = {got:.4g}: you multiplied by ln 2; one bit is ln 2 nats, so divide")
        if not math.isclose(got, want, rel_tol=1e-6):
            raise ExerciseError(f"fn({nll}, {D}) = {got:.6g}, expected {want:.6g}")
    return passed("bits/dim = NLL in nats / (D ln 2)")


def check_uniform_nll(value_nats: float, D: int = 784) -> str:
    """The NLL of any binary image under the uniform distribution over {0,1}^D, in nats."""
    want = D * math.log(2)
    if math.isclose(value_nats, D, rel_tol=1e-6):
        raise ExerciseError(f"{value_nats} is the answer in bits; the question asks for nats (1 bit = ln 2 nats)")
    if not math.isclose(value_nats, want, rel_tol=1e-4):
        raise ExerciseError(f"{value_nats:.4g} nats is not right: each of the {D} pixels costs -ln(1/2) nats")
    return passed(f"the uniform model costs {D} bits = {want:.1f} nats per image")
