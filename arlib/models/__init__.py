"""Every density model of the book, with the one interface of ``arlib.models.base``, in the order
of the chapters that introduce them."""
from arlib.models.base import AutoregressiveModel
from arlib.models.bernoulli import IndependentBernoulli
from arlib.models.fvsbn import FVSBN
from arlib.models.gated_pixelcnn import GatedPixelCNN
from arlib.models.made import MADE
from arlib.models.nade import NADE
from arlib.models.pixelcnn import PixelCNN
from arlib.models.rnn import PixelRNN

__all__ = ["AutoregressiveModel", "IndependentBernoulli", "FVSBN", "NADE", "MADE", "PixelRNN", "PixelCNN",
           "GatedPixelCNN"]
