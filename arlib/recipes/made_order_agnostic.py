"""MADE, order-agnostic: two hidden layers of 500 ReLUs, 32 masks, each with its own random ordering
and connectivity, as the paper's code draws its 32 masks for MNIST, in a far smaller network (the paper:
two hidden layers of 8000)."""
from arlib.models import MADE

SHAPE = "flat"
NOTES = ("Not a reproduction: the masks are drawn as the paper's code draws them (every mask its own "
         "random ordering and connectivity, so one network must predict every pixel from every subset "
         "of the others), but with two hidden layers of 500 units where the paper has 8000, and Adam. "
         "Its 32-mask ensemble is the model's density.")


def build() -> MADE:
    """784 -> 500 -> 500 -> 784, K = 32 masks, order- and connectivity-agnostic."""
    return MADE(784, [500, 500], num_masks=32, ordering="random", seed=0)


SHORT = dict(epochs=1, max_steps=150, batch_size=100, lr=1e-3, seed=0, n_train=15_000, n_valid=1_000)
FULL = dict(epochs=1000, batch_size=100, lr=1e-3, seed=0, patience=15, n_valid=2_000)
