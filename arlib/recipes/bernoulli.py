"""Independent Bernoullis: one logit per pixel (784 parameters)."""
from arlib.models import IndependentBernoulli

SHAPE = "flat"


def build() -> IndependentBernoulli:
    return IndependentBernoulli(784)


SHORT = dict(epochs=4, batch_size=500, lr=0.2, seed=0)
FULL = dict(epochs=30, batch_size=500, lr=0.2, seed=0, patience=3)
