"""Checkers for the exercises of chapter 2 (the chain rule and counting parameters).

Each checker compares your answer with ``arlib.lessons.counting`` and raises ``ExerciseError`` saying
what is off (which case, what you got, what was expected, and a likely cause).
"""
from __future__ import annotations

from typing import Callable

from arlib.exercises import ExerciseError, passed
from arlib.lessons import counting

__all__ = ["check_tabular_count", "check_markov_exact", "check_logistic_window", "check_nade_break_even"]

_CASES = [(1, 0, 2), (3, 1, 2), (5, 2, 2), (6, 2, 3), (4, 4, 2), (3, 5, 2), (10, 3, 4), (784, 2, 2), (784, 8, 2)]


def _as_int(name: str, value) -> int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExerciseError(f"{name} should be a whole number (a Python int), got {type(value).__name__} {value!r}")
    return value


def check_tabular_count(answer: int, n: int = 4, d: int = 3) -> str:
    """Exercise 1: the free parameters of a full table over n variables with d values each."""
    answer = _as_int("your count", answer)
    truth = counting.tabular(n, d)
    if answer == truth:
        return passed(f"a full table over {n} variables with {d} values has {truth} free parameters")
    if answer == d**n:
        raise ExerciseError(f"{answer} counts every probability of the table; they sum to one, so one of them "
                            "is not free")
    if answer == (d - 1) ** n or answer == 2**n - 1:
        raise ExerciseError(f"{answer} is not it: with d = {d} values each conditional has d - 1 = {d - 1} free "
                            f"numbers for each of the d**(i-1) values of x_<i")
    raise ExerciseError(f"{answer} is not the count; add up (d - 1) d**(i-1) over i = 1..{n} (the chain rule), "
                        f"factor by factor")


def check_markov_exact(fn: Callable[[int, int, int], int]) -> str:
    """Exercise 2: ``fn(n, k, d)`` counts a Markov-k model exactly (x_i has min(i - 1, k) parents)."""
    for n, k, d in _CASES:
        try:
            got = fn(n, k, d)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"fn({n}, {k}, {d}) raised {type(err).__name__}: {err}") from err
        got = _as_int(f"fn({n}, {k}, {d})", got)
        want = counting.markov(n, k, d, exact=True)
        if got != want:
            hint = ""
            if got == counting.markov(n, k, d):
                hint = (" That is the lecture's d**k (d-1) n, which gives x_1 ... x_k k parents too; "
                        "x_i has only min(i - 1, k) of them.")
            elif got == counting.markov(n, k, d, exact=True) + 1 or got == want - 1:
                hint = " You are off by one: check where the sum over i starts and ends."
            raise ExerciseError(f"for n = {n}, k = {k}, d = {d} you count {got}; the exact count is {want}.{hint}")
    return passed(f"your exact Markov-k counts agree with arlib.lessons.counting.markov(..., exact=True) in {len(_CASES)} cases")


def check_logistic_window(fn: Callable[[int, int], int]) -> str:
    """Exercise 3: ``fn(n, k)`` counts logistic regressions on the k previous pixels (bias + weights)."""
    for n, k, _ in _CASES:
        try:
            got = fn(n, k)
        except Exception as err:  # noqa: BLE001
            raise ExerciseError(f"fn({n}, {k}) raised {type(err).__name__}: {err}") from err
        got = _as_int(f"fn({n}, {k})", got)
        want = sum(1 + min(i - 1, k) for i in range(1, n + 1))
        if got != want:
            if got == n * (k + 1):
                hint = " That gives every pixel k weights; x_i has only min(i - 1, k) pixels before it."
            elif got == want - n:
                hint = " Did you forget the bias of each conditional?"
            elif k >= n - 1 and want == counting.fvsbn(n):
                hint = f" With k >= n - 1 the window holds every earlier pixel: FVSBN's n(n+1)/2 = {want}."
            else:
                hint = " Pixel i has a bias and min(i - 1, k) weights."
            raise ExerciseError(f"for n = {n}, k = {k} you count {got}; the model has {want} parameters.{hint}")
    return passed("your counts of windowed logistic regressions are right")


def check_nade_break_even(H: int, n: int = 784) -> str:
    """Exercise 4: the largest H for which NADE has fewer parameters than FVSBN at this n."""
    H = _as_int("H", H)
    truth = max(h for h in range(1, n) if counting.nade(n, h) < counting.fvsbn(n))
    if H == truth:
        return passed(f"H = {H}: NADE has {counting.nade(n, H):,} parameters, FVSBN {counting.fvsbn(n):,}, "
                      f"and NADE with H = {H + 1} has {counting.nade(n, H + 1):,}")
    if H < 1:
        raise ExerciseError("H is a number of hidden units: at least 1")
    side = "fewer" if counting.nade(n, H) < counting.fvsbn(n) else "more"
    raise ExerciseError(f"with H = {H} NADE has {counting.nade(n, H):,} parameters, {side} than FVSBN's "
                        f"{counting.fvsbn(n):,}; " + ("a larger H still has fewer: solve 2nH + H + n < n(n+1)/2 "
                                                       "for H" if side == "fewer" else "go lower"))
