"""Which earlier pixels the state of an LSTM at a pixel has read: three PixelRNN layers (chapter 7).

The PixelRNN paper (van den Oord et al., 2016) runs its LSTMs over the image in three ways; Table 4 of
the lecture has a row for each of the two-dimensional ones. For a pixel ``(i, j)`` of an ``H x W`` image,
each function returns a boolean ``(H, W)`` map of the pixels that the state used to predict ``x_ij``
depends on, for **one layer** of the recurrence, computed by following the recurrence itself
(a breadth-first walk over the states it reads), not from a closed form:

* ``raster_lstm_field``: the book's PixelRNN, one LSTM over the 784 pixels in raster order with the
  inputs shifted by one. Its state at step t has read x_1 .. x_{t-1}: every earlier pixel.
* ``row_lstm_field``: the Row LSTM. Rows are processed top to bottom, a whole row at once; the state at
  ``(i, j)`` reads the states of the row above at ``(i-1, j-r) .. (i-1, j+r)`` (a 1-D convolution of width
  ``k = 2r + 1``, the paper's k = 3) and, through the masked input-to-state convolution of the same width,
  the pixels ``(i, j-r) .. (i, j-1)`` to its left. The field is a triangle that widens by r columns per
  row upwards: it misses pixels above and to the right, and most of the row to the left.
* ``diagonal_bilstm_field``: the Diagonal BiLSTM. One LSTM scans the diagonals from the left: its state at
  ``(i, j)`` reads the states at ``(i-1, j)`` and ``(i, j-1)`` and the pixel ``(i, j-1)``; the other scans
  from the right (states at ``(i-1, j)`` and ``(i, j+1)``, pixel ``(i, j)``), and its map is shifted down
  one row before the two are added, so that at ``(i, j)`` it contributes its state at ``(i-1, j)``. Together
  they cover every earlier pixel.

Every map is autoregressive (only pixels before ``(i, j)`` in raster order); the tests check that and the
triangle's shape.
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable

import torch

__all__ = ["raster_lstm_field", "row_lstm_field", "diagonal_bilstm_field", "lstm_fields"]

State = tuple[str, int, int]  # (which LSTM, row, column)


def _walk(start: Iterable[State], reads: Callable[[State], tuple[list[State], list[tuple[int, int]]]],
          H: int, W: int) -> torch.Tensor:
    """Follow ``reads(state) -> (states it reads, pixels it reads)`` from ``start``; the pixels reached."""
    field = torch.zeros(H, W, dtype=torch.bool)
    seen, todo = set(start), deque(start)
    while todo:
        states, pixels = reads(todo.popleft())
        for r, c in pixels:
            if 0 <= r < H and 0 <= c < W:
                field[r, c] = True
        for s in states:
            if 0 <= s[1] < H and 0 <= s[2] < W and s not in seen:
                seen.add(s)
                todo.append(s)
    return field


def _check(H: int, W: int, i: int, j: int) -> None:
    if not (0 <= i < H and 0 <= j < W):
        raise ValueError(f"pixel ({i}, {j}) is outside a {H}x{W} image")


def raster_lstm_field(H: int, W: int, i: int, j: int) -> torch.Tensor:
    """The 1-D LSTM over the raster sequence (inputs shifted by one): step t reads pixel t-1 and state t-1."""
    _check(H, W, i, j)

    def reads(s: State):
        t = s[1] * W + s[2]
        if t == 0:
            return [], []                                   # step 1 reads the start value, no pixel
        return [("r", *divmod(t - 1, W))], [divmod(t - 1, W)]

    return _walk([("r", i, j)], reads, H, W)


def row_lstm_field(H: int, W: int, i: int, j: int, k: int = 3) -> torch.Tensor:
    """The Row LSTM with state-to-state and input-to-state convolutions of width ``k`` (odd)."""
    _check(H, W, i, j)
    if k < 1 or k % 2 == 0:
        raise ValueError(f"the kernel width k must be odd and positive, got {k}")
    r = k // 2

    def reads(s: State):
        _, a, b = s
        return [("row", a - 1, b + d) for d in range(-r, r + 1)], [(a, b - d) for d in range(1, r + 1)]

    return _walk([("row", i, j)], reads, H, W)


def diagonal_bilstm_field(H: int, W: int, i: int, j: int) -> torch.Tensor:
    """The Diagonal BiLSTM: a left-to-right and a right-to-left diagonal LSTM, the latter shifted down a row."""
    _check(H, W, i, j)

    def reads(s: State):
        name, a, b = s
        if name == "left":                                  # from the left: up, left; the pixel to the left
            return [("left", a - 1, b), ("left", a, b - 1)], [(a, b - 1)]
        return [("right", a - 1, b), ("right", a, b + 1)], [(a, b)]   # from the right: up, right; its own pixel

    return _walk([("left", i, j), ("right", i - 1, j)], reads, H, W)


def lstm_fields(H: int, W: int, i: int, j: int) -> dict[str, torch.Tensor]:
    """The three fields at pixel ``(i, j)``, named as in the chapter's figure."""
    return {
        "1-D LSTM, raster (ours)": raster_lstm_field(H, W, i, j),
        "Row LSTM (k = 3)": row_lstm_field(H, W, i, j),
        "Diagonal BiLSTM": diagonal_bilstm_field(H, W, i, j),
    }
