"""MADE, mask ensemble: one hidden layer, 32 connectivity masks (Germain et al. 2015: 88.04 nats).

784 -> 8000 ReLUs -> 784 in raster order for every mask, with the direct input-output connection;
the 32 masks differ in the hidden units' degrees only (connectivity-agnostic training: minibatch s
uses mask s mod 32). The paper's code draws a new ordering for every mask as well (its MNIST
command's shuffling type "Full"); this recipe keeps the raster order, and ``made_order_agnostic``
draws both. The test density is the mixture (1/K) sum_k p_k(x) over the K = 32 masks. Trained as
``arlib.recipes.made`` (the paper's code release: Adagrad at 0.01, orthogonal weights).
"""
from arlib.models import MADE
from arlib.recipes.made import orthogonal_init

SHAPE = "flat"
NOTES = ("Paper: Adagrad lr 0.01, minibatch 100, 32 masks cycled, early stopping with a look-ahead of 30 "
         "epochs, 8000 hidden units, direct input-output connection, a new random ordering and "
         "connectivity for every mask; its best, 86.64, has two hidden layers of 8000 (64M more weights: "
         "128 MB in float16, over the book's size budget, and about 8x the training cost). Here the same "
         "one-hidden-layer configuration in raster order for every mask (the masks differ in "
         "connectivity only), validated on the 32-mask ensemble of 1,000 validation images (the paper: "
         "all of them), bfloat16 autocast for the training passes where the CPU has it (precision "
         "auto), resumed over several sittings.")


def build() -> MADE:
    """MADE with one hidden layer of 8000 ReLUs, raster order, K = 32 connectivity masks, direct
    connection, orthogonal initial weights (seeded)."""
    return orthogonal_init(MADE(784, [8000], num_masks=32, ordering="natural", seed=0, direct=True))


SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
FULL = dict(epochs=300, batch_size=100, lr=0.01, optimizer="adagrad", seed=0, patience=30, n_valid=1_000,
            precision="auto")
