"""Gated PixelCNN, unconditional, twice as wide: 32 channels per stack, 12 gated layers (350,145 parameters).

The model of ``gated_pixelcnn`` (same masks, same depth, same training settings) with twice the
channels: its 16-channel network had all but converged (a warm restart of it gained 0.04 nats in an
hour, chapter 11), so the next step toward the Gated PixelCNN's published figures is width. A
training step costs about 1.7 times the 16-channel one on one thread in bfloat16 (334 against 197
ms for 32 images; four times the weights, but oneDNN's kernels use 32 channels better than 16).
"""
from arlib.models import GatedPixelCNN

SHAPE = "image"


def build() -> GatedPixelCNN:
    return GatedPixelCNN(channels=32, n_layers=12, kernel_size=3, first_kernel_size=5)


SHORT = dict(epochs=1, max_steps=15, batch_size=16, lr=2e-3, seed=0, n_train=1000, n_valid=200)
# As gated_pixelcnn's FULL: 30 epochs on a cosine from 2e-3, batch 32, bf16 where the CPU has it,
# all 10,000 validation images; about 9 minutes an epoch on one thread of this AMD EPYC.
FULL = dict(epochs=30, batch_size=32, lr=2e-3, seed=0, patience=4, schedule="cosine", precision="auto")
