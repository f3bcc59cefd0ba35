"""MADE on binarized MNIST: two hidden layers of 500 ReLUs, 32 masks (random orderings and
connectivities), the mask ensemble at test time; 1,035,784 parameters (4.1 MB in float32)."""
from arlib.models import MADE

CHECKPOINT = "made"
SHAPE = "flat"


def build() -> MADE:
    """The book's MADE: 784 -> 500 -> 500 -> 784, K = 32 masks, order- and connectivity-agnostic."""
    return MADE(784, [500, 500], num_masks=32, ordering="random", seed=0)


# The chapter's default run: seconds on 2 cores (a subset of the training set).
SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
# To convergence: one mask per minibatch, early stopping on the 32-mask ensemble NLL of
# 2,000 validation images (the ensemble over all 10,000 costs 32 passes each epoch).
FULL = dict(epochs=1000, batch_size=100, lr=1e-3, seed=0, patience=15, n_valid=2_000)
