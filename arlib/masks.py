"""Masks that make a network autoregressive.

* MADE (chapter 6): degree assignments m(k) and the masks of every layer.
* Masked convolutions (chapter 9): type A and type B, with colour channel groups.
* Gated PixelCNN (chapter 11): vertical and horizontal stack masks.
"""
from __future__ import annotations

import torch

# ---- MADE masks (chapter 6) ----

# ---- masked convolutions A/B (chapter 9) ----

# ---- vertical/horizontal stacks (chapter 11) ----
