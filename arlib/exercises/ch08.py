"""Checkers for the exercises of chapter 8 (convolutions)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from arlib.exercises import ExerciseError, passed
from arlib.testing import AutoregressiveViolation, assert_autoregressive

__all__ = ["check_output_size", "check_conv2d", "check_horizontal_edge_filter", "check_conv_layer_count",
           "check_causal_mask"]


def check_output_size(size) -> str:
    """``size(n, k, padding, stride)``: the side of the output of a k x k filter on an n x n input."""
    cases = [(28, 3, 0, 1), (28, 3, 1, 1), (28, 5, 2, 2), (28, 4, 0, 2), (7, 7, 0, 1), (32, 3, 1, 2), (10, 3, 0, 3)]
    for n, k, p, s in cases:
        truth = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s).shape[-1]
        got = size(n, k, p, s)
        if got != truth:
            hint = ""
            if got == n - k + 1:
                hint = " Your answer ignores padding/stride."
            elif got == (n + 2 * p - k) / s + 1:
                hint = " Filter positions come in whole steps: round (n + 2p - k) / s down."
            elif got == (n + p - k) // s + 1:
                hint = " Padding is added on both sides: 2p."
            raise ExerciseError(f"size(n={n}, k={k}, padding={p}, stride={s}) = {got}, but F.conv2d gives {truth}.{hint}")
    return passed("floor((n + 2 padding - k) / stride) + 1")


def check_conv2d(conv) -> str:
    """``conv(x, w, padding, stride)``: x ``(C_in, H, W)``, w ``(C_out, C_in, k, k)`` NumPy arrays ->
    ``(C_out, H_out, W_out)``, compared with ``torch.nn.functional.conv2d``."""
    rng = np.random.default_rng(0)
    for c_in, c_out, k, n, p, s in [(1, 1, 3, 6, 0, 1), (2, 3, 3, 7, 1, 1), (1, 2, 2, 8, 0, 2), (3, 1, 5, 9, 2, 2)]:
        x, w = rng.normal(size=(c_in, n, n)), rng.normal(size=(c_out, c_in, k, k))
        truth = F.conv2d(torch.tensor(x)[None], torch.tensor(w), padding=p, stride=s)[0].numpy()
        got = np.asarray(conv(x, w, p, s), dtype=np.float64)
        where = f"(C_in={c_in}, C_out={c_out}, k={k}, n={n}, padding={p}, stride={s})"
        if got.shape != truth.shape:
            raise ExerciseError(f"output shape {got.shape} but expected {truth.shape} for {where}")
        if not np.allclose(got, truth, atol=1e-8):
            flipped = F.conv2d(torch.tensor(x)[None], torch.tensor(w[:, :, ::-1, ::-1].copy()), padding=p, stride=s)[0].numpy()
            hint = " You flipped the filter: deep-learning convolution does not flip it." if np.allclose(got, flipped) else ""
            i = np.unravel_index(np.argmax(np.abs(got - truth)), got.shape)
            raise ExerciseError(f"values differ from F.conv2d for {where}: at {tuple(int(v) for v in i)} you have "
                                f"{got[i]:.4f}, F.conv2d {truth[i]:.4f}.{hint}")
    return passed("your loops agree with F.conv2d (channels, padding and stride)")


def check_horizontal_edge_filter(kernel) -> str:
    """A 3x3 filter that responds to horizontal edges (ink above / no ink below, or the reverse)
    and not to vertical ones, and gives 0 on flat regions."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.shape != (3, 3):
        raise ExerciseError(f"the filter must be 3x3, got shape {k.shape}")
    flat = np.ones((7, 7))
    horiz = np.zeros((7, 7))
    horiz[:3] = 1  # ink in the top rows: a horizontal edge
    vert = horiz.T.copy()  # a vertical edge

    def resp(img):
        return F.conv2d(torch.tensor(img)[None, None], torch.tensor(k)[None, None])[0, 0].numpy()

    if np.abs(resp(flat)).max() > 1e-9:
        raise ExerciseError(f"on a flat region the output should be 0, got {resp(flat)[0, 0]:.3g}: make the weights sum to 0")
    h, v = np.abs(resp(horiz)).max(), np.abs(resp(vert)).max()
    if h < 1e-9:
        raise ExerciseError("the filter gives 0 on a horizontal edge: weight the rows above and below differently")
    if v > 1e-9:
        raise ExerciseError(f"the filter also responds to a vertical edge (max |output| = {v:.3g}): make every row of "
                            "the filter constant, e.g. [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]")
    return passed("responds to horizontal edges only")


def check_conv_layer_count(c_in: int, c_out: int, k: int, params: int, outputs_per_image: int, n: int = 28) -> str:
    """Parameters of ``nn.Conv2d(c_in, c_out, k, padding=(k-1)//2)`` and the numbers it outputs for an n x n image."""
    layer = torch.nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2)
    truth = sum(p.numel() for p in layer.parameters())
    if params != truth:
        hint = " Don't forget one bias per output channel." if params == truth - c_out else ""
        hint += " Each filter spans all input channels: C_out x C_in x k x k weights." if params == c_out * k * k + c_out else ""
        raise ExerciseError(f"nn.Conv2d({c_in}, {c_out}, {k}) has {truth} parameters, not {params}.{hint}")
    out = layer(torch.zeros(1, c_in, n, n)).numel()
    if outputs_per_image != out:
        raise ExerciseError(f"the layer outputs {c_out} activation maps of {n}x{n} = {out} numbers per image, not {outputs_per_image}")
    return passed(f"{truth} parameters, {c_out} x {n} x {n} = {out} outputs")


def check_causal_mask(mask) -> str:
    """A 3x3 0/1 mask such that a masked 3x3 convolution (padding 1) respects the raster order:
    the output at pixel i may use only pixels before i.  Checked with ``arlib.testing``; the mask
    must also keep every weight it can (all the pixels before the centre)."""

    m = torch.as_tensor(np.asarray(mask, dtype=np.float32))
    if m.shape != (3, 3):
        raise ExerciseError(f"the mask must be 3x3, got shape {tuple(m.shape)}")

    class MaskedConv(torch.nn.Module):
        order = torch.arange(36)

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(1, 1, 3, 3, generator=torch.Generator().manual_seed(0)))

        def _dtype(self):
            return torch.float32

        def forward(self, x):
            return F.conv2d(x, self.w * m, padding=1)

    try:
        assert_autoregressive(MaskedConv(), (1, 6, 6))
    except AutoregressiveViolation as err:
        raise ExerciseError(f"the masked convolution is not autoregressive: {err}. Zero the centre and every weight "
                            "after it in raster order (to its right, and the whole row below).") from None
    best = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=torch.float32)
    if not torch.equal((m != 0).float(), best):
        missing = [(int(r), int(c)) for r, c in ((best == 1) & (m == 0)).nonzero().tolist()]
        raise ExerciseError(f"autoregressive, but the mask drops weights it could keep at (row, col) {missing}: every "
                            "pixel above the centre, and to its left, comes before it")
    return passed("the centre and everything after it are masked; the rest is kept (PixelCNN's mask A)")


# ---- reference solutions (the notebook checks these so that it runs as a test) ----

def output_size_reference(n: int, k: int, padding: int, stride: int) -> int:
    return (n + 2 * padding - k) // stride + 1


def conv2d_reference(x, w, padding: int, stride: int) -> np.ndarray:
    """Loops over output channels and positions (see arlib.lessons.conv.conv2d)."""
    C_out, C_in, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    n_out = (xp.shape[1] - k) // stride + 1
    out = np.zeros((C_out, n_out, n_out))
    for o in range(C_out):
        for i in range(n_out):
            for j in range(n_out):
                out[o, i, j] = np.sum(w[o] * xp[:, i * stride: i * stride + k, j * stride: j * stride + k])
    return out


HORIZONTAL_EDGE_REFERENCE = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
CAUSAL_MASK_REFERENCE = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
