"""Run-time switches shared by every chapter: the two speeds and the device."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["FULL", "full_run", "device", "seed_everything"]


def full_run() -> bool:
    """True when ``ARLIB_FULL=1``: train from scratch with the published settings."""
    return os.environ.get("ARLIB_FULL", "0").strip() not in ("", "0", "false", "False")


FULL = full_run()


def device() -> torch.device:
    """The GPU in a full run when one is present; the CPU otherwise (the book's default)."""
    if full_run() and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a ``torch.Generator`` seeded the same way."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
