"""MADE, mask ensemble: one hidden layer, 32 connectivity masks (Germain et al. 2015: 88.04 nats).

784 -> 8000 ReLUs -> 784 in raster order for every mask, with the direct input-output connection;
the 32 masks differ in the hidden units' degrees (connectivity-agnostic training: minibatch s uses
mask s mod 32).  The test density is the mixture (1/K) sum_k p_k(x) over the K = 32 masks.
"""
from arlib.models import MADE

SHAPE = "flat"
NOTES = ("Paper: Adagrad lr 0.01, 32 masks cycled, early stopping with a look-ahead of 30 epochs, 8000 "
         "hidden units; its best, 86.64, has two hidden layers of 8000 (64M more weights: 128 MB in "
         "float16, over the book's size budget, and about 8x the training cost). Here: one hidden layer, "
         "Adam with a plateau schedule, patience 6, validation on the 32-mask ensemble of 1,000 "
         "validation images, weights stored in float16.")


def build() -> MADE:
    """MADE with one hidden layer of 8000 ReLUs, raster order, K = 32 connectivity masks."""
    return MADE(784, [8000], num_masks=32, ordering="natural", seed=0, direct=True)


SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
FULL = dict(epochs=300, batch_size=100, lr=1e-3, seed=0, patience=6, schedule="plateau", lr_patience=2,
            n_valid=1_000)
