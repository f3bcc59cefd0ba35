"""Layers built from the masks in ``arlib.masks``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MaskedLinear (chapter 6) ----

# ---- MaskedConv2d (chapter 9) ----

# ---- gated blocks (chapter 11) ----
