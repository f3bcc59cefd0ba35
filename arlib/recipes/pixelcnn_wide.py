"""A 64-channel PixelCNN with dropout from its first epoch (a run in progress, not shipped).

The 16-layer, 32-channel PixelCNN (``pixelcnn_deep_restart``) has stopped learning what generalises:
after 62 epochs its training NLL is 1.2 nats below its validation NLL (84.63 against 85.82), and its
validation curve is flat. The two remedies that lowered the 32-channel Gated PixelCNN's test NLL
(``gated_pixelcnn_wide_avg``, ``gated_pixelcnn_wide_dropout``) were tried on its weights, with the
same settings (a fresh Adam at a constant 5e-4, shuffling seed 2, the running mean of the weights
validated), on one thread each (runs not shipped):

- the weights averaged: validation 85.80, 85.80, 85.80, 85.80, 85.79, 85.79, 85.79 after epochs 1-7
  (0.04 nats in 7 epochs, 18 minutes), stopped there;
- the same plus dropout 0.1 on every residual branch: validation 87.00, 86.93, 86.88 after epochs
  1-3, the training NLL under dropout 88.8: 32 feature maps have no capacity to spare for dropout.

So the network, not its training, is what stands in the way now. This run gives it capacity: the
same 16 residual layers with 64 feature maps (4x the parameters), dropout 0.1 from the start, and the
32-channel Gated PixelCNN's settings (30 epochs on a cosine from 2e-3, batch 32, patience 4). About
12 minutes an epoch on one thread of this AMD EPYC beside another run, so it spans several sittings
(``scripts/train.py`` resumes it).
"""
from __future__ import annotations

from arlib.models import PixelCNN

SHAPE = "image"


def build() -> PixelCNN:
    return PixelCNN(in_channels=1, channels=64, n_layers=16, kernel_size=3, first_kernel_size=7,
                    num_values=2, residual=True, dropout=0.1)


SHORT = dict(epochs=1, max_steps=15, batch_size=16, lr=2e-3, seed=0, n_train=1000, n_valid=200)
FULL = dict(epochs=30, batch_size=32, lr=2e-3, seed=0, patience=4, schedule="cosine", precision="auto")

NOTES = ("pixelcnn_deep's 16 residual layers at 64 feature maps (561,345 parameters) with dropout 0.1 "
         "on the residual branches in training from the first epoch, trained as gated_pixelcnn_wide "
         "(30 epochs on a cosine from 2e-3, batch 32, patience 4)."
         " Epochs 1-12 drew the dropout masks with torch's nn.Dropout, the later ones with arlib.layers.Dropout"
         " (the same rule from 16-bit draws, p = 0.100006; a faster training step).")
