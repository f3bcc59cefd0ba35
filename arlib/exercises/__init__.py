"""Checkers for the code exercises, one module per chapter (``arlib.exercises.ch01`` ...).

A checker takes the reader's answer, compares it with the truth computed by ``arlib``, and
raises ``ExerciseError`` with a message that says what is wrong (not just "False"); it
prints a short confirmation when the answer is right.
"""
from __future__ import annotations

__all__ = ["ExerciseError", "passed"]


class ExerciseError(AssertionError):
    """An exercise answer is wrong; the message says how."""


def passed(what: str) -> str:
    """The message a checker prints on success."""
    msg = f"Correct: {what}"
    print(msg)
    return msg
