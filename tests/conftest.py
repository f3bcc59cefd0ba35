import os

import torch

# Unit tests are small; one thread keeps them predictable on a 2-core machine.
torch.set_num_threads(1)
os.environ.setdefault("ARLIB_FULL", "0")
