"""Checkers for the exercises of chapter 9 (PixelCNN)."""
from __future__ import annotations

import numpy as np
import torch

from arlib.exercises import ExerciseError, judge_leaks, passed
from arlib.masks import conv_mask
from arlib.models import PixelCNN
from arlib.receptive import stack_field
from arlib.testing import AutoregressiveViolation, assert_autoregressive

__all__ = ["check_first_layer_counts", "check_colour_mask", "check_all_a_row", "check_output_layer",
           "colour_mask_reference", "bug_zoo", "check_bug_zoo"]


def check_first_layer_counts(params: int, always_zero: int, in_channels: int = 1, channels: int = 32,
                             kernel_size: int = 7) -> str:
    """Exercise 1: the parameters of the first layer (k x k, type A, C -> h, with biases) and how many
    of its weights the mask keeps at zero."""

    k, C, h = kernel_size, in_channels, channels
    want_params = h * C * k * k + h
    mask = conv_mask(k, "A", C, h)
    want_zero = int((mask == 0).sum())
    if params != want_params:
        if params == h * C * k * k:
            raise ExerciseError(f"{params} counts the weights only; each of the {h} filters also has a bias")
        raise ExerciseError(f"the layer has {want_params} parameters (h C k^2 + h with h={h}, C={C}, k={k}), "
                            f"not {params}")
    if always_zero != want_zero:
        kept = k * (k // 2) + k // 2
        hint = (f"A type-A {k}x{k} mask keeps {k // 2} full rows of {k} plus {k // 2} taps left of the centre "
                f"= {kept} taps per filter, so {k * k - kept} of its {k * k} taps are zero")
        if always_zero == want_zero // (h * C):
            raise ExerciseError(f"{always_zero} is per filter, and the layer has {h * C} filters. " + hint)
        raise ExerciseError(f"{always_zero} is not right. {hint}, times {h * C} filters")
    return passed(f"{want_params} parameters, of which {want_zero} weights are always zero "
                  f"({100 * want_zero / (h * C * k * k):.0f} % of the kernel)")


def colour_mask_reference(k: int, mask_type: str, in_channels: int, out_channels: int) -> np.ndarray:
    """The reference solution of exercise 2: a colour (3-group) mask written with loops."""
    m = np.zeros((out_channels, in_channels, k, k))
    c = k // 2
    for o in range(out_channels):
        go = o // (out_channels // 3)
        for i in range(in_channels):
            gi = i // (in_channels // 3)
            m[o, i, :c, :] = 1
            m[o, i, c, :c] = 1
            m[o, i, c, c] = (gi < go) if mask_type == "A" else (gi <= go)
    return m


def check_colour_mask(fn) -> str:
    """Exercise 2: ``fn(k, mask_type, in_channels, out_channels)`` must build the R -> G -> B mask
    (3 colour groups of contiguous channels), shape (out, in, k, k), like ``arlib.masks.conv_mask``."""

    cases = [(3, "A", 3, 6), (3, "B", 6, 6), (5, "A", 3, 3), (1, "B", 6, 12), (5, "B", 9, 3), (7, "A", 3, 12)]
    for k, t, cin, cout in cases:
        want = conv_mask(k, t, cin, cout, colour_groups=3).numpy()
        try:
            got = np.asarray(fn(k, t, cin, cout), dtype=np.float64)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"fn({k}, {t!r}, {cin}, {cout}) raised {type(err).__name__}: {err}") from err
        if got.shape != want.shape:
            raise ExerciseError(f"fn({k}, {t!r}, {cin}, {cout}) has shape {got.shape}; expected "
                                f"(out_channels, in_channels, k, k) = {want.shape}")
        bad = np.argwhere(got != want)
        if bad.size:
            o, i, r, s = (int(v) for v in bad[0])
            where = "the centre" if (r, s) == (k // 2, k // 2) else f"tap (row {r}, col {s})"
            g = lambda ch, n: "RGB"[ch // (n // 3)]  # noqa: E731
            raise ExerciseError(
                f"fn({k}, {t!r}, {cin}, {cout})[{o}, {i}, {r}, {s}] = {got[o, i, r, s]:g}, expected "
                f"{want[o, i, r, s]:g}: output channel {o} ({g(o, cout)}) from input channel {i} ({g(i, cin)}) "
                f"at {where} ({len(bad)} wrong entries in all)")
    return passed("your colour masks equal arlib.masks.conv_mask(..., colour_groups=3) in 6 settings")


def check_all_a_row(n_layers: int, cols_seen: list[int]) -> str:
    """Exercise 3: with ``n_layers`` 3x3 layers all of type A, the offsets (column - c, negative = left)
    of the pixels in x_i's own row that its conditional can depend on."""

    H = W = 28
    r, c = 14, 14
    f = stack_field(n_layers, 3, (H, W), (r, c), mask="A")
    want = sorted(int(s) - c for s in f[r].nonzero().flatten())
    got = sorted(int(v) for v in cols_seen)
    if got != want:
        ab = stack_field(n_layers, 3, (H, W), (r, c), mask="AB")
        ab_row = sorted(int(s) - c for s in ab[r].nonzero().flatten())
        raise ExerciseError(
            f"with {n_layers} type-A layers the conditional of x_i sees the offsets {want} of its own row, "
            f"not {got}. Each layer either moves one pixel left in the row or goes up a row, and no layer "
            f"may stay put (the centre is masked). Compare option 1 (A then B): {ab_row}")
    return passed(f"{n_layers} type-A layers see only {want} in x_i's row; A then B sees "
                  f"{sorted(int(s) - c for s in stack_field(n_layers, 3, (H, W), (r, c))[r].nonzero().flatten())}")


def check_output_layer(logits_per_image: int, head_params: int, head_channels: int = 64, height: int = 32,
                       width: int = 32) -> str:
    """Exercise 4: an 8-bit RGB PixelCNN (256-way softmax per channel) on ``height x width`` images:
    the logits it outputs per image, and the parameters of its last 1 x 1 layer (head_channels -> logits)."""
    C, K = 3, 256
    want_logits = C * K * height * width
    want_params = head_channels * C * K + C * K
    if logits_per_image != want_logits:
        if logits_per_image == C * height * width:
            raise ExerciseError("that is one number per channel; a 256-way softmax needs 256 logits per channel")
        raise ExerciseError(f"{logits_per_image} logits per image: there are {height}x{width} pixels x {C} channels "
                            f"x {K} values = {want_logits}")
    if head_params != want_params:
        if head_params == head_channels * C * K:
            raise ExerciseError("you forgot the biases of the last layer (one per output channel)")
        raise ExerciseError(f"the last 1x1 layer maps {head_channels} features to {C} x {K} = {C * K} logits: "
                            f"{head_channels} x {C * K} weights + {C * K} biases, not {head_params}")
    return passed(f"{want_logits:,} logits per image; {want_params:,} parameters in the last layer")


# ---- exercise 5: a bug zoo ------------------------------------------------------------------------------------

def _small(**kw):
    torch.manual_seed(0)
    return PixelCNN(**{"channels": 8, "n_layers": 3, "kernel_size": 3, "first_kernel_size": 5,
                       "height": 7, "width": 7, **kw})


def bug_zoo() -> dict:
    """Small PixelCNNs (7 x 7 images), some with a bug seen in public implementations, some harmless.

    Returns ``{name: (model, leaks)}``: ``leaks`` says whether some conditional sees its own pixel or a later one.
    """
    zoo = {"option 1 (A, then B)": (_small(), False)}
    m = _small()
    m.layers[0].mask.copy_(conv_mask(5, "B", 1, 8))
    zoo["type B in the first layer"] = (m, True)
    m = _small()
    for layer in m.layers[1:]:
        layer.mask.copy_(conv_mask(3, "A", 8, 8))
    zoo["type A in every layer"] = (m, False)        # weaker (chapter 9, exercise 3), but still autoregressive
    m = _small()
    m.layers[0].mask.copy_(torch.flip(conv_mask(5, "A", 1, 8), dims=(-1,)))  # sees the pixels to the right
    zoo["first mask flipped left-right"] = (m, True)
    return zoo


def check_bug_zoo(buggy, leaks) -> str:
    """Exercise 5: ``buggy`` is the small PixelCNN of the exercise with a type-B first layer, and
    ``leaks(model) -> bool`` says whether a model's conditionals see their own pixel or a later one."""
    if not isinstance(buggy, PixelCNN):
        raise ExerciseError(f"buggy should be an arlib.models.PixelCNN, got {type(buggy).__name__}")
    k1 = buggy.layers[0].mask.shape[-1]
    first = buggy.layers[0].mask
    centre = first[..., k1 // 2, k1 // 2]
    if not torch.equal(first, conv_mask(k1, "B", *first.shape[1::-1]).to(first.dtype)):
        if bool((centre == 0).all()):
            raise ExerciseError("the first layer of buggy still has a type-A mask (its centre tap is 0); "
                                "copy conv_mask(k, 'B', 1, channels) into buggy.layers[0].mask")
        raise ExerciseError("the first layer's mask of buggy is not the type-B mask conv_mask(k, 'B', 1, channels)")
    try:
        assert_autoregressive(buggy, buggy.event_shape)
    except AutoregressiveViolation:
        pass
    else:  # pragma: no cover - a type-B first layer always leaks
        raise ExerciseError("buggy passes the autoregressive test: is its first layer's mask really used?")
    zoo = {"your buggy model (type B first)": (buggy, True), **bug_zoo()}
    return judge_leaks(zoo, leaks)
