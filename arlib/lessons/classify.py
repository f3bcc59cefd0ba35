"""Classification in one file: softmax regression, a small MLP, cross-entropy, mini-batch SGD.

Chapter 4 uses it on MNIST digit labels and then on the *next pixel* (an autoregressive
model's conditional p(x_i | x_<i) is a classifier of x_i). The symbols follow the lecture:

    P(y = k | x; theta) = exp(theta^(k)T x) / sum_j exp(theta^(j)T x)        (softmax)
    J(theta) = - sum_i sum_k 1{y^(i) = k} log P(y^(i) = k | x^(i); theta)      (max log-likelihood)

``cross_entropy`` returns J(theta) / m, the mean over the m examples (what SGD minimises;
the sum and the mean have the same minimiser). ``arlib.train`` is the loop for density models;
this one is for classifiers.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from arlib.config import seed_everything

__all__ = [
    "softmax",
    "cross_entropy",
    "accuracy",
    "SoftmaxRegression",
    "MLPClassifier",
    "ClassifierHistory",
    "train_classifier",
    "sgd_step",
    "evaluate_classifier",
    "minibatch_gradient_noise",
    "next_pixel_dataset",
]


def softmax(logits: torch.Tensor, temperature: float = 1.0, dim: int = -1) -> torch.Tensor:
    """exp(l_k / T) / sum_j exp(l_j / T), computed stably (the largest logit is subtracted first)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    z = logits / temperature
    z = z - z.amax(dim=dim, keepdim=True)
    e = z.exp()
    return e / e.sum(dim=dim, keepdim=True)


def cross_entropy(logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """J(theta) / m (``"mean"``), J(theta) (``"sum"``) or the per-example terms (``"none"``), in nats."""
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (m, K), got {tuple(logits.shape)}")
    if y.shape != logits.shape[:1] or y.dtype != torch.int64:
        raise ValueError(f"y must be int64 labels of shape ({logits.shape[0]},), got {y.dtype} {tuple(y.shape)}")
    if y.numel() and (y.min() < 0 or y.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in 0..{logits.shape[1] - 1}, got {y.min().item()}..{y.max().item()}")
    return F.cross_entropy(logits, y, reduction=reduction)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of examples whose most probable class is the label."""
    return (logits.argmax(dim=-1) == y).double().mean().item()


class SoftmaxRegression(nn.Module):
    """Logits theta^(k)T [1, x] for k = 1..K: one linear layer (its bias is the "1" input)."""

    def __init__(self, D: int = 784, K: int = 10) -> None:
        super().__init__()
        if D < 1 or K < 2:
            raise ValueError(f"need D >= 1 inputs and K >= 2 classes, got D={D}, K={K}")
        self.config = {"D": D, "K": K}
        self.linear = nn.Linear(D, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class MLPClassifier(nn.Module):
    """Linear -> ReLU layers, then a linear layer to K logits (the softmax is in the loss).

    The lecture's "for deep NNs: x is the output before the last layer": the last layer is a
    softmax regression on the features the hidden layers compute.
    """

    def __init__(self, D: int = 784, hidden: Sequence[int] = (128,), K: int = 10) -> None:
        super().__init__()
        hidden = [int(h) for h in hidden]
        if D < 1 or K < 2 or any(h < 1 for h in hidden):
            raise ValueError(f"need D >= 1, K >= 2 and positive hidden sizes, got D={D}, hidden={hidden}, K={K}")
        self.config = {"D": D, "hidden": hidden, "K": K}
        sizes = [D, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], K))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass
class ClassifierHistory:
    """What ``train_classifier`` saw: the loss of every mini-batch, and evaluations along the way."""

    step_loss: list[float] = field(default_factory=list)  # nats per example, one per SGD step
    eval_step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # on a fixed subset of the training set
    train_acc: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0


@torch.no_grad()
def evaluate_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                        batch_size: int = 5000) -> tuple[float, float]:
    """(mean cross-entropy in nats, accuracy) of ``model`` on ``(x, y)``."""
    if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"need as many labels as examples (and at least one), got {x.shape[0]} and {y.shape[0]}")
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    for s in range(0, x.shape[0], batch_size):
        logits = model(x[s:s + batch_size])
        total += cross_entropy(logits, y[s:s + batch_size], reduction="sum").item()
        correct += (logits.argmax(-1) == y[s:s + batch_size]).sum().item()
    model.train(was_training)
    return total / x.shape[0], correct / x.shape[0]


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    valid: tuple[torch.Tensor, torch.Tensor] | None = None,
    epochs: float = 1.0,
    batch_size: int = 100,
    lr: float = 0.1,
    momentum: float = 0.0,
    max_steps: int | None = None,
    eval_every: int = 100,
    train_eval_size: int = 5000,
    seed: int = 0,
    progress: bool = True,
) -> ClassifierHistory:
    """Minimise the mean cross-entropy with mini-batch SGD, seeded: theta <- theta - lr * grad.

    The update is written out (``sgd_step``); with ``momentum`` it is the heavy-ball update
    v <- momentum * v + grad, theta <- theta - lr * v (what ``torch.optim.SGD`` does).

    Every step draws ``batch_size`` examples without replacement (a new random order each
    epoch). Every ``eval_every`` steps (and at the end) it records the loss and accuracy on the
    first ``train_eval_size`` training examples and on ``valid``. ``epochs`` may be fractional.
    """
    m = x.shape[0]
    if m == 0 or y.shape[0] != m:
        raise ValueError(f"need as many labels as examples (and at least one), got {m} and {y.shape[0]}")
    if not 1 <= batch_size <= m:
        raise ValueError(f"batch_size must be in 1..{m}, got {batch_size}")
    if not epochs > 0 or lr <= 0:
        raise ValueError(f"epochs and lr must be > 0, got epochs={epochs}, lr={lr}")
    seed_everything(seed)
    g = torch.Generator().manual_seed(seed)
    per_epoch = m // batch_size
    total = max(1, math.ceil(epochs * per_epoch))
    if max_steps is not None:
        total = min(total, max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    velocity = [torch.zeros_like(p) for p in params] if momentum else None
    hist = ClassifierHistory()
    xe, ye = x[:train_eval_size], y[:train_eval_size]

    def record(step: int) -> None:
        hist.eval_step.append(step)
        tl, ta = evaluate_classifier(model, xe, ye)
        hist.train_loss.append(tl)
        hist.train_acc.append(ta)
        if valid is not None:
            vl, va = evaluate_classifier(model, *valid)
            hist.valid_loss.append(vl)
            hist.valid_acc.append(va)

    t0 = time.perf_counter()
    record(0)
    model.train()
    perm = torch.randperm(m, generator=g)
    bar = tqdm(total=total, disable=not progress, desc=type(model).__name__, unit="step")
    try:
        for step in range(1, total + 1):
            k = (step - 1) % per_epoch
            if k == 0 and step > 1:
                perm = torch.randperm(m, generator=g)
            idx = perm[k * batch_size:(k + 1) * batch_size]
            loss = cross_entropy(model(x[idx]), y[idx])
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss is {loss.item()} at step {step}; lower the learning rate (lr={lr})")
            model.zero_grad(set_to_none=True)
            loss.backward()
            sgd_step(params, lr, momentum, velocity)
            hist.step_loss.append(loss.item())
            bar.update(1)
            if step % eval_every == 0 or step == total:
                record(step)
                model.train()
                bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}",
                                **({"valid_acc": f"{hist.valid_acc[-1]:.3f}"} if valid is not None else {}))
    finally:
        bar.close()
    model.eval()
    hist.steps = total
    hist.epochs = total * batch_size / m
    hist.seconds = time.perf_counter() - t0
    return hist


@torch.no_grad()
def sgd_step(params: Sequence[torch.Tensor], lr: float, momentum: float = 0.0,
             velocity: Sequence[torch.Tensor] | None = None) -> None:
    """One SGD step on ``params`` from their ``.grad``: theta <- theta - lr * grad (or the momentum form)."""
    for k, p in enumerate(params):
        if p.grad is None:
            continue
        if momentum:
            velocity[k].mul_(momentum).add_(p.grad)
            p.sub_(lr * velocity[k])
        else:
            p.sub_(lr * p.grad)


def _flat_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    model.zero_grad(set_to_none=True)
    cross_entropy(model(x), y).backward()
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def minibatch_gradient_noise(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                             batch_sizes: Sequence[int], n_batches: int = 50,
                             seed: int = 0) -> dict[int, float]:
    """For each B: the mean of ||g_B - g||^2 over ``n_batches`` random mini-batches of size B.

    g is the gradient of the mean cross-entropy over all of ``(x, y)``; g_B the same on B examples
    drawn without replacement. For B much smaller than m it falls like 1/B.
    """
    m = x.shape[0]
    if any(not 1 <= b <= m for b in batch_sizes):
        raise ValueError(f"batch sizes must lie in 1..{m}, got {list(batch_sizes)}")
    g = torch.Generator().manual_seed(seed)
    full = _flat_grad(model, x, y)
    out = {}
    for b in batch_sizes:
        d = 0.0
        for _ in range(n_batches):
            idx = torch.randperm(m, generator=g)[:b]
            d += (_flat_grad(model, x[idx], y[idx]) - full).pow(2).sum().item()
        out[int(b)] = d / n_batches
    model.zero_grad(set_to_none=True)
    return out


def next_pixel_dataset(x: torch.Tensor, i: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The classification problem inside an autoregressive model: inputs x_<i, label x_i.

    ``x`` is ``(N, D)`` binary images in the model's order (raster scan for MNIST); returns
    ``(x[:, :i], x[:, i])`` with the label as int64 (class 0 = pixel off, class 1 = pixel on).
    """
    if x.ndim != 2:
        raise ValueError(f"x must be flat images (N, D), got shape {tuple(x.shape)}")
    if not 1 <= i < x.shape[1]:
        raise ValueError(f"i must be in 1..{x.shape[1] - 1} (pixel 0 has no x_<i to look at), got {i}")
    return x[:, :i], x[:, i].long()
