"""Training recipes: one module per shipped checkpoint, the same settings for the book and
``scripts/train.py``.

A recipe module ``arlib.recipes.NAME`` defines

* ``build() -> model``: the model at its book settings,
* ``SHORT``: ``arlib.train.fit`` keyword arguments for the chapter's default run (seconds on 2 cores),
  plus ``n_train`` / ``n_valid`` (subset sizes; ``None`` = the whole split),
* ``FULL``: the keyword arguments of the run that produced the shipped checkpoint (``ARLIB_FULL=1``),
* ``SHAPE``: ``"flat"`` or ``"image"``, how the model takes binarized MNIST,
* optionally ``load(split, n)``: the data it trains on, when that is not binarized MNIST,
* optionally ``NOTES``: where the recipe differs from the paper it reproduces, and why.

A ``FULL`` may name ``init``: a shipped checkpoint whose weights the run starts from (a warm restart
of a finished run, with a fresh optimizer and schedule); ``scripts/train.py`` then records the
parent's curves ahead of the run's own, so the metadata tells the whole training.

The checkpoint of recipe ``NAME`` is ``arlib/checkpoints/NAME.safetensors``.  ``run(NAME)``
trains with ``SHORT`` or ``FULL`` on binarized MNIST (labels are loaded when the model is
conditional).
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

from arlib.checkpoints import load_model
from arlib.config import device, full_run
from arlib.data import load_binarized_mnist
from arlib.train import History, fit

__all__ = ["get", "run", "names", "settings", "load_data"]


def names() -> list[str]:
    """Names of every recipe module in this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def get(name: str) -> ModuleType:
    """The recipe module for model ``name`` (e.g. ``"fvsbn"``)."""
    if name not in names():
        raise ValueError(f"no recipe named {name!r}; available: {names()}")
    return importlib.import_module(f"arlib.recipes.{name}")


def settings(name: str, full: bool | None = None, **overrides) -> dict:
    """The ``fit`` settings of recipe ``name`` (``FULL`` or ``SHORT``) with ``overrides`` applied."""
    r = get(name)
    full = full_run() if full is None else full
    return {"n_train": None, "n_valid": None, **(r.FULL if full else r.SHORT), **overrides}


def load_data(name: str, split: str, n: int | None = None, labels: bool = False):
    """The ``split`` ("train", "valid", "test") that recipe ``name`` trains on (labels with it
    when ``labels``): the recipe's own ``load``, or binarized MNIST in the recipe's ``SHAPE``."""
    r = get(name)
    if hasattr(r, "load"):
        return r.load(split, n)
    return load_binarized_mnist(split, shape=r.SHAPE, labels=labels, n=n)


def run(name: str, full: bool | None = None, progress: bool = True, run_dir: str | Path | None = None,
        **overrides) -> tuple:
    """Build model ``name`` and train it on binarized MNIST; returns ``(model, history)``.

    ``full=None`` follows ``ARLIB_FULL``; ``overrides`` replace entries of the settings;
    ``run_dir`` makes the run resumable (``arlib.train.fit``); an ``init`` setting starts from the
    weights of that shipped checkpoint.
    """
    s = settings(name, full, **overrides)
    n_train, n_valid, init = s.pop("n_train"), s.pop("n_valid"), s.pop("init", None)
    model = get(name).build().to(device())
    if init is not None:                                 # a warm restart from a shipped checkpoint
        model.load_state_dict(load_model(init).state_dict())
    train = load_data(name, "train", n_train, labels=model.conditional)
    valid = load_data(name, "valid", n_valid, labels=model.conditional)
    hist: History = fit(model, train, valid, progress=progress, run_dir=run_dir, **s)
    return model, hist
