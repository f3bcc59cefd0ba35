"""Gated PixelCNN on binarized MNIST, unconditional: the model of the results table (chapters 11-12).

Vertical and horizontal stacks with the lecture's masks: a first layer with 5 x 5 / 1 x 5 masks
(exactly the lecture's "first layer" masks), then 3 x 3 / 1 x 3 layers (the lecture's "other
layers" rule at k = 3); 16 channels per stack and 12 gated layers (88,801 parameters, 0.36 MB).
Much smaller than the paper's networks, so that its shipped checkpoint trains on one CPU core:
a gated layer costs about 3.7 times the multiply-adds of a plain masked layer of the same width.
"""
from arlib.models import GatedPixelCNN

SHAPE = "image"


def build() -> GatedPixelCNN:
    return GatedPixelCNN(channels=16, n_layers=12, kernel_size=3, first_kernel_size=5)


# The notebook's default run: a few steps on a subset, to see the NLL fall (seconds).
SHORT = dict(epochs=1, max_steps=15, batch_size=16, lr=2e-3, seed=0, n_train=1000, n_valid=200)
# The run behind the shipped checkpoint and ARLIB_FULL=1: 30 epochs (6.7 hours on one CPU thread, in
# several sittings beside other runs, resumed from its saved state), the learning rate annealed to
# zero on a cosine, bfloat16 autocast where the CPU has it, validated on all 10,000 validation images
# as the PixelCNN is (chapter 11 compares the two runs at matched wall-clock time).
FULL = dict(epochs=30, batch_size=32, lr=2e-3, seed=0, patience=4, schedule="cosine", precision="auto")
