"""Explorers: anywidget widgets that respond in Jupyter, Colab and the static built book.

See base.py for how an explorer is made and CONTRIBUTING.md for how to add one.
"""

import sys

from .base import Explorer
from .classifier import SoftmaxExplorer
from .coding import CodingExplorer  # chapter 13
from .completion import CompletionExplorer  # chapter 7
from .counts import CountsExplorer
from .filter import FilterExplorer  # chapter 8
from .gated_stacks import ClassSamplingExplorer  # chapter 11
from .likelihood import LikelihoodExplorer  # chapter 12
from .live import LiveModelExplorer  # chapters 3, 5, 6, 9, 12
from .made_masks import MadeMaskExplorer  # chapter 6
from .nade_weights import NadeWeightsExplorer  # chapter 5
from .pixel_bits import PixelBitsExplorer
from .receptive import ReceptiveFieldExplorer  # chapter 10
from .sampling import SamplingExplorer

__all__ = ["Explorer", "PixelBitsExplorer", "CountsExplorer", "SamplingExplorer", "SoftmaxExplorer", "colab_setup",
           "CompletionExplorer", "FilterExplorer", "MadeMaskExplorer", "ReceptiveFieldExplorer",
           "ClassSamplingExplorer", "LikelihoodExplorer", "CodingExplorer", "LiveModelExplorer", "NadeWeightsExplorer"]


def colab_setup() -> bool:
    """In Colab, turn on the widget manager that third-party widgets need; elsewhere nothing.

    Returns True when it ran in Colab.
    """
    if "google.colab" not in sys.modules:
        return False
    from google.colab import output  # noqa: PLC0415 - only importable inside Colab

    output.enable_custom_widget_manager()
    return True
