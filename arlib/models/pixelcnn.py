"""PixelCNN (van den Oord et al. 2016), option 1 of the lecture: a stack of masked convolutions.

    x -> MaskedConv(k1 x k1, type A) -> ReLU -> [MaskedConv(k x k, type B) -> ReLU] x (n_layers - 1)
      -> MaskedConv(1 x 1, B) -> ReLU -> MaskedConv(1 x 1, B) -> logits

Pixels are generated in raster order (row by row, left to right) and, in a colour image,
R -> G -> B within a pixel (channel-group masks, ``colour_groups = in_channels``).  The output
is one Bernoulli logit per pixel and channel (``num_values=2``) or a K-way softmax per pixel
and channel (``num_values=K``, e.g. 256 for 8-bit images): shape ``(B, C, H, W)`` or
``(B, K, C, H, W)``.  Every conditional p(x_i | x_<i) comes out of one parallel pass.

Sampling (``sample(method=...)``):

* ``"naive"``: 784 full passes of the network, one per pixel (C x 784 for colour);
* ``"crop"``: each pass only on the rows the pixel can see (its receptive field's height);
* ``"cache"`` (default): keep every layer's activations and compute, per pixel, only the one
  position each layer needs (Fast PixelCNN++, Ramachandran et al. 2017) -- the same draws
  from the same random numbers, a few hundred times less arithmetic.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from arlib.layers import MaskedConv2d
from arlib.models.base import AutoregressiveModel
from arlib.sampling import ancestral_sample, draw

__all__ = ["PixelCNN", "raster_channel_order"]

SAMPLERS = ("naive", "crop", "cache")


def raster_channel_order(channels: int, height: int, width: int) -> torch.Tensor:
    """Flat indices of a (C, H, W) image in the order rows, then columns, then channels (R -> G -> B)."""
    return torch.arange(channels * height * width).view(channels, height, width).permute(1, 2, 0).reshape(-1)


@contextmanager
def _one_thread():
    """Run tiny tensor ops on one thread: for (n, 300) x (300, 32) products, thread hand-offs cost
    more than they save (and on a busy machine they cost 10-30x)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class PixelCNN(AutoregressiveModel):
    """A stack of masked convolutions (option 1 of the lecture) over ``(in_channels, height, width)`` images.

    Args:
        in_channels: image channels C (1 for binarized MNIST, 3 for colour).
        channels: feature maps h of every masked layer (a multiple of ``colour_groups``).
        n_layers: masked k x k layers: one of type A, then ``n_layers - 1`` of type B.
        kernel_size: k of the type-B layers (odd).
        first_kernel_size: k of the type-A layer (odd; defaults to ``kernel_size``).
        head_channels: feature maps of the hidden 1 x 1 layer (defaults to ``channels``).
        num_values: 2 (one Bernoulli logit per value) or K (a K-way softmax per value).
        colour_groups: channel groups of the masks; defaults to ``in_channels`` (R -> G -> B).
        residual: add each type-B layer's input to its output (h + ReLU(conv(h))).
        height, width: image size (the convolutions work at any size; the base class needs one).
    """

    def __init__(self, in_channels: int = 1, channels: int = 64, n_layers: int = 8, kernel_size: int = 3,
                 first_kernel_size: int | None = None, head_channels: int | None = None, num_values: int = 2,
                 colour_groups: int | None = None, residual: bool = False, height: int = 28, width: int = 28):
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1 (one type-A layer), got {n_layers}")
        first_kernel_size = kernel_size if first_kernel_size is None else first_kernel_size
        head_channels = channels if head_channels is None else head_channels
        colour_groups = in_channels if colour_groups is None else colour_groups
        if in_channels % colour_groups:
            raise ValueError(f"in_channels={in_channels} must be a multiple of colour_groups={colour_groups}")
        super().__init__((in_channels, height, width), num_values,
                         order=raster_channel_order(in_channels, height, width))
        self.config = dict(in_channels=in_channels, channels=channels, n_layers=n_layers, kernel_size=kernel_size,
                           first_kernel_size=first_kernel_size, head_channels=head_channels,
                           num_values=num_values, colour_groups=colour_groups, residual=residual,
                           height=height, width=width)
        G = colour_groups
        self.residual = residual
        out = in_channels if self.binary else in_channels * num_values
        self.layers = nn.ModuleList(
            [MaskedConv2d(in_channels, channels, first_kernel_size, "A", G)]
            + [MaskedConv2d(channels, channels, kernel_size, "B", G) for _ in range(n_layers - 1)]
        )
        self.head = nn.ModuleList([MaskedConv2d(channels, head_channels, 1, "B", G),
                                   MaskedConv2d(head_channels, out, 1, "B", G)])

    # ------------------------------------------------------------------ forward
    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """Values 0..K-1 to the network's input range [-1, 1]."""
        return x * (2.0 / (self.num_values - 1)) - 1.0

    def _logits_shape(self, y: torch.Tensor) -> torch.Tensor:
        """(B, C [*K], H, W) head output -> (B, C, H, W) or (B, K, C, H, W)."""
        if self.binary:
            return y
        B, _, H, W = y.shape
        C = self.event_shape[0]
        return y.view(B, C, self.num_values, H, W).transpose(1, 2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The masked stack's output h (before the 1 x 1 head), for input values ``x``."""
        h = F.relu(self.layers[0](self.scale(x)))
        for layer in self.layers[1:]:
            h = h + F.relu(layer(h)) if self.residual else F.relu(layer(h))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every conditional p(x_{c,r,s} | everything before it), in one pass."""
        h = self.features(x)
        return self._logits_shape(self.head[1](F.relu(self.head[0](h))))

    @property
    def receptive_rows(self) -> int:
        """How many rows above a pixel its receptive field reaches: the sum of k // 2 over the layers."""
        return sum(layer.kernel_size[0] // 2 for layer in self.layers)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_probs: bool = False,
               method: str = "cache", progress: bool = False):
        """Draw ``n`` images by ancestral sampling in raster (and R -> G -> B) order.

        All three methods consume ``generator`` identically (one draw per pixel and channel via
        ``arlib.sampling.draw``), so for the same seed they give the same images (up to float
        rounding in the conditionals, which would flip a draw only if a uniform number fell within
        about 1e-7 of a probability).  ``return_probs`` also returns the probability each value was
        drawn from (as ``ancestral_sample`` does).
        """
        if method not in SAMPLERS:
            raise ValueError(f"method must be one of {SAMPLERS}, got {method!r}")
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        was_training = self.training
        self.eval()
        try:
            if method == "naive":
                return ancestral_sample(self, n, generator=generator, return_probs=return_probs, progress=progress)
            if method == "crop":
                x, probs = self._sample_crop(n, generator, progress)
            else:
                with _one_thread():
                    x, probs = self._sample_cache(n, generator, progress)
        finally:
            self.train(was_training)
        return (x, probs) if return_probs else x

    def _draw(self, logits_nc: torch.Tensor, generator):
        """logits of one dimension: (n,) binary or (n, K) categorical -> (values, probs)."""
        return draw(logits_nc, self.binary, generator)

    def _sample_crop(self, n: int, generator, progress: bool):
        C, H, W = self.event_shape
        dev, dt = self._device(), self._dtype()
        x = torch.zeros(n, C, H, W, device=dev, dtype=dt)
        probs = torch.zeros_like(x)
        R = self.receptive_rows
        for r in tqdm(range(H), disable=not progress, desc="sampling rows", leave=False):
            r0 = max(0, r - R)
            for s in range(W):
                for c in range(C):
                    out = self(x[:, :, r0 : r + 1])  # only the rows pixel (r, s) can see
                    li = out[:, c, -1, s] if self.binary else out[:, :, c, -1, s]
                    x[:, c, r, s], probs[:, c, r, s] = self._draw(li, generator)
        return x, probs

    def _sample_cache(self, n: int, generator, progress: bool):
        """Per pixel, compute each layer at that one position from cached activations.

        ``bufs[l]`` holds the input of masked layer l position-major, ``(H + p_l, W + 2 p_l, n, C_l)``,
        zero-padded by p_l = k_l // 2 rows on top and p_l columns on each side (position-major so that
        a window is a few contiguous blocks of memory).  The activation of layer l at (r, s) reads the
        (p_l + 1) x k_l window ``bufs[l][r : r + p_l + 1, s : s + k_l]``: the rows below are masked out,
        and so are the positions right of the centre, which are not computed yet.
        """
        C, H, W = self.event_shape
        dev, dt = self._device(), self._dtype()
        layers = list(self.layers)
        pads = [layer.kernel_size[0] // 2 for layer in layers]
        bufs = [torch.zeros(H + p, W + 2 * p, n, layer.in_channels, device=dev, dtype=dt)
                for layer, p in zip(layers, pads)]
        # Masked, cropped weights as matrices (rows * k * in, out), in the window's order, computed once.
        mats = [layer.masked_weight().permute(2, 3, 1, 0).reshape(-1, layer.out_channels).contiguous()
                for layer in layers]
        biases = [layer.bias if layer.bias is not None else torch.zeros(layer.out_channels, device=dev, dtype=dt)
                  for layer in layers]
        h1, h2 = self.head
        w1, w2 = h1.masked_weight()[:, :, 0, 0].t(), h2.masked_weight()[:, :, 0, 0].t()
        K = self.num_values
        x = torch.zeros(n, C, H, W, device=dev, dtype=dt)
        probs = torch.zeros_like(x)
        lo, hi = -1.0, 2.0 / (K - 1)  # scale: v -> v * hi + lo
        L = len(layers)
        for r in tqdm(range(H), disable=not progress, desc="sampling rows", leave=False):
            for s in range(W):
                for c in range(C):
                    for l in range(L):
                        p, k = pads[l], 2 * pads[l] + 1
                        patch = bufs[l][r : r + p + 1, s : s + k].permute(2, 0, 1, 3).reshape(n, -1)
                        h = torch.addmm(biases[l], patch, mats[l]).relu_()
                        if self.residual and l > 0:
                            h += bufs[l][r + p, s + p]
                        if l + 1 < L:
                            q = pads[l + 1]
                            bufs[l + 1][r + q, s + q] = h
                    y = torch.addmm(h2.bias, torch.addmm(h1.bias, h, w1).relu_(), w2)  # (n, C [* K])
                    li = y[:, c] if self.binary else y[:, c * K : (c + 1) * K]
                    v, pv = self._draw(li, generator)
                    x[:, c, r, s], probs[:, c, r, s] = v, pv
                    bufs[0][r + pads[0], s + pads[0], :, c] = v * hi + lo
        return x, probs
