"""Checkers for the exercises of chapter 10 (the blind spot)."""
from __future__ import annotations

import numpy as np

from arlib.exercises import ExerciseError, passed
from arlib.receptive import blind_spot, masked_stack, receptive_field, stack_field

__all__ = ["check_blind_spot_count", "check_field_by_dilation", "check_reach_right", "check_no_blind_spot_columns",
           "field_by_dilation_reference"]

_H = _W = 28
_PIXEL = (20, 12)  # far enough from every edge for up to 8 layers of 3x3


def _measured_blind(n_layers: int, kernel_size: int = 3, pixel=_PIXEL, shape=(_H, _W)) -> int:

    return int(blind_spot(stack_field(n_layers, kernel_size, shape, pixel), pixel).sum())


def check_blind_spot_count(fn) -> str:
    """Exercise 1: ``fn(L)`` = the number of blind-spot pixels of L option-1 layers of 3x3, for a pixel far
    from the edges."""
    for L in range(1, 9):
        want = _measured_blind(L)
        try:
            got = int(fn(L))
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"fn({L}) raised {type(err).__name__}: {err}") from err
        if got != want:
            raise ExerciseError(f"fn({L}) = {got}, but {L} layer(s) hide {want} pixel(s) (measured with "
                                f"arlib.receptive.blind_spot at pixel {_PIXEL}). Count, row by row above x_i, the "
                                "pixels right of the diagonal that the field's box still covers")
    return passed("your formula matches the measured blind spot for 1 to 8 layers")


def field_by_dilation_reference(n_layers: int, k: int, shape, pixel) -> np.ndarray:
    """Reference solution of exercise 2: option 1 (A, then B), k x k, by repeated dilation."""
    H, W = shape
    p = k // 2
    current = {tuple(pixel)}
    for layer in reversed(range(n_layers)):
        offsets = [(dr, dc) for dr in range(-p, 1) for dc in range(-p, p + 1)
                   if dr < 0 or dc < 0 or (dc == 0 and layer > 0)]
        current = {(r + dr, c + dc) for r, c in current for dr, dc in offsets if 0 <= r + dr < H and 0 <= c + dc < W}
    field = np.zeros(shape, dtype=bool)
    for r, c in current:
        field[r, c] = True
    return field


def check_field_by_dilation(fn) -> str:
    """Exercise 2: ``fn(n_layers, k, shape, pixel)`` -> bool array (H, W), the receptive field of an
    option-1 stack (type A, then type B; all k x k), computed without gradients."""

    cases = [(1, 3, (8, 8), (4, 4)), (2, 3, (8, 8), (4, 4)), (4, 3, (10, 12), (9, 0)), (3, 5, (12, 12), (11, 11)),
             (5, 3, (28, 28), (14, 14)), (2, 7, (9, 9), (0, 5))]
    for L, k, shape, pixel in cases:
        want = receptive_field(masked_stack(L, k), shape, pixel).numpy()
        try:
            got = np.asarray(fn(L, k, shape, pixel)).astype(bool)
        except Exception as err:  # noqa: BLE001
            raise ExerciseError(f"fn({L}, {k}, {shape}, {pixel}) raised {type(err).__name__}: {err}") from err
        if got.shape != want.shape:
            raise ExerciseError(f"fn({L}, {k}, {shape}, {pixel}) has shape {got.shape}, expected {want.shape}")
        if (got != want).any():
            extra = np.argwhere(got & ~want)
            missing = np.argwhere(want & ~got)
            what = []
            if len(extra):
                what.append(f"{len(extra)} pixel(s) the gradients say are NOT in the field, e.g. {tuple(int(v) for v in extra[0])}")
            if len(missing):
                what.append(f"{len(missing)} pixel(s) missing from your field, e.g. {tuple(int(v) for v in missing[0])}")
            raise ExerciseError(f"fn({L}, {k}, {shape}, {pixel}): " + "; ".join(what) +
                                ". Remember: the first layer is type A (no centre), the others type B, and "
                                "positions outside the image are padding (a path stops there)")
    return passed("your dilation equals the gradient-measured field in 6 settings")


def check_reach_right(fn) -> str:
    """Exercise 3: ``fn(d, k)`` = how many columns to the right of x_i the field of a deep option-1 stack
    of k x k layers reaches in the row d rows above x_i (enough layers, far from the edges)."""

    for k in (3, 5, 7):
        p = k // 2
        H, W = 40, 120
        r, c = 39, 40
        f = stack_field(12, k, (H, W), (r, c))
        for d in (1, 2, 3, 4):
            row = f[r - d]
            want = int(row.nonzero().flatten().max()) - c
            try:
                got = int(fn(d, k))
            except Exception as err:  # noqa: BLE001
                raise ExerciseError(f"fn({d}, {k}) raised {type(err).__name__}: {err}") from err
            if got != want:
                raise ExerciseError(f"fn({d}, {k}) = {got}, but the field of 12 layers of {k}x{k} reaches {want} "
                                    f"columns right of x_i, {d} row(s) up. A layer that moves the path up a row can "
                                    f"move it at most {p} column(s) to the right; one that stays in the row must "
                                    "move left (or stay)")
    return passed("the field reaches d * (k // 2) columns to the right, d rows up: the blind spot is everything "
                  "further right")


def check_no_blind_spot_columns(cols, n_layers: int = 3, row: int = 14) -> str:
    """Exercise 4: the columns of row ``row`` (28 x 28 image) whose pixel has an empty blind spot under
    ``n_layers`` option-1 layers of 3x3."""

    want = [c for c in range(_W) if not blind_spot(stack_field(n_layers, 3, (_H, _W), (row, c)), (row, c)).any()]
    got = sorted(int(c) for c in cols)
    if got != want:
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        msg = []
        if extra:
            msg.append(f"columns {extra} do have a blind spot")
        if missing:
            msg.append(f"columns {missing} have none")
        raise ExerciseError("; ".join(msg) + f" (row {row}, {n_layers} layers). The blind spot lies to the upper "
                            "right; where can the image's edge cut it off?")
    return passed(f"only columns {want} of row {row} have no blind spot: the right edge cuts it off there")
