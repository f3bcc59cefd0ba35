"""The Gated PixelCNN of ``gated_pixelcnn``, trained further: a warm restart from its checkpoint.

The shipped ``gated_pixelcnn`` ended its 30-epoch cosine with the validation NLL still creeping down
(84.80 to 84.79 over the last three epochs) and a training NLL about a nat below it. This run starts
from those weights with a fresh Adam and a second, shorter cosine: 12 epochs from half the first
one's learning rate (a warm restart, Loshchilov & Hutter's SGDR), on another shuffling seed. Its
checkpoint's metadata holds both runs' curves on one clock.
"""
from __future__ import annotations

from arlib.recipes.gated_pixelcnn import build  # noqa: F401  (the same network)

SHAPE = "image"

# The notebook's default run: a few steps from the shipped weights, on a subset (seconds).
SHORT = dict(init="gated_pixelcnn", epochs=1, max_steps=15, batch_size=16, lr=1e-3, seed=1, n_train=1000,
             n_valid=200)
# The run behind the shipped checkpoint: 12 epochs of batch 32 from lr 1e-3 annealed to zero on a
# cosine, bfloat16 autocast where the CPU has it, validated on all 10,000 validation images.
FULL = dict(init="gated_pixelcnn", epochs=12, batch_size=32, lr=1e-3, seed=1, patience=4, schedule="cosine",
            precision="auto")

NOTES = ("A warm restart of gated_pixelcnn (30 epochs, cosine from 2e-3): its weights, a fresh Adam, "
         "12 more epochs on a cosine from 1e-3, shuffling seed 1. The Gated PixelCNN paper (van den Oord "
         "et al. 2016) reports no binarized-MNIST figure.")
