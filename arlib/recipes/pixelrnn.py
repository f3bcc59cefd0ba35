"""PixelRNN: one LSTM layer (H = 128) over the 784 pixels in raster order (67,457 parameters).

Training is sequential in the pixels (784 cell steps per image, forward and backward), so it is
slow on a CPU: about 100 images/s on one thread (batch 32; larger batches are no faster), nine
minutes per epoch with its validation.  ``SHORT`` only shows the loss falling (a few steps on a
small subset); the shipped checkpoint comes from ``FULL`` (its metadata holds the curve and the
time it took).
"""
from arlib.models import PixelRNN

SHAPE = "image"


def build() -> PixelRNN:
    return PixelRNN(hidden_size=128, num_layers=1, cell="lstm")


SHORT = dict(epochs=1, max_steps=12, batch_size=16, lr=3e-3, clip_grad=1.0, seed=0, n_train=192, n_valid=100)
# The run behind the shipped checkpoint: 12 epochs (105 minutes on one thread; test NLL 84.56),
# the learning rate annealed to zero on a cosine, in float32 (bfloat16 autocast ran 1.5x faster per
# step but its validation NLL after 300 steps was worse: 127.0 against 121.3).
FULL = dict(epochs=12, batch_size=32, lr=2e-3, clip_grad=1.0, seed=0, patience=3, schedule="cosine")
