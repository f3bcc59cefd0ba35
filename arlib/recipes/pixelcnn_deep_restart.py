"""The 16-layer PixelCNN of ``pixelcnn_deep``, trained further: a warm restart from its checkpoint.

The shipped ``pixelcnn_deep`` ended its 30-epoch cosine with the validation NLL still falling and the
training NLL within a nat of it (85.18 against 86.08): more training, not more capacity or
regularisation, is what it lacks. This run starts from those weights with a fresh Adam and a second
cosine, 32 epochs from half the first one's learning rate (a warm restart, Loshchilov & Hutter's
SGDR), on another shuffling seed. Its checkpoint's metadata holds both runs' curves on one clock.
"""
from __future__ import annotations

from arlib.recipes.pixelcnn_deep import build  # noqa: F401  (the same network)

SHAPE = "image"

# The notebook's default run: a few dozen steps from the shipped weights, on a subset (seconds).
SHORT = dict(init="pixelcnn_deep", epochs=1, max_steps=20, batch_size=32, lr=1e-3, seed=1, n_train=1000,
             n_valid=200)
# The run behind the shipped checkpoint: 32 epochs of batch 32 from lr 1e-3 annealed to zero on a
# cosine, bfloat16 autocast where the CPU has it, validated on all 10,000 validation images.
FULL = dict(init="pixelcnn_deep", epochs=32, batch_size=32, lr=1e-3, seed=1, patience=6, schedule="cosine",
            precision="auto")

NOTES = ("A warm restart of pixelcnn_deep (30 epochs, cosine from 2e-3): its weights, a fresh Adam, "
         "32 more epochs on a cosine from 1e-3, shuffling seed 1. van den Oord et al. (2016) report "
         "81.30 nats with a far larger network.")
