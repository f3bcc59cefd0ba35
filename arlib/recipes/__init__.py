"""Training recipes: one module per model, the same settings for the book and ``scripts/train.py``.

A recipe module ``arlib.recipes.NAME`` defines

* ``build() -> model``: the model at its book settings,
* ``SHORT``: ``arlib.train.fit`` keyword arguments for the default run (seconds on 2 cores),
* ``FULL``: the keyword arguments of the run that trains to convergence (``ARLIB_FULL=1``),
* ``CHECKPOINT``: the name of the shipped checkpoint that run produced.

``run(NAME)`` trains with ``SHORT`` or ``FULL`` (per ``ARLIB_FULL``) on binarized MNIST.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from arlib.config import device, full_run

__all__ = ["get", "run", "names"]


def names() -> list[str]:
    """Names of every recipe module in this package."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def get(name: str) -> ModuleType:
    """The recipe module for model ``name`` (e.g. ``"fvsbn"``)."""
    if name not in names():
        raise ValueError(f"no recipe named {name!r}; available: {names()}")
    return importlib.import_module(f"arlib.recipes.{name}")


def run(name: str, full: bool | None = None, progress: bool = True, **overrides):
    """Build model ``name`` and train it on binarized MNIST; returns ``(model, history)``.

    ``full=None`` follows ``ARLIB_FULL``; ``overrides`` replace entries of the settings.
    """
    from arlib.data import load_binarized_mnist
    from arlib.train import fit

    r = get(name)
    full = full_run() if full is None else full
    settings = {**(r.FULL if full else r.SHORT), **overrides}
    shape = getattr(r, "SHAPE", "flat")
    conditional = settings.pop("conditional", False)
    n_train = settings.pop("n_train", None)
    train = load_binarized_mnist("train", shape=shape, labels=conditional, n=n_train)
    valid = load_binarized_mnist("valid", shape=shape, labels=conditional, n=settings.pop("n_valid", None))
    from torch.utils.data import TensorDataset

    if conditional:
        train, valid = TensorDataset(*train), TensorDataset(*valid)
    model = r.build().to(device())
    hist = fit(model, train, valid, conditional=conditional, progress=progress, **settings)
    return model, hist
