"""Every density model of the book, with the one interface of ``arlib.models.base``."""
from arlib.models.base import AutoregressiveModel
from arlib.models.bernoulli import IndependentBernoulli
from arlib.models.fvsbn import FVSBN

__all__ = ["AutoregressiveModel", "IndependentBernoulli", "FVSBN"]
# Chapters add their models below, one import line each.
from arlib.models.rnn import PixelRNN, VanillaRNN  # noqa: E402  (chapter 7)
__all__ += ["PixelRNN", "VanillaRNN"]
from arlib.models.pixelcnn import PixelCNN  # noqa: E402  (chapter 9)
__all__ += ["PixelCNN"]
from arlib.models.nade import NADE  # noqa: E402  (chapter 5)
from arlib.models.made import MADE  # noqa: E402  (chapter 6)
__all__ += ["NADE", "MADE"]
from arlib.models.gated_pixelcnn import GatedPixelCNN  # noqa: E402  (chapter 11)
__all__ += ["GatedPixelCNN"]
