"""One maximum-likelihood training loop for every model in the book, and the evaluator."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from arlib.config import seed_everything

__all__ = ["fit", "evaluate", "History", "Evaluation", "TrainingDiverged", "nats_to_bits_per_dim"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; training stops instead of going on."""


@dataclass
class Evaluation:
    """Average negative log-likelihood of a data set under a model."""

    nll: float  # nats per example
    bits_per_dim: float
    n: int

    def __str__(self) -> str:
        return f"NLL = {self.nll:.2f} nats ({self.bits_per_dim:.4f} bits/dim) on {self.n} examples"


@dataclass
class History:
    """What ``fit`` saw: per-epoch train/valid NLL in nats, per-step NLL, wall time."""

    epoch: list[int] = field(default_factory=list)
    train_nll: list[float] = field(default_factory=list)
    valid_nll: list[float] = field(default_factory=list)
    step_nll: list[float] = field(default_factory=list)
    seconds: float = 0.0
    images_per_second: float = 0.0
    best_epoch: int | None = None
    stopped_early: bool = False


def nats_to_bits_per_dim(nll_nats: float, D: int) -> float:
    """Convert an NLL in nats per example into bits per dimension."""
    return nll_nats / (D * math.log(2))


def _as_loader(data, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, torch.Tensor):
        data = TensorDataset(data)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))


def _split(batch) -> tuple[torch.Tensor, dict]:
    """A batch is ``x`` or ``(x,)`` or ``(x, y)``; labels are passed on as ``y=`` for conditional models."""
    if isinstance(batch, torch.Tensor):
        return batch, {}
    if len(batch) == 1:
        return batch[0], {}
    return batch[0], {"y": batch[1]}


@torch.no_grad()
def evaluate(model, data, batch_size: int = 500, conditional: bool = False) -> Evaluation:
    """Average NLL of ``data`` (a tensor, dataset or DataLoader) in nats and bits/dim."""
    model.eval()
    dev = model._device()
    total, n = 0.0, 0
    for batch in _as_loader(data, batch_size, False, 0):
        x, cond = _split(batch)
        cond = {k: v.to(dev) for k, v in cond.items()} if conditional else {}
        lp = model.log_prob(x.to(dev), **cond)
        total += -lp.double().sum().item()
        n += x.shape[0]
    if n == 0:
        raise ValueError("evaluate() got an empty data set")
    nll = total / n
    return Evaluation(nll=nll, bits_per_dim=nats_to_bits_per_dim(nll, model.D), n=n)


def fit(
    model,
    train,
    valid=None,
    *,
    epochs: int = 1,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    clip_grad: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    conditional: bool = False,
    progress: bool = True,
    on_step=None,
) -> History:
    """Train ``model`` by maximum likelihood (minimise the mean NLL in nats per example).

    Adam by default, seeded; a tqdm bar shows the running NLL.  With ``valid`` it evaluates
    after every epoch; with ``patience`` it stops early when the validation NLL has not improved
    for that many epochs and restores the best weights.  ``max_steps`` caps the number of
    gradient steps (a short run) and ``max_seconds`` the wall time (a CPU budget; the epoch in
    progress ends early and is evaluated).  ``on_step(model, step)`` is called after every step (used,
    for example, by MADE to resample its masks).  Raises ``TrainingDiverged`` on a NaN/inf loss.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    seed_everything(seed)
    dev = model._device()
    loader = _as_loader(train, batch_size, True, seed)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best, best_state, bad = math.inf, None, 0
    step, seen, t0 = 0, 0, time.perf_counter()
    total_steps = epochs * len(loader) if max_steps is None else min(max_steps, epochs * len(loader))
    bar = tqdm(total=total_steps, disable=not progress, desc=type(model).__name__, unit="step")
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            run, count = 0.0, 0
            for batch in loader:
                x, cond = _split(batch)
                x = x.to(dev)
                cond = {k: v.to(dev) for k, v in cond.items()} if conditional else {}
                loss = -model.log_prob(x, **cond).mean()
                if not torch.isfinite(loss):
                    raise TrainingDiverged(
                        f"loss is {loss.item()} at step {step} (epoch {epoch}); lower the learning rate "
                        f"(lr={lr}) or set clip_grad"
                    )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip_grad is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
                opt.step()
                step += 1
                seen += x.shape[0]
                v = loss.item()
                hist.step_nll.append(v)
                run += v * x.shape[0]
                count += x.shape[0]
                bar.update(1)
                bar.set_postfix(nll=f"{run / count:.2f}")
                if on_step is not None:
                    on_step(model, step)
                if max_steps is not None and step >= max_steps:
                    break
                if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                    break
            hist.epoch.append(epoch)
            hist.train_nll.append(run / max(count, 1))
            if valid is not None:
                ev = evaluate(model, valid, conditional=conditional).nll
                hist.valid_nll.append(ev)
                bar.set_postfix(nll=f"{run / count:.2f}", valid=f"{ev:.2f}")
                if ev < best:
                    best, bad, hist.best_epoch = ev, 0, epoch
                    if patience is not None:
                        best_state = copy.deepcopy(model.state_dict())
                else:
                    bad += 1
                    if patience is not None and bad >= patience:
                        hist.stopped_early = True
                        break
            if max_steps is not None and step >= max_steps:
                break
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                hist.stopped_early = True
                break
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - t0
    hist.images_per_second = seen / max(hist.seconds, 1e-9)
    model.eval()
    return hist
