"""arlib: the small library behind the textbook *Autoregressive Models*."""
from arlib.config import FULL, device, full_run, seed_everything

__version__ = "0.1.0"
__all__ = ["FULL", "device", "full_run", "seed_everything", "__version__"]
