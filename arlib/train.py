"""One maximum-likelihood training loop for every model in the book, and the evaluator.

``fit`` minimises the mean NLL in nats per example.  It is seeded and resumable: with a
``run_dir`` it writes its whole state (model, optimizer, learning-rate schedule, RNG, curves)
there at epoch ends, and a later call with the same ``run_dir`` continues from it and ends
bit-for-bit where one uninterrupted call would have ended.  The validation NLL is recorded
against wall-clock seconds (summed over sittings), the curve chapter 12 draws.
"""
from __future__ import annotations

import contextlib
import copy
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from arlib.config import seed_everything

__all__ = ["fit", "is_bias", "evaluate", "History", "Evaluation", "TrainingDiverged", "nats_to_bits_per_dim",
           "OPTIMIZERS", "SCHEDULES", "native_bf16", "resolve_precision", "training_autocast"]

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad, "sgd": torch.optim.SGD}
SCHEDULES = (None, "cosine", "plateau")
STATE_FILE = "state.pt"


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
    """What ``fit`` saw: per-epoch train/valid NLL in nats, the wall-clock second of each
    validation (summed over sittings), the learning rate, per-step NLL of this sitting."""

    epoch: list[int] = field(default_factory=list)
    train_nll: list[float] = field(default_factory=list)
    valid_nll: list[float] = field(default_factory=list)
    valid_seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    step_nll: list[float] = field(default_factory=list)
    seconds: float = 0.0
    images_per_second: float = 0.0
    best_epoch: int | None = None
    best_valid_nll: float = math.inf
    stopped_early: bool = False
    finished: bool = False
    precision: str = "fp32"   # of the training passes: "fp32" or "bf16" (autocast)


def nats_to_bits_per_dim(nll_nats: float, D: int) -> float:
    """Convert an NLL in nats per example into bits per dimension."""
    return nll_nats / (D * math.log(2))


def _dataset(data):
    if isinstance(data, torch.Tensor):
        return TensorDataset(data)
    if isinstance(data, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in data):
        return TensorDataset(*data)
    return data


def _loader(data, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    return DataLoader(_dataset(data), batch_size=batch_size, shuffle=shuffle, generator=generator)


def _split(batch, model) -> tuple[torch.Tensor, dict]:
    """A batch is ``x``, ``(x,)`` or ``(x, y)``; labels go to the model as ``y=`` when it is
    conditional (``model.conditional``) and are dropped otherwise."""
    if isinstance(batch, torch.Tensor):
        x, y = batch, None
    else:
        x, y = batch[0], (batch[1] if len(batch) > 1 else None)
    x = x.to(model.device)
    if model.conditional and y is not None:
        return x, {"y": y.to(model.device)}
    return x, {}


def native_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether ``device`` multiplies bfloat16 matrices in hardware (a CUDA GPU that supports it; a
    CPU with AVX512-BF16 or AMX), where bfloat16 autocast trains faster; elsewhere it is emulated
    and slower than float32."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    cpu = getattr(torch, "cpu", None)
    return any(getattr(cpu, f, lambda: False)() for f in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def resolve_precision(precision: str, device: torch.device | str = "cpu") -> str:
    """``"fp32"`` or ``"bf16"`` as given; ``"auto"``: ``"bf16"`` where ``device`` has bfloat16
    hardware (``native_bf16``), else ``"fp32"``."""
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32', 'bf16' or 'auto', got {precision!r}")
    return precision


def training_autocast(precision: str, device: torch.device | str = "cpu"):
    """The context ``fit`` runs its training passes in: nothing for ``"fp32"``, bfloat16 autocast
    on ``device`` for ``"bf16"``, either for ``"auto"`` (``resolve_precision``)."""
    device = torch.device(device)
    if resolve_precision(precision, device) == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


@torch.no_grad()
def evaluate(model, data, batch_size: int | None = None) -> Evaluation:
    """Average NLL of ``data`` (a tensor, ``(x, y)`` tensors, a dataset or a DataLoader) in nats
    and bits/dim, in the model's own precision; labels are used when the model is conditional.
    ``batch_size`` defaults to the model's ``eval_batch_size`` (a speed hint)."""
    batch_size = batch_size or model.eval_batch_size
    was_training = model.training
    model.eval()
    total, n = 0.0, 0
    try:
        for batch in _loader(data, batch_size):
            x, cond = _split(batch, model)
            total += -model.log_prob(x, **cond).double().sum().item()
            n += x.shape[0]
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError("evaluate() got an empty data set")
    nll = total / n
    return Evaluation(nll=nll, bits_per_dim=nats_to_bits_per_dim(nll, model.D), n=n)


@torch.no_grad()
def _load_parameters(model, params) -> None:
    for p, q in zip(model.parameters(), params, strict=True):
        p.copy_(q)


def _running_mean(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
    """Add the weights ``current`` to their running mean ``averaged`` (over ``n_averaged`` so far), in
    place: mean + (w - mean) / (n + 1) as one ``lerp_`` per tensor.  ``AveragedModel``'s default makes
    temporaries and was 10x slower on a CPU (0.22 s against 0.02 s per step for a 13-million-weight MADE)."""
    w = 1.0 / (float(n_averaged) + 1.0)
    for mean, x in zip(averaged, current):
        mean.lerp_(x, w)


@contextlib.contextmanager
def _averaged(model, avg: AveragedModel | None):
    """``model`` holding the averaged parameters of ``avg`` for the duration (nothing when ``avg`` is
    None).  The model's own buffers stay: a MADE's current mask is its own, not the average's copy."""
    if avg is None:
        yield model
        return
    keep = [p.detach().clone() for p in model.parameters()]
    _load_parameters(model, avg.module.parameters())
    try:
        yield model
    finally:
        _load_parameters(model, keep)


def _schedule(opt, schedule: str | None, epochs: int, lr_patience: int, lr_factor: float):
    if schedule is None:
        return None
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    if schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=lr_factor, patience=lr_patience)
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")


def is_bias(name: str) -> bool:
    """Whether parameter ``name`` (from ``named_parameters``) is a bias, which weight decay leaves
    alone: PyTorch's ``bias`` / ``bias_ih_l0`` and the book's ``b`` and ``c`` (FVSBN, NADE)."""
    last = name.rsplit(".", 1)[-1]
    return last in ("b", "c") or last.startswith("bias")


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
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    schedule: str | None = None,
    lr_patience: int = 5,
    lr_factor: float = 0.5,
    clip_grad: float | None = None,
    patience: int | None = None,
    average_from: int | None = None,
    precision: str = "fp32",
    seed: int = 0,
    run_dir: str | Path | None = None,
    save_every_s: float = 300.0,
    progress: bool = True,
) -> History:
    """Train ``model`` by maximum likelihood (minimise the mean NLL in nats per example).

    Args:
        train, valid: tensors, ``(x, y)`` tensors, datasets or DataLoaders; labels are passed
            to conditional models.  With ``valid`` the NLL is evaluated after every epoch.
        epochs, max_steps, max_seconds: stop after this many epochs, gradient steps (a short
            run), or seconds of this sitting (a CPU budget: the epoch in progress ends early).
        optimizer, lr, weight_decay: ``"adam"`` (default), ``"adamw"``, ``"adagrad"`` or ``"sgd"``;
            ``weight_decay`` penalises the weights, not the biases (``is_bias``): with Adam it adds
            ``weight_decay / 2 * |w|^2`` to the loss that is minimised.
        schedule: ``None``, ``"cosine"`` (over ``epochs``) or ``"plateau"`` (multiply lr by
            ``lr_factor`` after ``lr_patience`` epochs without a better validation NLL).
        patience: stop when the validation NLL has not improved for that many epochs; the best
            weights are restored at the end either way when ``valid`` is given.
        average_from: from this epoch on, the model that is validated (and returned) is the
            running mean of the weights after every gradient step of those epochs
            (Polyak-Ruppert averaging, ``torch.optim.swa_utils.AveragedModel``); the
            optimizer goes on stepping the raw weights.
        precision: ``"fp32"``, ``"bf16"`` (autocast for the training pass only; the
            validation NLL is computed in the model's precision) or ``"auto"`` (``"bf16"`` where
            the device has bfloat16 hardware: ``resolve_precision``; ``History.precision`` says which).
        run_dir: where the resumable state goes (written at the end of an epoch once
            ``save_every_s`` seconds have passed since the last write, and at the end); a
            later call with the same ``run_dir`` continues from it.  A run killed mid-epoch
            resumes from the last written epoch and ends bit-for-bit as an uninterrupted run;
            a run cut by ``max_seconds`` keeps its shortened epoch and goes on from the next.

    Calls ``model.on_train_step(step)`` before each gradient step (MADE picks its mask there).
    Raises ``TrainingDiverged`` on a NaN or infinite loss.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if average_from is not None and average_from < 1:
        raise ValueError(f"average_from must be an epoch >= 1, got {average_from}")
    precision = resolve_precision(precision, model.device)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    seed_everything(seed)
    train = _dataset(train)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    fused = all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)
    groups = params if not weight_decay else [      # one group without decay: older runs resume as saved
        {"params": [p for n, p in named if not is_bias(n)], "weight_decay": weight_decay},
        {"params": [p for n, p in named if is_bias(n)], "weight_decay": 0.0}]
    opt = OPTIMIZERS[optimizer](groups, lr=lr, weight_decay=weight_decay, fused=fused)   # one pass per step
    sched = _schedule(opt, schedule, epochs, lr_patience, lr_factor)
    hist, best_state, bad, step, start_epoch, elapsed = History(), None, 0, 0, 1, 0.0
    avg = None   # the averaged weights, from epoch ``average_from`` on
    state_path = Path(run_dir) / STATE_FILE if run_dir is not None else None
    if state_path is not None and state_path.exists():
        s = torch.load(state_path, weights_only=True)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["optimizer"])
        if sched is not None:
            sched.load_state_dict(s["schedule"])
        torch.set_rng_state(s["rng"])
        hist = History(**{**s["history"], "step_nll": []})
        hist.stopped_early &= hist.finished   # a sitting's time cut (max_seconds) ends with that sitting
        best_state, bad, step, elapsed = s["best_model"], s["bad"], s["step"], s["elapsed"]
        start_epoch = hist.epoch[-1] + 1 if hist.epoch else 1
        if s.get("average") is not None:
            avg = AveragedModel(model, use_buffers=False, multi_avg_fn=_running_mean)
            avg.load_state_dict(s["average"])
    hist.precision = precision
    if hist.epoch and (hist.epoch[-1] >= epochs or (patience is not None and bad >= patience)):
        if best_state is not None:
            model.load_state_dict(best_state)
        elif avg is not None:
            _load_parameters(model, avg.module.parameters())
        model.eval()
        return hist

    def save_state() -> None:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "schedule": sched.state_dict() if sched is not None else {},
                    "rng": torch.get_rng_state(), "history": {**asdict(hist), "step_nll": []},
                    "best_model": best_state, "bad": bad, "step": step, "elapsed": elapsed,
                    "average": avg.state_dict() if avg is not None else None}, tmp)
        tmp.replace(state_path)

    n_batches = math.ceil(len(train) / batch_size)
    total_steps = epochs * n_batches if max_steps is None else min(max_steps, epochs * n_batches)
    bar = tqdm(total=total_steps, initial=min(step, total_steps), disable=not progress,
               desc=type(model).__name__, unit="step")
    t_sitting = time.perf_counter()
    t_saved, seen, stop = t_sitting, 0, False
    try:
        for epoch in range(start_epoch, epochs + 1):
            t_epoch = time.perf_counter()
            if avg is None and average_from is not None and epoch >= average_from:
                avg = AveragedModel(model, use_buffers=False, multi_avg_fn=_running_mean)
            model.train()
            run, count = 0.0, 0
            gen = torch.Generator().manual_seed(seed * 100_003 + epoch)   # the epoch's order, resumable
            for batch in _loader(train, batch_size, shuffle=True, generator=gen):
                x, cond = _split(batch, model)
                model.on_train_step(step)
                with training_autocast(precision, model.device):
                    loss = -model.log_prob(x, **cond).float().mean()
                if not torch.isfinite(loss):
                    raise TrainingDiverged(
                        f"loss is {loss.item()} at step {step} (epoch {epoch}); lower the learning rate "
                        f"(lr={lr}) or set clip_grad")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip_grad is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
                opt.step()
                if avg is not None:
                    avg.update_parameters(model)
                step += 1
                seen += x.shape[0]
                v = loss.item()
                hist.step_nll.append(v)
                run += v * x.shape[0]
                count += x.shape[0]
                bar.update(1)
                bar.set_postfix(nll=f"{run / count:.2f}")
                if max_steps is not None and step >= max_steps:
                    stop = True
                if max_seconds is not None and time.perf_counter() - t_sitting > max_seconds:
                    stop, hist.stopped_early = True, True
                if stop:
                    break
            hist.epoch.append(epoch)
            hist.train_nll.append(run / max(count, 1))
            hist.lr.append(opt.param_groups[0]["lr"])
            if valid is not None:
                with _averaged(model, avg):   # the weights validated
                    ev = evaluate(model, valid).nll
                elapsed += time.perf_counter() - t_epoch
                hist.valid_nll.append(ev)
                hist.valid_seconds.append(round(elapsed, 2))
                bar.set_postfix(nll=f"{run / count:.2f}", valid=f"{ev:.2f}")
                if progress:
                    bar.write(f"epoch {epoch}: train {run / max(count, 1):.3f}  valid {ev:.3f}  "
                              f"lr {opt.param_groups[0]['lr']:.2e}  {elapsed:.0f} s")
                if ev < hist.best_valid_nll:
                    hist.best_valid_nll, bad, hist.best_epoch = ev, 0, epoch
                    with _averaged(model, avg):
                        best_state = copy.deepcopy(model.state_dict())
                else:
                    bad += 1
                    if patience is not None and bad >= patience:
                        hist.stopped_early, stop = True, True
                if sched is not None:
                    sched.step(ev) if schedule == "plateau" else sched.step()
            else:
                elapsed += time.perf_counter() - t_epoch
                if sched is not None and schedule != "plateau":
                    sched.step()
            done = epoch == epochs or (patience is not None and bad >= patience)
            hist.finished = done
            if state_path is not None and (done or stop or time.perf_counter() - t_saved >= save_every_s):
                save_state()
                t_saved = time.perf_counter()
            if stop or done:
                break
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    elif avg is not None:
        _load_parameters(model, avg.module.parameters())
    hist.seconds = time.perf_counter() - t_sitting
    hist.images_per_second = seen / max(hist.seconds, 1e-9)
    model.eval()
    return hist
