"""MADE, one mask, small enough to run in the reader's browser (chapters 6 and 12's live explorers).

784 -> 1000 ReLUs -> 784 in raster order, one fixed connectivity, with the direct masked
connection from the inputs to the outputs: the recipe of ``made`` at an eighth of its width
(about 1.1 million non-zero weights against 6.6 million), so that its int8 weights fit in a page.
"""
from arlib.models import MADE

SHAPE = "flat"
NOTES = ("Not a paper configuration: the book's one-mask MADE (recipe 'made', 8000 units) at 1000 hidden "
         "units, so that the page can carry it. Adam (lr 1e-3, halved after 2 epochs without progress), "
         "minibatch 100, patience 4, weights stored in float16.")


def build() -> MADE:
    """MADE with one hidden layer of 1000 ReLUs, raster order, a single mask, direct connection."""
    return MADE(784, [1000], num_masks=1, ordering="natural", seed=0, direct=True)


SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
FULL = dict(epochs=300, batch_size=100, lr=1e-3, seed=0, patience=4, schedule="plateau", lr_patience=2)
