"""The 32-channel Gated PixelCNN, continued with its weights averaged (Polyak-Ruppert, as in SWA).

``gated_pixelcnn_wide`` was ended by early stopping: its validation NLL was lowest at epoch 18 of a
30-epoch cosine while the training NLL went on falling (over-fitting). The mean of its weights at
epochs 18 and 22 scores 84.47 on the validation images against 84.57 and 84.68 for each alone, so
the trajectory's average generalises better than any point on it. This run starts from the shipped
weights (epoch 18) with a fresh Adam at a constant learning rate of 5e-4 (about that of epoch 18)
and validates the running mean of the weights after every step (``fit``'s ``average_from``).
The control for ``gated_pixelcnn_wide_dropout``, which differs only in its dropout.
"""
from __future__ import annotations

from arlib.recipes.gated_pixelcnn_wide import build  # noqa: F401  (the same network)

SHAPE = "image"

# The notebook's default run: a few steps from the shipped weights, on a subset (seconds).
SHORT = dict(init="gated_pixelcnn_wide", epochs=1, max_steps=15, batch_size=16, lr=5e-4, seed=2,
             n_train=1000, n_valid=200, average_from=1)
# The run behind the shipped checkpoint: 6 epochs of batch 32 at lr 5e-4, the weights averaged from
# the first step, bfloat16 autocast where the CPU has it, validated on all 10,000 validation images.
FULL = dict(init="gated_pixelcnn_wide", epochs=6, batch_size=32, lr=5e-4, seed=2, average_from=1,
            precision="auto")

NOTES = ("gated_pixelcnn_wide's weights (epoch 18), a fresh Adam at a constant 5e-4 for 6 epochs, "
         "shuffling seed 2, the running mean of the weights validated and kept.")
