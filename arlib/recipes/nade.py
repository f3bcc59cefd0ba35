"""NADE on binarized MNIST: H = 500 sigmoid hidden units, raster order, 2nH + H + n = 785,284 parameters
(88.86 nats in Larochelle & Murray 2011; the lecture's 88.33 is Uria et al. 2014)."""
from arlib.models import NADE

SHAPE = "flat"
NOTES = ("Larochelle & Murray 2011: stochastic gradient descent with a decreasing learning rate, early "
         "stopping on the validation NLL. Here: Adam (lr 2e-3, halved after 2 epochs without progress), "
         "minibatch 100, patience 6 (a CPU budget), weights stored in float16.")


def build() -> NADE:
    """The book's NADE: 784 pixels in raster order, H = 500 (the NADE paper's size)."""
    return NADE(784, 500)


# The chapter's default run: seconds on 2 cores (20 steps on a 2,000-image subset).
SHORT = dict(epochs=1, max_steps=20, batch_size=100, lr=1e-3, seed=0, n_train=2_000, n_valid=500)
# To convergence: the whole training set, Adam with a plateau schedule, early stopping.
FULL = dict(epochs=500, batch_size=100, lr=2e-3, seed=0, patience=6, schedule="plateau", lr_patience=2)
