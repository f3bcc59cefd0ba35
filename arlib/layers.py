"""Layers built from the masks in ``arlib.masks``."""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from arlib.masks import conv_mask, stack_mask


@contextmanager
def one_thread():
    """Run the tiny products of a sampler's per-pixel steps on one thread: for (n, 300) x (300, 32)
    products, thread hand-offs cost more than they save (and on a busy machine 10-30x more)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextmanager
def frozen_steps(model: nn.Module):
    """Inside this block the per-position steps of ``model``'s layers (``at_position``, ``row``,
    ``horizontal_at``) reuse their masked weight matrices, computed once on entry, instead of
    forming them at every pixel: what a sampler's loop needs, since the weights do not change
    during it.  Outside the block every step computes them afresh (never stale)."""
    layers = [m for m in model.modules() if hasattr(m, "step_weights")]
    for layer in layers:
        layer._steps = layer.step_weights()
    try:
        yield
    finally:
        for layer in layers:
            layer._steps = None


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` ``(B, C, H, W)`` stored channels-last, as ``(B, H, W, C)`` in memory (same values, same
    shape).  Convolutions keep that layout, and oneDNN's CPU kernels run faster on it than on
    ``(B, C, H, W)`` (no reordering per call); a 1 x 1 convolution becomes a plain matrix product.
    A one-channel input is copied too: its channel stride becomes 1, so the first layer's output
    (and everything after it) is channels-last as well."""
    if x.stride(1) == 1 and x.is_contiguous(memory_format=torch.channels_last):
        return x
    return torch.empty_like(x, memory_format=torch.channels_last).copy_(x)

# ---- Dropout (chapters 9 and 11) ----


class Dropout(nn.Module):
    """Dropout: in training, each entry is kept with probability 1 - p and scaled by 1 / (1 - p), or
    zeroed; in evaluation, the identity.  The same as ``nn.Dropout`` but for where the random bits
    come from: every 64-bit number the generator draws gives four 16-bit uniform integers, one keep
    decision each (``torch.bernoulli_`` draws one number per entry; on this CPU it took over a third
    of a training step of the 64-channel PixelCNN).  So p is rounded to a multiple of 2^-16 (0.1 is
    used as 6554 / 65536 = 0.100006), and the scale is exact for the rate used.  The mask is drawn
    from torch's default generator (seeded and saved by ``fit``) in the layout of the input.
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p
        self.cut = round(p * 2 ** 16)       # an entry is dropped when its 16 bits, unsigned, fall below

    def keep_mask(self, x: torch.Tensor) -> torch.Tensor:
        """A boolean mask shaped and laid out as ``x``: True with probability 1 - cut / 2^16."""
        n = x.numel()
        words = torch.empty(-(-n // 4), dtype=torch.int64, device=x.device).random_(-2 ** 63, None)  # all 64 bits
        u = words.view(torch.int16)[:n]     # uniform on [-2^15, 2^15)
        keep = u >= self.cut - 2 ** 15
        dense = x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last)
        return keep.as_strided(x.shape, x.stride()) if dense else keep.view(x.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.cut == 0:
            return x
        return x * (self.keep_mask(x).to(x.dtype) * (2 ** 16 / (2 ** 16 - self.cut)))   # kept: x / (1 - p)

    def extra_repr(self) -> str:
        return f"p={self.p}"

# ---- MaskedLinear (chapter 6) ----


class _LinearFreeMasked(torch.autograd.Function):
    """``F.linear(x, weight * mask, bias)`` whose backward pass leaves the masked entries' gradient
    unmasked (``MaskedLinear.masked_entries_free``): one product fewer, and no exact zeros."""

    @staticmethod
    def forward(ctx, x, weight, bias, mask):
        w = weight * mask
        ctx.save_for_backward(x, w)
        ctx.has_bias = bias is not None
        return F.linear(x, w, bias)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        x, w = x.to(g.dtype), w.to(g.dtype)   # under autocast the output (so g) is bfloat16
        g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        gx = g @ w if ctx.needs_input_grad[0] else None
        gw = g2.T @ x2 if ctx.needs_input_grad[1] else None
        gb = g2.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None


class MaskedLinear(nn.Linear):
    """``y = x (M * W)^T + b``: a linear layer whose weight is multiplied by a fixed 0/1 mask ``M``.

    The mask is a buffer (not a parameter), so it is moved with the module, not trained, and
    not counted by ``sum(p.numel() for p in parameters())``. The product ``M * W`` is formed on
    every call (autograd then masks the gradient too).  It is not cached: a fused optimizer
    updates the weight in place without bumping its version counter, so a cache keyed on it
    would serve stale weights.

    ``masked_entries_free`` (off by default; MADE with one mask turns it on): the mask never
    changes, so the masked entries of ``weight`` never reach the output and their values do not
    matter. The backward pass then does not mask the weight's gradient (one product fewer), and
    those entries train freely to no effect. This also keeps Adam's second moment of those entries
    off exact zeros, where torch's CPU square root is 15-30x slower per element: a 20 % slower
    Adam step for a one-layer MADE. ``set_mask`` with a different mask turns it off (the entries
    masked until then hold arbitrary values, as untrained ones do). The output, ``masked_weight()``
    and the gradients of the unmasked entries, the bias and the input are the same either way.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features), persistent=False)
        self.masked_entries_free = False

    def fixed_mask(self) -> torch.Tensor | None:
        """The mask, if it never changes (``masked_entries_free``): the weight entries it zeroes never
        reach the output, so a checkpoint need not store them. None for a mask that may change."""
        return self.mask if self.masked_entries_free else None

    def set_mask(self, mask: torch.Tensor) -> None:
        """Use ``mask`` (shape ``(out_features, in_features)``, 0/1 values) from now on.

        ``mask`` may be the layer's own ``mask`` buffer, already overwritten in place by the caller
        (``MADE`` draws its masks straight into the buffers): nothing is copied then, and the
        masked entries are no longer free (the layer cannot tell whether the mask changed)."""
        if mask is self.mask:
            self.masked_entries_free = False
            return
        mask = torch.as_tensor(mask)
        if mask.shape != self.weight.shape:
            raise ValueError(f"mask has shape {tuple(mask.shape)}; this layer needs {tuple(self.weight.shape)}")
        mask = mask.to(self.mask.dtype)
        if self.masked_entries_free and not torch.equal(mask.to(self.mask.device), self.mask):
            self.masked_entries_free = False
        self.mask.copy_(mask)

    def masked_weight(self) -> torch.Tensor:
        """``M * W``, the weight the layer really applies."""
        return self.weight * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.masked_entries_free and torch.is_grad_enabled():
            return _LinearFreeMasked.apply(x, self.weight, self.bias, self.mask)
        return F.linear(x, self.masked_weight(), self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, mask density={self.mask.mean().item():.3f}"

# ---- MaskedConv2d (chapter 9) ----

class MaskedConv2d(nn.Conv2d):
    """A 'same' 2-D convolution whose kernel is multiplied by a PixelCNN mask (``arlib.masks.conv_mask``).

    The output at pixel (r, c) sees only the inputs above row r and left of column c in row r,
    plus, at (r, c) itself, the colour groups the mask type allows (type A: earlier groups;
    type B: earlier groups and its own).  The mask is a (non-persistent) buffer rebuilt from the
    arguments; ``weight`` keeps the full k x k kernel (masked taps get zero gradient).

    Efficiency: the rows of the kernel below the centre are all zero, so the forward pass crops the
    kernel to its top k // 2 + 1 rows (a third fewer multiply-adds for k = 3, 43 % for k = 7), pads
    the input only on the sides the kernel can see (top, left, right) and multiplies in the mask once
    per call (a tiny tensor next to the activations).  A 1 x 1 type-B kernel with one colour group
    masks nothing: it skips the product, and on channels-last maps (``channels_last``) it is one
    matrix product over the channels (``F.linear``), 2-3x faster than the convolution on a CPU.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str,
                 colour_groups: int = 1, bias: bool = True):
        mask = conv_mask(kernel_size, mask_type, in_channels, out_channels, colour_groups)
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.colour_groups = colour_groups
        self.register_buffer("mask", mask, persistent=False)
        self.unmasked = bool(mask.all())   # a 1 x 1 type-B kernel with one colour group
        self._steps = None

    def fixed_mask(self) -> torch.Tensor:
        """The mask (built from the constructor's arguments, never changed): the kernel taps it zeroes
        never reach the output, so a checkpoint need not store them."""
        return self.mask

    @property
    def rows(self) -> int:
        """Rows of the kernel that can be non-zero: the centre row and the k // 2 rows above it."""
        return self.kernel_size[0] // 2 + 1

    def masked_weight(self, cropped: bool = True) -> torch.Tensor:
        """weight * mask, cropped to the top ``rows`` kernel rows unless ``cropped=False``."""
        if not cropped:
            return self.weight * self.mask
        r = self.rows
        return self.weight[:, :, :r] * self.mask[:, :, :r]

    def position_matrix(self) -> torch.Tensor:
        """The cropped masked kernel as a ``(rows * k * C_in, C_out)`` matrix, in the order of a
        position-major window."""
        return self.masked_weight().permute(2, 3, 1, 0).reshape(-1, self.out_channels)

    def step_weights(self) -> torch.Tensor:
        """What ``at_position`` multiplies by (``frozen_steps`` computes it once per loop)."""
        return self.position_matrix().contiguous()

    def at_position(self, window: torch.Tensor) -> torch.Tensor:
        """The layer's output at one position, ``(n, C_out)``, from its input window
        ``(rows, k, n, C_in)``: the ``rows`` rows up to the position's own and the k columns around
        it (position-major, as the cached sampler keeps its buffers)."""
        n = window.shape[2]
        patch = window.permute(2, 0, 1, 3).reshape(n, -1)
        matrix = self._steps if self._steps is not None else self.position_matrix()
        if self.bias is None:
            return patch @ matrix
        return torch.addmm(self.bias, patch, matrix)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight if self.unmasked else self.masked_weight()
        p = self.kernel_size[0] // 2
        if not p and x.is_contiguous(memory_format=torch.channels_last):
            # (B, H, W, C_in) in memory: a 1 x 1 convolution is (B H W, C_in) x (C_in, C_out)
            return F.linear(x.permute(0, 2, 3, 1), weight.flatten(1), self.bias).permute(0, 3, 1, 2)
        # Output row r reads input rows r - p .. r with the kernel's p + 1 rows: pad p rows on top
        # and p columns on each side (padding the bottom too and dropping rows costs a copy).
        return F.conv2d(F.pad(x, (p, p, p, 0)) if p else x, weight, self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", mask_type={self.mask_type!r}, colour_groups={self.colour_groups}"

# ---- gated blocks (chapter 11) ----


def gated_activation(a: torch.Tensor) -> torch.Tensor:
    """tanh(a_f) * sigmoid(a_g), where ``a = [a_f, a_g]`` is split in two along the channels (dim 1).

    On maps (4-D) it is computed as (2 sigma(2 a_f) - 1) sigma(a_g), since tanh(z) = 2 sigma(2z) - 1:
    one sigmoid over the whole of ``a`` (scaled by 2 on the first half) instead of a tanh and a
    sigmoid on its two halves. The halves of a channels-last map are strided views, on which CPU
    kernels fall off their vector path; the whole map is not (measured: the gate's forward and
    backward 2x faster on a (32, 32, 28, 28) channels-last map, in float32 and in bfloat16; a
    Gated PixelCNN training step 1.1-1.2x faster).
    """
    if a.dim() < 4:             # the sampler's rows and positions: small, and fewer ops matter more
        a_f, a_g = a.chunk(2, dim=1)
        return torch.tanh(a_f) * torch.sigmoid(a_g)
    C = a.shape[1] // 2
    scale = a.new_ones(1, 2 * C, 1, 1)
    scale[:, :C] = 2
    s_f, s_g = torch.sigmoid(a * scale).chunk(2, dim=1)    # sigma(2 a_f), sigma(a_g)
    return torch.addcmul(-s_g, s_f, s_g, value=2)            # (2 sigma(2 a_f) - 1) sigma(a_g)


class StackConv2d(nn.Conv2d):
    """A convolution of one of Gated PixelCNN's two stacks, its kernel multiplied by a stack mask.

    ``stack="vertical"``: a k x k kernel with ``arlib.masks.vertical_mask`` (rows above the centre;
    later layers also the centre row).  ``stack="horizontal"``: a 1 x k kernel with
    ``arlib.masks.horizontal_mask`` (left of the centre; later layers also the centre).  ``weight``
    stores the full kernel (masked taps get zero gradient); the mask is a non-persistent buffer.

    Efficiency: the kept taps form the top rows (vertical) or the left columns (horizontal) of the
    kernel, so the forward pass crops the kernel to them and pads the input only on the sides the
    kernel can see (top and both sides; left): a 5 x 5 vertical layer does 15 taps, not 25.  On
    channels-last maps (``channels_last``) the masked kernel is laid out channels-last too.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stack: str, first: bool,
                 bias: bool = True):
        mask = stack_mask(stack, kernel_size, first)
        super().__init__(in_channels, out_channels, tuple(mask.shape), bias=bias)
        self.stack, self.first = stack, bool(first)
        self.register_buffer("mask", mask, persistent=False)
        self._steps = None

    @property
    def kept(self) -> int:
        """Kernel rows (vertical) or columns (horizontal) the mask keeps: k // 2, or k // 2 + 1 after the first layer."""
        return self.kernel_size[1] // 2 + (0 if self.first else 1)

    def masked_weight(self, cropped: bool = True) -> torch.Tensor:
        """weight * mask, cropped to the kept rows/columns unless ``cropped=False``."""
        if not cropped:
            return self.weight * self.mask
        n = self.kept
        if self.stack == "vertical":
            return self.weight[:, :, :n] * self.mask[:n]
        return self.weight[:, :, :, :n] * self.mask[:, :n]

    def step_weights(self) -> torch.Tensor:
        """What ``at_position`` (horizontal) or ``row`` (vertical) applies, computed once per loop."""
        if self.stack == "horizontal":
            return self.masked_weight().reshape(self.out_channels, -1).t().contiguous()
        return self.masked_weight()

    def at_position(self, window: torch.Tensor) -> torch.Tensor:
        """A horizontal layer's output at one position, ``(n, C_out)``, from its input window
        ``(n, C_in, kept)``: the kept columns ending at the position (left-padded)."""
        if self.stack != "horizontal":
            raise ValueError("at_position is the horizontal stack's step; the vertical stack works by rows (row)")
        matrix = self._steps if self._steps is not None else self.step_weights()
        return torch.addmm(self.bias, window.reshape(window.shape[0], -1), matrix)

    def row(self, rows: torch.Tensor) -> torch.Tensor:
        """A vertical layer's output along one image row, ``(n, C_out, W)``, from its input
        ``(n, C_in, kept, W + 2c)``: the kept rows above (padded by c columns on each side)."""
        if self.stack != "vertical":
            raise ValueError("row is the vertical stack's step; the horizontal stack works by positions")
        return F.conv2d(rows, self._steps if self._steps is not None else self.masked_weight(), self.bias)[:, :, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        c = self.kernel_size[1] // 2
        # Output (r, s) reads rows r - c .. r - c + kept - 1 (vertical) or columns s - c .. s - c + kept - 1
        # (horizontal) of the input: pad c on top (left) and keep the first H rows (W columns).
        weight = self.masked_weight()
        if x.is_contiguous(memory_format=torch.channels_last):   # the kernel in the maps' layout: a faster backward
            weight = channels_last(weight)
        if self.stack == "vertical":
            return F.conv2d(F.pad(x, (c, c, c, 0)), weight, self.bias)[:, :, :H]
        return F.conv2d(F.pad(x, (c, 0, 0, 0)), weight, self.bias)[:, :, :, :W]

    def extra_repr(self) -> str:
        return super().extra_repr() + f", stack={self.stack!r}, first={self.first}"


class GatedBlock(nn.Module):
    """One layer of Gated PixelCNN: a vertical and a horizontal stack, gated, linked, with residual and skip.

        v_pre = V_conv * v                                  (k x k, vertical mask)
        h_pre = H_conv * h + link * v_pre                   (1 x k, horizontal mask; link is 1 x 1)
        v'    = tanh(v_pre_f + V_f^T y) * sigma(v_pre_g + V_g^T y)
        g     = tanh(h_pre_f + V_f^T y) * sigma(h_pre_g + V_g^T y)
        h'    = h + res * g     (no residual in the first layer: its input is the image itself)
        skip  = skip * g

    With ``dropout`` > 0, g is passed through dropout in training (a regulariser; in evaluation and
    sampling g is used as it is, which is why the per-position steps below have none).

    The vertical features at row r see only rows above r (the first layer's mask leaves out the
    centre row: a convolution over rows r - c .. r shifted down by one row), so the link may feed
    them to the horizontal stack at the same position without showing it the future.  ``cond`` is
    the label's contribution ``(cond_v, cond_h)``, each ``(B, 2 * channels)`` (the rows V^T y of an
    embedding), added inside both gates.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int, first: bool,
                 skip_channels: int | None = None, dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        skip_channels = channels if skip_channels is None else skip_channels
        self.first = bool(first)
        self.channels = channels
        self.v_conv = StackConv2d(in_channels, 2 * channels, kernel_size, "vertical", first)
        self.h_conv = StackConv2d(in_channels, 2 * channels, kernel_size, "horizontal", first)
        self.link = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.res = nn.Conv2d(channels, channels, 1)
        self.skip = nn.Conv2d(channels, skip_channels, 1)
        self.dropout = Dropout(dropout) if dropout > 0 else nn.Identity()
        self._steps = None

    def forward(self, v: torch.Tensor, h: torch.Tensor, cond: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(v, h)`` -> ``(v', h', skip)``."""
        v_pre = self.v_conv(v)
        h_pre = self.h_conv(h) + self.link(v_pre)
        if cond is not None:
            cond_v, cond_h = cond
            v_pre = v_pre + cond_v[:, :, None, None]
            h_pre = h_pre + cond_h[:, :, None, None]
        g = self.dropout(gated_activation(h_pre))
        h_out = self.res(g) if self.first else h + self.res(g)
        return gated_activation(v_pre), h_out, self.skip(g)

    # Per-position steps of the cached sampler (``GatedPixelCNN.generate``).
    def vertical_row(self, rows: torch.Tensor, cond: tuple[torch.Tensor, torch.Tensor] | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """The vertical stack along one row from the kept rows above it, ``(n, C, kept, W + 2c)``.

        Returns ``(v', from_above)``: the gated vertical output ``(n, channels, W)`` and, for the
        horizontal gates of that row, link * v_pre + V_h^T y, ``(n, 2 * channels, W)``.
        """
        v_pre = self.v_conv.row(rows)
        from_above = F.conv1d(v_pre, self.link.weight[:, :, 0], self.link.bias)
        if cond is not None:
            v_pre = v_pre + cond[0][:, :, None]
            from_above = from_above + cond[1][:, :, None]
        return gated_activation(v_pre), from_above

    def horizontal_at(self, window: torch.Tensor, from_above: torch.Tensor, h: torch.Tensor | None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """The horizontal stack at one position: ``window`` ``(n, C, kept)`` its inputs up to the
        position, ``from_above`` ``(n, 2 * channels)`` the vertical share, ``h`` ``(n, channels)`` the
        residual input (ignored in the first layer).  Returns ``(h', skip)``, each ``(n, channels)``."""
        g = gated_activation(self.h_conv.at_position(window) + from_above)
        matrix, bias = self._steps if self._steps is not None else self.step_weights()
        out = torch.addmm(bias, g, matrix)               # res * g and skip * g in one product
        res, skip = out[:, : self.channels], out[:, self.channels :]
        return (res if self.first else h + res), skip

    def step_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The 1 x 1 residual and skip convolutions as one ``(channels, channels + skip)`` matrix and its bias."""
        matrix = torch.cat([self.res.weight[:, :, 0, 0], self.skip.weight[:, :, 0, 0]]).t().contiguous()
        return matrix, torch.cat([self.res.bias, self.skip.bias])
