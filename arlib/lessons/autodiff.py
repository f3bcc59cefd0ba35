"""Backpropagation by hand, in NumPy: the lecture's ``LinearSigmoidLayer`` and a gradient checker.

``LinearSigmoidLayer`` is the lecture's code (slide "Autodiff"), kept as written there apart
from two optional constructor arguments: ``rng`` (so runs are seeded) and ``init_std`` (the
lecture draws W from N(0, 1); chapter 4 shows why a smaller scale is kinder to sigmoids).
Chapter 4 prints its source and checks it against finite differences and PyTorch autograd.

A *layer* here is any object with ``forward(x)`` and ``backward(grad_out)`` (which returns the
gradient with respect to the input and stores the gradient of every parameter ``P`` in the
attribute ``P_grad``). ``gradient_check`` works for every such layer (the ReLU exercise uses it).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "LinearSigmoidLayer",
    "NumpySequential",
    "parameter_names",
    "numerical_gradient",
    "relative_error",
    "gradient_check",
    "to_torch",
]


# a single linear layer with sigmoid activation
class LinearSigmoidLayer():
    def __init__(self, in_dim, out_dim, rng=None, init_std=1.0):
        rng = np.random.default_rng() if rng is None else rng
        self.W = init_std * rng.normal(size=(in_dim, out_dim))
        self.W_grad = np.zeros_like(self.W)

        self.afunc = lambda x: 1. / (1. + np.exp(-x))

    # forward function to get output
    def forward(self, x):
        Wx = np.matmul(x, self.W)
        self.y = self.afunc(Wx)
        self.x = x
        return self.y

    # backward function to compute gradients
    def backward(self, grad_out):
        self.W_grad = np.matmul(
            self.x.transpose(),
            self.y * (1-self.y) * grad_out,
        )
        grad_in = np.matmul(
            self.y * (1-self.y) * grad_out,
            self.W.transpose()
        )

        return grad_in


class NumpySequential:
    """Layers applied one after another; ``backward`` runs them in reverse (the chain rule)."""

    def __init__(self, *layers) -> None:
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out


def parameter_names(layer) -> list[str]:
    """Names ``P`` of the layer's parameters: the attributes that have a partner ``P_grad``."""
    if isinstance(layer, NumpySequential):
        raise TypeError("parameter_names works on one layer; check the layers of a NumpySequential one by one")
    names = vars(layer)
    return sorted(n for n in names if not n.endswith("_grad") and f"{n}_grad" in names)


def numerical_gradient(f: Callable[[], float], a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(a + eps e_j) - f(a - eps e_j)) / (2 eps) for every entry j of ``a``.

    ``f`` takes no arguments and reads ``a`` (which is changed in place and restored), so the
    same function gives the gradient with respect to a weight matrix or an input.
    """
    if not (isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"a must be a float NumPy array (changed in place), got {type(a).__name__}")
    if a.dtype != np.float64:
        raise TypeError(f"use float64 for finite differences (got {a.dtype}); float32 rounding swamps eps={eps}")
    grad = np.zeros_like(a)
    flat, g = a.reshape(-1), grad.reshape(-1)  # views: writing flat[j] changes a
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        f_plus = float(f())
        flat[j] = old - eps
        f_minus = float(f())
        flat[j] = old
        g[j] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||) with Euclidean norms (0 when both are 0).

    One number per array, so tiny entries (where elementwise ratios are noise) do not dominate.
    """
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)
    b = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradient_check(layer, x: np.ndarray, grad_out: np.ndarray | None = None, eps: float = 1e-6,
                   seed: int = 0) -> dict[str, float]:
    """Relative errors between a layer's ``backward`` and finite differences.

    Uses the scalar L = sum(grad_out * layer.forward(x)), whose gradient with respect to the
    output is ``grad_out`` (random if not given). Returns ``{"x": err, "W": err, ...}``: one
    entry for the input and one for every parameter found by ``parameter_names``.
    """
    x = np.array(x, dtype=np.float64)  # a copy: finite differences change it in place
    y = layer.forward(x)
    if grad_out is None:
        grad_out = np.random.default_rng(seed).normal(size=np.shape(y))
    grad_out = np.asarray(grad_out, dtype=np.float64)
    if grad_out.shape != np.shape(y):
        raise ValueError(f"grad_out has shape {grad_out.shape} but forward(x) has shape {np.shape(y)}")

    def loss() -> float:
        return float(np.sum(grad_out * layer.forward(x)))

    layer.forward(x)
    grad_in = layer.backward(grad_out)
    if grad_in is None:
        raise ValueError("backward(grad_out) returned None; it must return the gradient with respect to its input")
    analytic = {"x": np.array(grad_in, dtype=np.float64)}
    names = [n for n in parameter_names(layer)] if not isinstance(layer, NumpySequential) else []
    for n in names:
        analytic[n] = np.array(getattr(layer, f"{n}_grad"), dtype=np.float64)
    errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, eps))}
    for n in names:
        p = getattr(layer, n)
        if not (isinstance(p, np.ndarray) and p.dtype == np.float64):
            raise TypeError(f"parameter {n} must be a float64 NumPy array to be checked, got "
                            f"{getattr(p, 'dtype', type(p).__name__)}")
        errors[n] = relative_error(analytic[n], numerical_gradient(loss, p, eps))
    layer.forward(x)  # leave the layer's cache as it was after forward(x)
    return errors


def to_torch(net: LinearSigmoidLayer | NumpySequential | Sequence[LinearSigmoidLayer],
             dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The same network as PyTorch modules: ``Linear(bias=False)`` + ``Sigmoid`` per layer, same weights.

    ``nn.Linear`` stores its weight as (out, in) and computes x W^T, so W is transposed.
    """
    layers = net.layers if isinstance(net, NumpySequential) else [net] if isinstance(net, LinearSigmoidLayer) else list(net)
    modules: list[nn.Module] = []
    for layer in layers:
        if not isinstance(layer, LinearSigmoidLayer):
            raise TypeError(f"to_torch converts LinearSigmoidLayer only, got {type(layer).__name__}")
        in_dim, out_dim = layer.W.shape
        lin = nn.Linear(in_dim, out_dim, bias=False, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.T)))
        modules += [lin, nn.Sigmoid()]
    return nn.Sequential(*modules)
