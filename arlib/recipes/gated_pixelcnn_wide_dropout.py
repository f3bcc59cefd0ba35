"""The 32-channel Gated PixelCNN, continued with dropout and its weights averaged.

As ``gated_pixelcnn_wide_avg`` (the shipped 32-channel weights, a fresh Adam at a constant 5e-4,
the running mean of the weights validated), with one change: in training, every gated layer's
horizontal output g passes through dropout at rate 0.1 before its residual and skip 1 x 1
convolutions (the place of the dropout in PixelCNN++'s residual blocks). The 32-channel run
over-fitted (validation 1.76 nats above training at its best epoch); dropout is the standard
remedy, and the pair of runs measures what it adds to averaging alone.
"""
from __future__ import annotations

from arlib.models import GatedPixelCNN

SHAPE = "image"


def build() -> GatedPixelCNN:
    return GatedPixelCNN(channels=32, n_layers=12, kernel_size=3, first_kernel_size=5, dropout=0.1)


SHORT = dict(init="gated_pixelcnn_wide", epochs=1, max_steps=15, batch_size=16, lr=5e-4, seed=2,
             n_train=1000, n_valid=200, average_from=1)
FULL = dict(init="gated_pixelcnn_wide", epochs=6, batch_size=32, lr=5e-4, seed=2, average_from=1,
            precision="auto")

NOTES = ("gated_pixelcnn_wide's weights (epoch 18), dropout 0.1 on the gated outputs in training, a "
         "fresh Adam at a constant 5e-4 for 6 epochs, shuffling seed 2, the running mean of the weights "
         "validated and kept. Its dropout masks were drawn by torch's nn.Dropout; arlib.layers.Dropout, "
         "which draws them now, applies the same rule to other random numbers (p = 0.100006).")
