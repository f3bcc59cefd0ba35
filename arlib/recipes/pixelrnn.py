"""PixelRNN: one LSTM layer (H = 128) over the 784 pixels in raster order (67,457 parameters).

Training is sequential in the pixels (784 cell steps per image, forward and backward), so it is
slow on a CPU: about 30 images/s on one thread, half an hour per epoch.  ``SHORT`` only shows the
loss falling (a few steps on a small subset); the shipped checkpoint comes from ``FULL`` under a
wall-time cap (its metadata says how many epochs it reached).
"""
from arlib.models import PixelRNN

SHAPE = "image"


def build() -> PixelRNN:
    return PixelRNN(hidden_size=128, num_layers=1, cell="lstm")


SHORT = dict(epochs=1, max_steps=12, batch_size=16, lr=3e-3, clip_grad=1.0, seed=0, n_train=192, n_valid=100)
FULL = dict(epochs=30, batch_size=32, lr=2e-3, clip_grad=1.0, seed=0, patience=3)
