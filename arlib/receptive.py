"""Receptive fields by gradients, and the blind spot of stacked masked convolutions (chapter 10).

``receptive_field(model, shape, pixel)`` back-propagates from the output at one pixel to the
input image and marks every input pixel whose gradient is not exactly zero: the pixels that the
conditional of ``pixel`` can depend on.  It works for any arlib model (or any function of an
image batch) whose output has one entry per pixel (``(B, H, W)``, ``(B, C, H, W)``,
``(B, K, C, H, W)`` or flat ``(B, [K,] H*W)``).

``stack_field`` computes the same set exactly, without gradients, for a plain stack of masked
convolutions: start from the pixel and, layer by layer from the top, step back by every offset
the layer's mask lets through (a repeated dilation) -- the algorithm the chapter-10 explorer runs
in the page.  ``blind_spot`` gives the past pixels that the field misses although they lie within
its reach.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

from arlib.layers import MaskedConv2d
from arlib.masks import conv_mask_offsets, stack_mask_offsets

__all__ = ["receptive_field", "masked_stack", "stack_field", "gated_stack_field", "blind_spot", "stack_mask_types", "field_categories",
           "FIELD_COLOURS"]


def image_shape(shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"shape must be (H, W) or (C, H, W) with positive sizes, got {shape}")
    return shape  # type: ignore[return-value]


def _check_pixel(pixel: Sequence[int], shape: tuple[int, int, int]) -> tuple[int | None, int, int]:
    C, H, W = shape
    pixel = tuple(int(p) for p in pixel)
    if len(pixel) == 2:
        ch, (r, c) = None, pixel
    elif len(pixel) == 3:
        ch, r, c = pixel
        if not 0 <= ch < C:
            raise ValueError(f"channel {ch} is outside the image's {C} channel(s) (0 .. {C - 1})")
    else:
        raise ValueError(f"pixel must be (row, col) or (channel, row, col), got {pixel}")
    if not (0 <= r < H and 0 <= c < W):
        raise ValueError(f"pixel (row, col) = ({r}, {c}) is outside the {H}x{W} image "
                         f"(rows 0 .. {H - 1}, columns 0 .. {W - 1})")
    return ch, r, c


def receptive_field(model_or_fn: nn.Module | Callable[[torch.Tensor], torch.Tensor], shape: Sequence[int],
                    pixel: Sequence[int], n_inputs: int = 4, seed: int = 0) -> torch.Tensor:
    """Input pixels that the output at ``pixel`` depends on, as a bool tensor ``(H, W)``.

    Measured by gradients: for ``n_inputs`` random images (values in [0, 1]), back-propagate the
    sum of the outputs at ``pixel`` (every logit; with ``pixel = (channel, row, col)`` only that
    channel's) and mark the input pixels (any channel) where some gradient is not exactly zero.
    A masked weight contributes an exact zero, so the mask structure shows exactly; several random
    inputs guard against a path that a ReLU happens to switch off for one input.

    Args:
        model_or_fn: an arlib model (its input is reshaped to ``model.event_shape``) or any
            function from a batch ``(B, C, H, W)`` to outputs with one entry per pixel.
        shape: the image shape ``(H, W)`` or ``(C, H, W)``.
        pixel: ``(row, col)`` or ``(channel, row, col)``.

    Raises:
        ValueError: for a pixel outside the image, or a shape the output does not match.
    """
    C, H, W = image_shape(shape)
    ch, r, c = _check_pixel(pixel, (C, H, W))
    if n_inputs < 1:
        raise ValueError(f"n_inputs must be >= 1, got {n_inputs}")
    dtype = torch.float32
    if isinstance(model_or_fn, nn.Module):
        p = next(model_or_fn.parameters(), None)
        dtype = p.dtype if p is not None and p.is_floating_point() else dtype
        dev = p.device if p is not None else torch.device("cpu")
    else:
        dev = torch.device("cpu")
    event_shape = getattr(model_or_fn, "event_shape", None)
    if event_shape is not None and math.prod(event_shape) != C * H * W:
        raise ValueError(f"{type(model_or_fn).__name__} has event shape {tuple(event_shape)}, "
                         f"which does not hold a {C}x{H}x{W} image")
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_inputs, C, H, W, generator=g, dtype=torch.float64).to(device=dev, dtype=dtype)
    x.requires_grad_(True)
    was_training = getattr(model_or_fn, "training", None)
    if was_training:
        model_or_fn.eval()  # type: ignore[union-attr]
    try:
        with torch.enable_grad():
            inp = x.reshape(n_inputs, *event_shape) if event_shape is not None else x
            out = model_or_fn(inp)
            per_example = out[0].numel()
            if per_example % (H * W):
                raise ValueError(f"the output {tuple(out.shape)} does not have one entry per pixel of a "
                                 f"{H}x{W} image")
            if ch is None:
                sel = out.reshape(n_inputs, -1, H, W)[:, :, r, c]
            else:
                if per_example % (C * H * W):
                    raise ValueError(f"the output {tuple(out.shape)} has no channel axis of size {C}")
                sel = out.reshape(n_inputs, -1, C, H, W)[:, :, ch, r, c]
            total = sel.sum()
            grad = (torch.autograd.grad(total, x, allow_unused=True)[0] if total.requires_grad else None)
    finally:
        if was_training:
            model_or_fn.train()  # type: ignore[union-attr]
    if grad is None:  # the output does not depend on the input at all
        return torch.zeros(H, W, dtype=torch.bool)
    return (grad != 0).any(0).any(0).cpu()


def stack_mask_types(n_layers: int, mask: str = "AB") -> list[str]:
    """Mask types of ``n_layers`` stacked layers: ``"AB"`` = A then B (option 1), ``"A"``/``"B"`` = all the same."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")
    if mask == "AB":
        return ["A"] + ["B"] * (n_layers - 1)
    if mask in ("A", "B"):
        return [mask] * n_layers
    raise ValueError(f"mask must be 'AB' (A then B), 'A' or 'B', got {mask!r}")


def masked_stack(n_layers: int, kernel_size: int = 3, mask: str = "AB", channels: int = 1,
                 first_kernel_size: int | None = None, seed: int = 0) -> nn.Sequential:
    """A plain stack of ``n_layers`` masked convolutions (1 input channel, no bias, no nonlinearity).

    The weights are random and positive (float64), so every path from an input pixel to an output
    pixel adds a positive amount to the gradient: the gradient is non-zero exactly where a path
    exists, which makes ``receptive_field`` of this stack the exact field of the masks.
    """
    types = stack_mask_types(n_layers, mask)
    g = torch.Generator().manual_seed(seed)
    layers = []
    for i, t in enumerate(types):
        k = first_kernel_size if (i == 0 and first_kernel_size is not None) else kernel_size
        conv = MaskedConv2d(1 if i == 0 else channels, channels, k, t, bias=False).double()
        with torch.no_grad():
            conv.weight.copy_(0.5 + torch.rand(conv.weight.shape, generator=g, dtype=torch.float64))
        layers.append(conv)
    return nn.Sequential(*layers)


def stack_field(n_layers: int, kernel_size: int, shape: Sequence[int], pixel: Sequence[int], mask: str = "AB",
                first_kernel_size: int | None = None) -> torch.Tensor:
    """The exact receptive field of ``pixel`` through a stack of masked convolutions, by dilation.

    Start with the set {pixel} at the top; for each layer from the last to the first, replace the
    set by every position (r + dr, c + dc) inside the image for (dr, dc) in the layer's mask
    offsets (positions outside the image are zero padding: a path cannot pass through them).
    Returns a bool tensor ``(H, W)``; equal to ``receptive_field(masked_stack(...), ...)``.
    """
    _, H, W = image_shape(shape)
    _, r, c = _check_pixel(pixel, (1, H, W))
    types = stack_mask_types(n_layers, mask)
    kernels = [first_kernel_size if (i == 0 and first_kernel_size is not None) else kernel_size
               for i in range(n_layers)]
    current = {(r, c)}
    for t, k in reversed(list(zip(types, kernels))):
        offsets = conv_mask_offsets(k, t)
        current = {(a + dr, b + dc) for a, b in current for dr, dc in offsets
                   if 0 <= a + dr < H and 0 <= b + dc < W}
    field = torch.zeros(H, W, dtype=torch.bool)
    for a, b in current:
        field[a, b] = True
    return field


def gated_stack_field(n_layers: int, kernel_size: int, shape, pixel, first_kernel_size: int | None = None
                      ) -> torch.Tensor:
    """The exact receptive field of the output at ``pixel`` of ``n_layers`` gated layers, by dilation.

    Top-down, layer by layer: the horizontal features needed at a set of positions need the
    horizontal features of the layer below at those positions shifted by the horizontal offsets, and
    the vertical features (through the vertical-to-horizontal link) at the positions shifted by the
    vertical offsets; vertical features need only vertical features.  The first layer reads the image.
    Positions outside the image are zero padding (no path passes through them).  Returns bool ``(H, W)``.
    """
    if not isinstance(n_layers, int) or n_layers < 1:
        raise ValueError(f"n_layers must be a positive int, got {n_layers!r}")
    H, W = (int(s) for s in tuple(shape)[-2:])
    r, c = (int(p) for p in pixel)
    if not (0 <= r < H and 0 <= c < W):
        raise ValueError(f"pixel ({r}, {c}) is outside the {H}x{W} image")
    k0 = kernel_size if first_kernel_size is None else first_kernel_size

    def shift(positions, offsets):
        return {(a + dr, b + dc) for a, b in positions for dr, dc in offsets if 0 <= a + dr < H and 0 <= b + dc < W}

    hpos, vpos = {(r, c)}, set()
    for layer in range(n_layers - 1, -1, -1):
        k, first = (k0, True) if layer == 0 else (kernel_size, False)
        oh, ov = stack_mask_offsets("horizontal", k, first), stack_mask_offsets("vertical", k, first)
        hpos, vpos = shift(hpos, oh), shift(hpos | vpos, ov)
    field = torch.zeros(H, W, dtype=torch.bool)
    for a, b in hpos | vpos:
        field[a, b] = True
    return field


def blind_spot(field: torch.Tensor, pixel: Sequence[int]) -> torch.Tensor:
    """Past pixels within the field's reach that the field misses: the blind spot, bool ``(H, W)``.

    The reach is the box a field of the same size would fill if nothing were hidden: the rows from
    the field's top row down to the pixel's row and the columns within the field's widest
    horizontal distance from the pixel, restricted to the pixels before ``pixel`` in raster order
    (the ones the conditional is allowed to use).  Pixels outside that box are simply out of reach
    of a finite stack; pixels inside it that the field misses are hidden by the masks.
    """
    field = torch.as_tensor(field, dtype=torch.bool)
    if field.dim() != 2:
        raise ValueError(f"field must be a 2-D bool tensor (H, W), got shape {tuple(field.shape)}")
    H, W = field.shape
    _, r, c = _check_pixel(pixel, (1, H, W))
    rows = torch.arange(H)[:, None].expand(H, W)
    cols = torch.arange(W)[None, :].expand(H, W)
    past = (rows < r) | ((rows == r) & (cols < c))
    if not field.any():
        return torch.zeros(H, W, dtype=torch.bool)
    fr, fc = field.nonzero(as_tuple=True)
    top, side = int(fr.min()), int((fc - c).abs().max())
    box = (rows >= top) & ((cols - c).abs() <= side)
    return past & box & ~field


# ---------------------------------------------------------------------------- pictures

#: Colours of the field pictures (the same as the chapter-10 explorer's).
FIELD_COLOURS = {"future": "#e3e3e3", "past": "#ffffff", "blind": "#e4572e", "field": "#3b78c2",
                 "leak": "#8e44ad", "pixel": "#111111"}
FIELD_ORDER = ("future", "past", "blind", "field", "leak", "pixel")


def field_categories(field: torch.Tensor, pixel: Sequence[int]) -> torch.Tensor:
    """An int map (H, W) of what each pixel is for ``pixel``: 0 at or after it, 1 earlier but out of
    reach, 2 blind spot, 3 receptive field, 4 in the field although at or after it, 5 the pixel."""
    field = torch.as_tensor(field, dtype=torch.bool)
    H, W = field.shape
    _, r, c = _check_pixel(pixel, (1, H, W))
    flat = torch.arange(H * W).view(H, W)
    past = flat < r * W + c
    cat = torch.where(past, 1, 0)
    cat[blind_spot(field, (r, c))] = 2
    cat[field & past] = 3
    cat[field & ~past] = 4
    if not field[r, c]:
        cat[r, c] = 5
    return cat
