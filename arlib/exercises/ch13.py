"""Checkers for the exercises of chapter 13 (compression)."""
from __future__ import annotations

import math
from fractions import Fraction

import torch

from arlib.compress import decode_stream, encode_stream
from arlib.exercises import ExerciseError, passed
from arlib.models import FVSBN

__all__ = ["check_interval", "check_wrong_order", "check_first_error", "check_files_needed", "first_error"]


def check_interval(low, high, code: str) -> str:
    """Exercise 1: the interval of the image (1, 0, 1) under p(x1=1) = 1/4, p(x2=1 | x1=1) = 1/2,
    p(x3=1 | x1=1, x2=0) = 3/4 (0 takes the lower part), and the shortest binary code inside it."""
    want_low, want_high = Fraction(25, 32), Fraction(7, 8)
    lo, hi = Fraction(low).limit_denominator(1 << 20), Fraction(high).limit_denominator(1 << 20)
    if (lo, hi) != (want_low, want_high):
        hint = ""
        if (lo, hi) == (Fraction(3, 32), Fraction(3, 16)) or lo < Fraction(1, 2):
            hint = " With 0 in the lower part, x1 = 1 takes the upper quarter [3/4, 1) first."
        elif hi - lo == want_high - want_low:
            hint = " The width 3/32 is right; check where each chosen part starts."
        raise ExerciseError(f"the interval is [{want_low}, {want_high}) = [{float(want_low)}, {float(want_high)}), "
                            f"not [{lo}, {hi}).{hint}")
    if not isinstance(code, str) or set(code) - {"0", "1"}:
        raise ExerciseError(f"code should be a string of 0s and 1s, got {code!r}")
    k = len(code)
    m = int(code, 2) if code else 0
    cell = (Fraction(m, 1 << k), Fraction(m + 1, 1 << k))
    if not (want_low <= cell[0] and cell[1] <= want_high):
        raise ExerciseError(f"the code {code!r} names the cell [{cell[0]}, {cell[1]}), which is not inside "
                            f"[{want_low}, {want_high}): the decoder could not tell it from a neighbour")
    if k > 4:
        raise ExerciseError(f"{code!r} works but is {k} bits; a 4-bit code fits (try the cells of width 1/16)")
    return passed(f"[25/32, 7/8) has width 3/32, -log2 = {-math.log2(3 / 32):.2f} bits; the 4 bits 1101 name "
                  "[13/16, 14/16) inside it")


def check_wrong_order(same_size: bool, first_step: int, row: int, col: int) -> str:
    """Exercise 2: raster-order conditionals coded in column order (down the columns)."""
    if same_size is not True:
        raise ExerciseError("the size is the same: -log2 p(x) = sum_i -log2 p(x_i | x_<i) whatever order the "
                            "factors are coded in; the coder only adds them up")
    if (first_step, row, col) != (1, 1, 0):
        raise ExerciseError(f"in column order the steps are (0,0), (1,0), (2,0), ...; the conditional of pixel (1,0) "
                            f"in raster order needs the whole row 0, but only (0,0) is decoded by then: step 1, "
                            f"pixel (1, 0); got step {first_step}, pixel ({row}, {col})")
    return passed("same size, but the decoder is stuck at step 1: it needs x_(0,1..27) to compute p(x_(1,0) | x_<)")


@torch.no_grad()
def first_error(encoder_model, decoder_model, x) -> int | None:
    """The reference answer of exercise 3: the first step (in the encoder's order) whose decoded value is wrong."""

    x = torch.as_tensor(x).reshape(1, *encoder_model.event_shape)
    words = encode_stream(encoder_model, x)
    y = decode_stream(decoder_model, words, 1, on_invalid="stop").reshape(-1)
    wrong = (y != x.reshape(-1))[encoder_model.order].nonzero()
    return int(wrong[0]) if len(wrong) else None


def check_first_error(fn) -> str:
    """Exercise 3: ``fn(encoder_model, decoder_model, x)`` returns the first step (in the model's order) at which
    the raw decoder (no header; ``on_invalid="stop"``, so -1 where it could not decode) gives a wrong value, or None
    when every value is right."""

    g = torch.Generator().manual_seed(7)
    enc = FVSBN(36)
    with torch.no_grad():
        for p in enc.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    enc.eval()
    x = (torch.rand(1, 36, generator=g) < 0.4).float()
    cases = [("the same model", enc)]
    for j, delta in ((20, 4.0), (3, -6.0)):
        dec = FVSBN(36)
        dec.load_state_dict(enc.state_dict())
        with torch.no_grad():
            dec.b[j] += delta
        cases.append((f"b[{j}] changed by {delta:+}", dec.eval()))
    for what, dec in cases:
        want = first_error(enc, dec, x)
        got = fn(enc, dec, x)
        if got != want:
            raise ExerciseError(f"with {what} the first wrong step is {want}, your function says {got}. Count steps "
                                "in the encoder's order (model.order), from 0; return None when nothing is wrong")
    return passed("the decoder is exact up to the first step where its probabilities differ, and may go wrong from "
                  "there on")


def check_files_needed(n_images: int, header_bytes: int, bits_per_image: float) -> str:
    """Exercise 4: how many images a file needs so that its header and the coder's final flush (at most 64 bits)
    cost under 0.1 % of the images' bits."""
    fixed = 8 * header_bytes + 64
    want = math.floor(fixed / (0.001 * bits_per_image)) + 1
    if n_images != want:
        raise ExerciseError(f"(8 x {header_bytes} + 64) bits / (0.001 x {bits_per_image:.1f} bits per image) = "
                            f"{fixed / (0.001 * bits_per_image):.1f}, so at least {want} images; got {n_images}")
    return passed(f"{want} images: a per-file cost is paid once; per-image costs (the coder's rounding) are what "
                  "large files see")
