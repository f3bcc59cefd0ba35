"""Checkers for the exercises of chapter 11 (Gated PixelCNN)."""
from __future__ import annotations

import torch

from arlib.exercises import ExerciseError, judge_leaks, passed
from arlib.lessons import counting
from arlib.masks import horizontal_mask, vertical_mask
from arlib.models import GatedPixelCNN
from arlib.receptive import gated_stack_field, receptive_field
from arlib.testing import AutoregressiveViolation, assert_autoregressive

__all__ = ["check_layer_params", "check_gated_field", "gated_field_reference", "check_reach_rows",
           "check_leak_columns", "check_marginal", "ZOO_CONFIG", "bug_zoo", "check_bug_zoo"]


def check_layer_params(fn) -> str:
    """``fn(p, k)``: parameters of one gated layer after the first (p channels per stack, k x k kernels,
    p skip channels), as ``arlib.layers.GatedBlock`` stores them (full kernels, biases included)."""
    for p, k in [(16, 3), (32, 3), (8, 5), (1, 3), (64, 7)]:
        truth = counting.gated_pixelcnn(p, 2, k) - counting.gated_pixelcnn(p, 1, k)
        got = fn(p, k)
        if got != truth:
            parts = {"vertical k x k (p -> 2p)": 2 * p * p * k * k + 2 * p, "horizontal 1 x k (p -> 2p)": 2 * p * p * k + 2 * p,
                     "link 1 x 1 (2p -> 2p)": 4 * p * p + 2 * p, "residual 1 x 1 (p -> p)": p * p + p,
                     "skip 1 x 1 (p -> p)": p * p + p}
            missing = [name for name, v in parts.items() if got == truth - v]
            hint = f" You are missing exactly the {missing[0]}." if missing else ""
            if got == truth - 2 * p * p * k * k + p * p * k * k:
                hint = " Each stack convolution has 2p outputs: the gate needs W_f and W_g."
            raise ExerciseError(f"fn(p={p}, k={k}) = {got}, but a GatedBlock with p={p}, k={k} stores {truth} parameters.{hint} "
                                f"The parts: {parts}")
    return passed("one gated layer = vertical + horizontal + link + residual + skip")


def gated_field_reference(n_layers: int, k: int, shape, pixel, k0: int | None = None) -> torch.Tensor:
    """A reference solution: the top-down dilation of the two stacks (the same as ``gated_stack_field``)."""
    H, W = shape
    k0 = k if k0 is None else k0
    hpos, vpos = {tuple(pixel)}, set()
    for layer in reversed(range(n_layers)):
        kk, first = (k0, True) if layer == 0 else (k, False)
        c = kk // 2
        top = -1 if first else 0
        oh = [(0, dc) for dc in range(-c, top + 1)]
        ov = [(dr, dc) for dr in range(-c, top + 1) for dc in range(-c, c + 1)]
        inside = lambda a, b: 0 <= a < H and 0 <= b < W  # noqa: E731
        hpos, vpos = ({(a + dr, b + dc) for a, b in hpos for dr, dc in oh if inside(a + dr, b + dc)},
                      {(a + dr, b + dc) for a, b in hpos | vpos for dr, dc in ov if inside(a + dr, b + dc)})
    field = torch.zeros(H, W, dtype=torch.bool)
    for a, b in hpos | vpos:
        field[a, b] = True
    return field


def check_gated_field(fn) -> str:
    """``fn(n_layers, k, shape, pixel, k0)``: the receptive field (bool ``(H, W)``) of one output pixel of
    ``n_layers`` gated layers (first layer k0 x k0, then k x k), computed by dilation."""
    cases = [(1, 3, (6, 6), (3, 3), 3), (2, 3, (8, 8), (5, 4), 5), (4, 3, (9, 11), (8, 2), 5),
             (3, 5, (10, 10), (6, 9), 5), (6, 3, (8, 8), (7, 7), 3), (3, 3, (7, 7), (0, 4), 3)]
    for L, k, shape, pixel, k0 in cases:
        truth = gated_stack_field(L, k, shape, pixel, k0)
        got = torch.as_tensor(fn(L, k, shape, pixel, k0)).bool()
        if got.shape != truth.shape:
            raise ExerciseError(f"the field must have shape {tuple(truth.shape)}, got {tuple(got.shape)}")
        if not torch.equal(got, truth):
            extra, miss = (got & ~truth).nonzero().tolist(), (truth & ~got).nonzero().tolist()
            what = (f"includes {extra[0]}, which no path reaches" if extra else f"misses {miss[0]}, which a path reaches")
            raise ExerciseError(f"for {L} layers, k={k}, k0={k0}, shape {shape}, pixel {pixel}: your field {what} "
                                f"({len(extra)} extra, {len(miss)} missing). Remember the link: horizontal positions "
                                "also need the vertical features at the same place, shifted by the vertical offsets.")
    return passed("your dilation agrees with arlib.receptive.gated_stack_field (and with gradients)")


def check_reach_rows(fn) -> str:
    """``fn(n_layers, k, k0)``: how many rows above a pixel its receptive field reaches (far from the edges)."""
    for L, k, k0 in [(1, 3, 3), (1, 3, 5), (2, 3, 5), (12, 3, 5), (4, 5, 7), (8, 3, 7)]:
        H = 60
        field = gated_stack_field(L, k, (H, 61), (H - 1, 30), k0)
        truth = (H - 1) - int(field.nonzero()[:, 0].min())
        got = fn(L, k, k0)
        if got != truth:
            hint = ""
            if got == L * (k // 2):
                hint = " The first layer's mask has k0 // 2 rows above the centre, not k // 2."
            elif got == k0 // 2 + (L - 1) * (k // 2) + 1:
                hint = " The later layers' vertical masks include the centre row: they add k // 2 rows, not k // 2 + 1."
            raise ExerciseError(f"fn(n_layers={L}, k={k}, k0={k0}) = {got}, but the field reaches {truth} rows up.{hint}")
    return passed("k0 // 2 + (L - 1)(k // 2) rows: 2 + 11 = 13 for the book's model")


def check_leak_columns(offsets) -> str:
    """The column offsets (relative to the pixel, in its own row) that the conditional of a pixel would see if
    the first vertical layer (5 x 5) kept its centre row and fed the horizontal stack unshifted (one layer)."""
    got = sorted(int(o) for o in offsets)

    torch.manual_seed(0)
    m = GatedPixelCNN(channels=4, n_layers=1, kernel_size=5, height=9, width=9).double()
    m.blocks[0].v_conv.first = False  # the centre row kept: no shift
    m.blocks[0].v_conv.mask[2] = 1.0

    field = receptive_field(m, (1, 9, 9), (4, 4))
    truth = sorted(int(c) - 4 for c in field[4].nonzero().flatten())
    if got != truth:
        raise ExerciseError(f"you gave {got}; the broken layer sees the columns {truth} of the pixel's own row "
                            "(through the vertical 5 x 5 window's centre row and the link), including offset 0 "
                            "(the pixel itself) and the two to its right (the future)")
    return passed(f"{truth}: the pixel itself and the two pixels after it leak in; the shift keeps them out")


def check_marginal(fn, model, x: torch.Tensor) -> str:
    """``fn(model, x)``: log p(x) = log sum_y p(y) p(x | y) per image for a class-conditional model."""
    with torch.no_grad():
        truth = model.log_prob(x)
        got = torch.as_tensor(fn(model, x), dtype=truth.dtype)
    if got.shape != truth.shape:
        raise ExerciseError(f"expected one log-probability per image, shape {tuple(truth.shape)}; got {tuple(got.shape)}")
    if not torch.allclose(got, truth, atol=1e-3, rtol=1e-5):
        lp = model.log_joint(x)
        hint = ""
        if torch.allclose(got, lp.max(1).values, atol=1e-3):
            hint = " You took the best class only: sum over all classes (logsumexp)."
        elif torch.allclose(got, (lp - model.log_prior.log_softmax(0)).mean(1), atol=1e-3):
            hint = " You averaged log p(x | y); the marginal averages the probabilities p(x | y), weighted by p(y)."
        raise ExerciseError(f"first image: you have {got[0].item():.3f} nats, the marginal is {truth[0].item():.3f}.{hint}")
    return passed("log p(x) = logsumexp_y [log p(y) + log p(x | y)]")


# ---- exercise 6: a bug zoo ------------------------------------------------------------------------------------

ZOO_CONFIG = dict(channels=4, n_layers=2, kernel_size=3, first_kernel_size=5, height=6, width=6)


def _small() -> GatedPixelCNN:
    torch.manual_seed(0)
    return GatedPixelCNN(**ZOO_CONFIG)


def bug_zoo() -> dict:
    """Small Gated PixelCNNs (6 x 6 images, ``ZOO_CONFIG``), some with a bug seen in public implementations,
    some harmless. Returns ``{name: (model, leaks)}``: ``leaks`` says whether some conditional sees its own
    pixel or a later one."""
    zoo = {"as built (with the shift)": (_small(), False)}
    m = _small()
    m.blocks[0].v_conv.first = False                       # the first vertical layer keeps the centre row
    m.blocks[0].v_conv.mask.copy_(vertical_mask(5, first=False))
    zoo["no shift: the first vertical layer keeps the centre row"] = (m, True)
    m = _small()
    m.blocks[0].h_conv.first = False                       # the first horizontal layer keeps the centre tap
    m.blocks[0].h_conv.mask.copy_(horizontal_mask(5, first=False))
    zoo["the first horizontal layer keeps the centre (type B)"] = (m, True)
    m = _small()
    for block in m.blocks[1:]:                             # later vertical layers without the centre row
        block.v_conv.first = True
        block.v_conv.mask.copy_(vertical_mask(3, first=True))
    zoo["every vertical layer drops the centre row"] = (m, False)    # sees less, but only the past
    m = _small()
    with torch.no_grad():
        for block in m.blocks:
            block.link.weight.zero_()                       # the link cut: the vertical stack is ignored
    zoo["the link cut (weights zero)"] = (m, False)
    return zoo


def check_bug_zoo(buggy, leaks) -> str:
    """Exercise 6: ``buggy`` is ``GatedPixelCNN(**ch11.ZOO_CONFIG)`` with the first vertical layer keeping the
    centre row (no shift), and ``leaks(model) -> bool`` says whether a model's conditionals see their own pixel
    or a later one."""
    if not isinstance(buggy, GatedPixelCNN):
        raise ExerciseError(f"buggy should be an arlib.models.GatedPixelCNN, got {type(buggy).__name__}")
    v = buggy.blocks[0].v_conv
    k0 = v.kernel_size[0]
    if not torch.equal(v.mask.cpu(), vertical_mask(k0, first=False).to(v.mask.dtype)):
        raise ExerciseError(f"the first block's vertical mask should keep the rows above and the centre row, "
                            f"vertical_mask({k0}, first=False); it is\n{v.mask.int().tolist()}")
    if v.first:
        raise ExerciseError("the mask keeps the centre row, but v_conv.first is still True, so the layer convolves "
                            "only the rows above (it crops its kernel to them): set buggy.blocks[0].v_conv.first = False")
    try:
        assert_autoregressive(buggy, buggy.event_shape)
    except AutoregressiveViolation:
        pass
    else:  # pragma: no cover - the missing shift always leaks
        raise ExerciseError("buggy passes the autoregressive test; is the link of its first block cut?")
    zoo = {"your buggy model (no shift)": (buggy, True), **bug_zoo()}
    return judge_leaks(zoo, leaks)
