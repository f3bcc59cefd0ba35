"""Checkers for the exercises of chapter 4 (deep learning in one chapter).

    from arlib.exercises import ch04
    ch04.check_softmax_gradient(my_grad)        # exercise 1: the gradient of J(theta)
    ch04.check_relu_layer(MyReLULayer)          # exercise 2: backward of a ReLU layer
    ch04.check_gradient_noise(sizes, noise)     # exercise 3: SGD noise against batch size

Each raises ``ExerciseError`` saying what is wrong, or prints a confirmation.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from arlib.exercises import ExerciseError, passed
from arlib.lessons.autodiff import gradient_check, relative_error

__all__ = [
    "softmax_gradient_reference",
    "check_softmax_gradient",
    "ReLULayerReference",
    "check_relu_layer",
    "check_gradient_noise",
]


# ------------------------------------------------------------------ exercise 1

def softmax_gradient_reference(theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dJ/dtheta for the lecture's J(theta) (a sum over examples): -(1{y=k} - P(y=k|x))^T X, shape (K, D)."""
    logits = X @ theta.T
    P = torch.softmax(logits, dim=1)
    Y = torch.nn.functional.one_hot(y, theta.shape[0]).to(P.dtype)
    return -(Y - P).T @ X


def _softmax_problem(seed: int, m: int = 7, D: int = 5, K: int = 4):
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(K, D, generator=g, dtype=torch.float64)
    X = torch.randn(m, D, generator=g, dtype=torch.float64)
    y = torch.randint(0, K, (m,), generator=g)
    return theta, X, y


def check_softmax_gradient(grad_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Check ``grad_fn(theta, X, y)`` -> dJ/dtheta, where theta is (K, D), X is (m, D), y is (m,) int64.

    J(theta) is the lecture's loss, summed over the m examples (no 1/m). The truth comes from
    PyTorch autograd on random problems.
    """
    for seed in range(3):
        theta, X, y = _softmax_problem(seed)
        t = theta.clone().requires_grad_(True)
        J = -torch.log_softmax(X @ t.T, dim=1)[torch.arange(X.shape[0]), y].sum()
        (truth,) = torch.autograd.grad(J, t)
        got = grad_fn(theta.clone(), X.clone(), y.clone())
        if not isinstance(got, torch.Tensor):
            try:
                got = torch.as_tensor(np.asarray(got), dtype=torch.float64)
            except (TypeError, ValueError) as err:
                raise ExerciseError(f"grad_fn must return a tensor of shape {tuple(truth.shape)}, "
                                    f"got {type(got).__name__}") from err
        got = got.detach().to(torch.float64)
        if got.shape != truth.shape:
            if got.shape == truth.T.shape:
                raise ExerciseError(f"your gradient has shape {tuple(got.shape)}, the transpose of theta's "
                                    f"{tuple(truth.shape)}: return one row per class k, like theta")
            raise ExerciseError(f"your gradient has shape {tuple(got.shape)}; it must have theta's shape "
                                f"(K, D) = {tuple(truth.shape)}")
        if torch.allclose(got, truth, rtol=1e-6, atol=1e-9):
            continue
        m = X.shape[0]
        if torch.allclose(got, -truth, rtol=1e-6, atol=1e-9):
            raise ExerciseError("your gradient has the wrong sign: J is the NEGATIVE log-likelihood, so "
                                "dJ/dtheta^(k) = -sum_i (1{y_i=k} - P(y_i=k|x_i)) x_i")
        if torch.allclose(got * m, truth, rtol=1e-6, atol=1e-9):
            raise ExerciseError(f"your gradient is the truth divided by m = {m}: that is the gradient of the "
                                "mean J/m; the lecture's J is a sum over examples, so do not divide")
        Y = torch.nn.functional.one_hot(y, theta.shape[0]).to(torch.float64)
        if torch.allclose(got, -Y.T @ X, rtol=1e-6, atol=1e-9):
            raise ExerciseError("you kept only the 1{y=k} term: the softmax's denominator depends on every "
                                "theta^(j) too, which adds + sum_i P(y_i=k|x_i) x_i")
        raise ExerciseError(f"your gradient differs from autograd's (relative error "
                            f"{relative_error(got, truth):.3g} on a random problem with m={m}, "
                            f"D={X.shape[1]}, K={theta.shape[0]})")
    return passed("your gradient of J(theta) matches PyTorch autograd on 3 random problems")


# ------------------------------------------------------------------ exercise 2

class ReLULayerReference:
    """A ReLU layer y = max(0, x), with the lecture's forward/backward interface."""

    def forward(self, x):
        self.x = x
        self.y = np.maximum(x, 0.0)
        return self.y

    def backward(self, grad_out):
        return grad_out * (self.x > 0)


def _relu_inputs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 6))
    # keep every entry at least 0.1 away from the kink at 0, where ReLU has no derivative
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-12) * 0.1 + x, x)


def check_relu_layer(layer_cls: type) -> str:
    """Check a ReLU layer class: ``layer_cls()`` with ``forward(x)`` and ``backward(grad_out)``.

    Compares forward with max(0, x) and backward with finite differences (arlib.lessons.autodiff.gradient_check)
    and with PyTorch autograd.
    """
    try:
        layer = layer_cls()
    except TypeError as err:
        raise ExerciseError(f"could not build your layer with {getattr(layer_cls, '__name__', layer_cls)}(): {err}; "
                            "a ReLU layer has no parameters, so the constructor takes no arguments") from err
    for name in ("forward", "backward"):
        if not callable(getattr(layer, name, None)):
            raise ExerciseError(f"your layer has no method {name}()")
    for seed in range(3):
        x = _relu_inputs(seed)
        y = np.asarray(layer.forward(x.copy()), dtype=np.float64)
        if y.shape != x.shape or not np.allclose(y, np.maximum(x, 0)):
            raise ExerciseError("forward(x) must return max(0, x) elementwise, same shape as x "
                                f"(for x = {x[0, :3].round(3).tolist()}... expected "
                                f"{np.maximum(x[0, :3], 0).round(3).tolist()}..., got "
                                f"{np.asarray(y).reshape(-1)[:3].round(3).tolist()}...)")
        g = np.random.default_rng(100 + seed).normal(size=x.shape)
        layer.forward(x.copy())
        got = layer.backward(g.copy())
        if got is None:
            raise ExerciseError("backward(grad_out) returned None; it must return the gradient with respect to x")
        got = np.asarray(got, dtype=np.float64)
        xt = torch.tensor(x, requires_grad=True)
        torch.relu(xt).backward(torch.tensor(g))
        truth = xt.grad.numpy()
        if got.shape != truth.shape:
            raise ExerciseError(f"backward returned shape {got.shape}; it must have the shape of x, {truth.shape}")
        if np.allclose(got, truth):
            continue
        mask = (x > 0).astype(np.float64)
        if np.allclose(got, mask):
            raise ExerciseError("backward returned the local derivative 1{x > 0} only: multiply it by grad_out "
                                "(the chain rule: dL/dx = dL/dy * dy/dx)")
        if np.allclose(got, g):
            raise ExerciseError("backward returned grad_out unchanged: where x < 0 the output does not depend "
                                "on x, so the gradient there must be 0")
        if np.allclose(got, g * (1 - mask)):
            raise ExerciseError("the gradient flows where x < 0 and is 0 where x > 0: the mask is inverted")
        raise ExerciseError(f"backward differs from PyTorch autograd (relative error {relative_error(got, truth):.3g})")
    errors = gradient_check(layer, _relu_inputs(7))
    if errors["x"] > 1e-6:
        raise ExerciseError(f"finite differences disagree with backward (relative error {errors['x']:.3g})")
    return passed(f"ReLU forward and backward agree with autograd; finite-difference relative error "
                  f"{errors['x']:.1e}")


# ------------------------------------------------------------------ exercise 3

def check_gradient_noise(batch_sizes: Sequence[int] | Mapping[int, float],
                         noise: Sequence[float] | None = None) -> str:
    """Check a measurement of SGD noise E||g_B - g||^2 against batch size B.

    Pass two sequences (batch sizes, noise) or one dict {B: noise}. Needs at least 4 sizes
    spanning a factor of 16 or more; the noise must fall with B roughly like 1/B (a log-log slope
    between -1.3 and -0.7).
    """
    if isinstance(batch_sizes, Mapping):
        if noise is not None:
            raise ExerciseError("pass either a dict {B: noise} or two sequences, not both")
        pairs = sorted((int(b), float(v)) for b, v in batch_sizes.items())
    else:
        if noise is None or len(batch_sizes) != len(noise):
            raise ExerciseError("pass the batch sizes and one noise value per batch size (or a dict {B: noise})")
        pairs = sorted((int(b), float(v)) for b, v in zip(batch_sizes, noise))
    B = np.array([p[0] for p in pairs], dtype=np.float64)
    v = np.array([p[1] for p in pairs], dtype=np.float64)
    if len(B) < 4:
        raise ExerciseError(f"measure at least 4 batch sizes (you gave {len(B)})")
    if len(set(B.tolist())) != len(B) or B.min() < 1:
        raise ExerciseError("batch sizes must be distinct positive integers")
    if B.max() / B.min() < 16:
        raise ExerciseError(f"your batch sizes span only a factor {B.max() / B.min():g}; use a wider range "
                            "(e.g. 1, 4, 16, 64, 256) to see the trend")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ExerciseError("every noise value must be a positive number: the mean squared distance "
                            "||g_B - g||^2 between the mini-batch gradient and the full gradient")
    slope = float(np.polyfit(np.log(B), np.log(v), 1)[0])
    if slope > 0:
        raise ExerciseError(f"your noise grows with the batch size (log-log slope {slope:.2f}); larger batches "
                            "average more examples, so their gradient should be CLOSER to the full gradient")
    if not -1.3 <= slope <= -0.7:
        hint = ("did you take the square root (a norm, not a squared norm)? that halves the slope"
                if -0.7 < slope <= -0.3 else "is the full-batch gradient g computed on the same data?")
        raise ExerciseError(f"the log-log slope of noise against B is {slope:.2f}; for independent examples "
                            f"the variance of a mean of B of them falls like 1/B (slope -1). {hint}")
    return passed(f"the noise falls like B^{slope:.2f}, close to 1/B: four times the batch, a quarter of the variance")
