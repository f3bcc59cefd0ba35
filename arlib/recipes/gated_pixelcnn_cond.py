"""Class-conditional Gated PixelCNN on binarized MNIST (chapter 11): the digit label y enters every gate.

The same network as ``arlib.recipes.gated_pixelcnn`` plus V (10 x 12 x 4p label terms); the class
prior p(y) is set from the training labels, so ``log_prob(x)`` without y is the exact marginal
log sum_y p(y) p(x | y).  ``fit`` passes the labels, since the model is conditional.
"""
import torch

from arlib.data import load_binarized_mnist
from arlib.models import GatedPixelCNN

SHAPE = "image"


def build() -> GatedPixelCNN:

    model = GatedPixelCNN(channels=16, n_layers=12, kernel_size=3, first_kernel_size=5, n_classes=10)
    _, y = load_binarized_mnist("train", labels=True)
    model.set_class_prior(torch.bincount(y, minlength=10))
    return model


SHORT = dict(epochs=1, max_steps=15, batch_size=16, lr=2e-3, seed=0, n_train=1000, n_valid=200)
FULL = dict(epochs=60, batch_size=32, lr=2e-3, seed=0, patience=4, n_valid=2000)
