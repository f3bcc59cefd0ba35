"""The 32-channel Gated PixelCNN with dropout 0.1 from its first epoch (a run in progress, not shipped).

``gated_pixelcnn_wide_dropout`` added dropout to the 32-channel network only after it had
over-fitted (an hour from its kept weights) and still gained 0.26 nats on the test set, with its
validation NLL falling to the end. This run is the one chapter 11 says those curves point to: the
32-channel recipe (30 epochs on a cosine from 2e-3, batch 32, patience 4) with dropout 0.1 on every
layer's gated output from the start. About 11 minutes an epoch on one thread of this AMD EPYC, so
it spans several sittings (``scripts/train.py`` resumes it).
"""
from __future__ import annotations

from arlib.recipes.gated_pixelcnn_wide_dropout import build  # noqa: F401  (the same network)

SHAPE = "image"

SHORT = dict(epochs=1, max_steps=15, batch_size=16, lr=2e-3, seed=0, n_train=1000, n_valid=200)
FULL = dict(epochs=30, batch_size=32, lr=2e-3, seed=0, patience=4, schedule="cosine", precision="auto")

NOTES = ("gated_pixelcnn_wide's network and settings (30 epochs on a cosine from 2e-3, batch 32, "
         "patience 4) with dropout 0.1 on the gated outputs in training from the first epoch."
         " Epochs 1-14 drew the dropout masks with torch's nn.Dropout, the later ones with arlib.layers.Dropout"
         " (the same rule from 16-bit draws, p = 0.100006; a faster training step).")
