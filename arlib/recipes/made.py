"""MADE, one mask: the paper's one-hidden-layer network (Germain et al. 2015: 88.40 nats).

784 -> 8000 ReLUs -> 784 in raster order, one fixed connectivity, plus the paper's direct masked
connection from the inputs to the outputs (its ``direct_input_connect="Output"``).
"""
from arlib.models import MADE

SHAPE = "flat"
NOTES = ("Paper (its code release's MNIST command): Adagrad lr 0.01, minibatch 100, early stopping with "
         "a look-ahead of 30 epochs, 8000 hidden units, direct input-output connection, orthogonal "
         "initialisation. Here: Adam (lr 1e-3, halved after 2 epochs without progress), minibatch 100, "
         "patience 6 (a CPU budget), PyTorch's default initialisation, weights stored in float16.")


def build() -> MADE:
    """MADE with one hidden layer of 8000 ReLUs, raster order, a single mask, direct connection."""
    return MADE(784, [8000], num_masks=1, ordering="natural", seed=0, direct=True)


SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
FULL = dict(epochs=300, batch_size=100, lr=1e-3, seed=0, patience=6, schedule="plateau", lr_patience=2)
