"""Layers built from the masks in ``arlib.masks``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MaskedLinear (chapter 6) ----


class MaskedLinear(nn.Linear):
    """``y = x (M * W)^T + b``: a linear layer whose weight is multiplied by a fixed 0/1 mask ``M``.

    The mask is a buffer (not a parameter), so it is moved with the module, not trained, and
    not counted by ``sum(p.numel() for p in parameters())``. In training the product ``M * W``
    is formed on every call (masks may be resampled between steps, and autograd then masks the
    gradient too); in eval mode it is cached until the mask or the weight changes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features), persistent=False)
        self._cache: tuple | None = None

    def set_mask(self, mask: torch.Tensor) -> None:
        """Use ``mask`` (shape ``(out_features, in_features)``, 0/1 values) from now on."""
        mask = torch.as_tensor(mask)
        if mask.shape != self.weight.shape:
            raise ValueError(f"mask has shape {tuple(mask.shape)}; this layer needs {tuple(self.weight.shape)}")
        self.mask.copy_(mask.to(self.mask.dtype))
        self._cache = None

    def masked_weight(self) -> torch.Tensor:
        """``M * W``, the weight the layer really applies."""
        if self.training or torch.is_grad_enabled():
            return self.weight * self.mask
        key = (self.weight._version, self.mask._version, self.weight.data_ptr())
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.weight * self.mask)
        return self._cache[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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
    kernel to its top k // 2 + 1 rows (about 40 % fewer multiply-adds for k = 3) and multiplies in
    the mask once per call (a tiny tensor next to the activations).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str,
                 colour_groups: int = 1, bias: bool = True):
        from arlib.masks import conv_mask

        mask = conv_mask(kernel_size, mask_type, in_channels, out_channels, colour_groups)
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.colour_groups = colour_groups
        self.register_buffer("mask", mask, persistent=False)

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.kernel_size[0] // 2
        # padding p on all sides with a kernel of p + 1 rows gives H + p output rows; output row i
        # sees input rows i - p .. i, so the first H rows are the masked 'same' convolution.
        y = F.conv2d(x, self.masked_weight(), self.bias, padding=p)
        return y[:, :, : x.shape[-2]] if p else y

    def extra_repr(self) -> str:
        return super().extra_repr() + f", mask_type={self.mask_type!r}, colour_groups={self.colour_groups}"

# ---- gated blocks (chapter 11) ----
