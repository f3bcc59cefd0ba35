"""Checkers for the code exercises, one module per chapter (``arlib.exercises.ch01`` ...).

A checker takes the reader's answer, compares it with the truth computed by ``arlib``, and
raises ``ExerciseError`` with a message that says what is wrong (not just "False"); it
prints a short confirmation when the answer is right.
"""
from __future__ import annotations

import numpy as np
import torch

from arlib.testing import AutoregressiveViolation, assert_autoregressive

__all__ = ["ExerciseError", "passed", "judge_leaks"]


class ExerciseError(AssertionError):
    """An exercise answer is wrong; the message says how."""


def passed(what: str) -> str:
    """The message a checker prints on success."""
    msg = f"Correct: {what}"
    print(msg)
    return msg


def judge_leaks(zoo: dict, leaks) -> str:
    """The bug zoos of chapters 9 and 11: ``zoo`` maps a name to ``(model, leaks_truly)``; the reader's
    ``leaks(model) -> bool`` must say, for every specimen, whether a conditional sees its own pixel or
    a later one.  Raises ``ExerciseError`` naming every misjudged specimen (and, for a leak, the pair)."""
    wrong = []
    for name, (model, truth) in zoo.items():
        try:
            got = leaks(model)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"leaks({name!r}) raised {type(err).__name__}: {err}") from err
        if not isinstance(got, bool | np.bool_) and not (isinstance(got, torch.Tensor) and got.numel() == 1):
            raise ExerciseError(f"leaks should return True or False, got {got!r} for {name!r}")
        if bool(got) != truth:
            if truth:
                try:
                    assert_autoregressive(model, model.event_shape)
                    why = ""
                except AutoregressiveViolation as err:
                    why = " (" + str(err).split(";")[0].split(": ", 1)[1] + ")"
                wrong.append(f"{name!r} leaks{why}, but your leaks() says it does not")
            else:
                wrong.append(f"{name!r} is autoregressive (every conditional sees only earlier pixels, "
                             "perhaps fewer of them), but your leaks() says it leaks")
    if wrong:
        raise ExerciseError("; ".join(wrong) + ". Let assert_autoregressive decide: catch AutoregressiveViolation.")
    return passed(f"your leaks() judges all {len(zoo)} specimens right: "
                  + ", ".join(f"{n} {'leaks' if t else 'ok'}" for n, (_, t) in zoo.items()))
