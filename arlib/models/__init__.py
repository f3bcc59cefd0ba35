"""Every density model of the book, with the one interface of ``arlib.models.base``."""
from arlib.models.base import AutoregressiveModel
from arlib.models.bernoulli import IndependentBernoulli

__all__ = ["AutoregressiveModel", "IndependentBernoulli"]
# Chapters add their models below, one import line each.
