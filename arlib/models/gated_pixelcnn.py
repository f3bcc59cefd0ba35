"""Gated PixelCNN (van den Oord et al. 2016b), option 2 of the lecture: vertical and horizontal stacks.

    x --+--> [vertical k0 x k0, rows above]  --gate--> v_1 --> ... --> v_L
        |            |  link (1 x 1)
        +--> [horizontal 1 x k0, left of]  --gate--> h_1 --> ... --> h_L     (residual after layer 1)
                                                |skip          |skip
                                                +------ sum ---+--> ReLU, 1 x 1, ReLU, 1 x 1 -> logits

Every layer is an ``arlib.layers.GatedBlock``: the vertical stack sees all the rows above a pixel
(as wide as its reach), the horizontal stack the pixels to its left in its own row, and the
vertical stack feeds the horizontal one through a 1 x 1 "link".  Together they see every pixel
before x_i in raster order: no blind spot.  Gated units tanh(W_f * x) * sigma(W_g * x) replace the
ReLUs; with ``n_classes`` a label y adds V_f^T y and V_g^T y inside the gates (class-conditional
generation).  Binary pixels: one Bernoulli logit per pixel.

A class-conditional model is also an unconditional one: ``log_prob(x)`` without ``y`` returns the
exact marginal log p(x) = log sum_y p(y) p(x | y) with the class prior ``log_prior`` (a buffer,
saved with the weights), at the price of one pass per class.

Sampling (``sample(method=...)``): ``"naive"`` (784 full passes), ``"crop"`` (each pass on the
rows the pixel can see), ``"cache"`` (default: the vertical stack once per row, the horizontal stack
once per pixel at that one position; the same draws from the same random numbers).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from arlib.layers import GatedBlock, gated_activation
from arlib.models.base import AutoregressiveModel
from arlib.sampling import ancestral_sample, draw

__all__ = ["GatedPixelCNN"]

SAMPLERS = ("naive", "crop", "cache")


class GatedPixelCNN(AutoregressiveModel):
    """Gated PixelCNN over binary ``(1, height, width)`` images, optionally class-conditional.

    Args:
        channels: feature maps p of each stack (the gates see 2p pre-activations).
        n_layers: gated layers L (the first reads the image with the "first" masks).
        kernel_size: k of the layers after the first (odd, >= 3).
        first_kernel_size: k of the first layer (defaults to ``kernel_size``).
        skip_channels: channels of the skip connections summed into the head (defaults to ``channels``).
        head_channels: channels of the hidden 1 x 1 layer of the head (defaults to ``channels``).
        n_classes: number of labels for class-conditional generation, or None (unconditional).
        height, width: the image size.
    """

    def __init__(self, channels: int = 32, n_layers: int = 8, kernel_size: int = 3,
                 first_kernel_size: int | None = None, skip_channels: int | None = None,
                 head_channels: int | None = None, n_classes: int | None = None,
                 height: int = 28, width: int = 28):
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        if n_classes is not None and (not isinstance(n_classes, int) or n_classes < 2):
            raise ValueError(f"n_classes must be None (unconditional) or an int >= 2, got {n_classes!r}")
        first_kernel_size = kernel_size if first_kernel_size is None else first_kernel_size
        skip_channels = channels if skip_channels is None else skip_channels
        head_channels = channels if head_channels is None else head_channels
        super().__init__((1, height, width), 2)
        self.config = dict(channels=channels, n_layers=n_layers, kernel_size=kernel_size,
                           first_kernel_size=first_kernel_size, skip_channels=skip_channels,
                           head_channels=head_channels, n_classes=n_classes, height=height, width=width)
        self.channels, self.n_classes = channels, n_classes
        self.blocks = nn.ModuleList(
            [GatedBlock(1, channels, first_kernel_size, True, skip_channels)]
            + [GatedBlock(channels, channels, kernel_size, False, skip_channels) for _ in range(n_layers - 1)]
        )
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(skip_channels, head_channels, 1), nn.ReLU(),
                                  nn.Conv2d(head_channels, 1, 1))
        if n_classes is not None:
            # V^T y for a one-hot y is a row of V: one embedding holds every layer's V_f, V_g of both stacks.
            self.V = nn.Embedding(n_classes, n_layers * 2 * 2 * channels)
            nn.init.normal_(self.V.weight, std=0.1)
            self.register_buffer("log_prior", torch.full((n_classes,), -math.log(n_classes)))

    # ------------------------------------------------------------------ conditioning
    @property
    def conditional(self) -> bool:
        return self.n_classes is not None

    def check_labels(self, y, n: int) -> torch.Tensor:
        """Labels as a long tensor ``(n,)`` (an int is repeated); ``ValueError`` if out of range."""
        y = torch.as_tensor(y, device=self._device())
        if y.dim() == 0:
            y = y.expand(n)
        if y.dim() != 1 or y.shape[0] not in (1, n):
            raise ValueError(f"y must be an int or a tensor of {n} labels, got shape {tuple(y.shape)}")
        if y.is_floating_point() and not torch.all(y == y.round()):
            raise ValueError("y must hold integer labels")
        y = y.long().expand(n)
        if not torch.all((y >= 0) & (y < self.n_classes)):
            raise ValueError(f"labels must be in [0, {self.n_classes - 1}], got {y.unique().tolist()}")
        return y

    def label_terms(self, y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the label's terms (V^T y for the vertical gates, for the horizontal gates), each (B, 2p)."""
        e = self.V(y).view(y.shape[0], len(self.blocks), 2, 2 * self.channels)
        return [(e[:, l, 0], e[:, l, 1]) for l in range(len(self.blocks))]

    def set_class_prior(self, counts: torch.Tensor) -> None:
        """Set p(y) from label counts (or probabilities), used by the marginal ``log_prob(x)``."""
        if not self.conditional:
            raise ValueError("an unconditional model has no class prior")
        counts = torch.as_tensor(counts, dtype=torch.float64).flatten()
        if counts.shape != (self.n_classes,) or torch.any(counts < 0) or counts.sum() <= 0:
            raise ValueError(f"counts must be {self.n_classes} non-negative numbers, not all zero")
        self.log_prior.copy_((counts / counts.sum()).log().to(self.log_prior.dtype))

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor, y: torch.Tensor | int | None = None) -> torch.Tensor:
        """Logits of every conditional p(x_i = 1 | x_<i [, y]) in one pass, shape (B, 1, H, W)."""
        cond = None
        if self.conditional:
            if y is None:
                raise ValueError("this GatedPixelCNN is class-conditional: pass labels y= to forward "
                                 "(log_prob(x) without y gives the marginal log p(x))")
            cond = self.label_terms(self.check_labels(y, x.shape[0]))
        elif y is not None:
            raise ValueError("this GatedPixelCNN is unconditional (n_classes=None): it takes no labels y")
        v = h = x * 2.0 - 1.0
        skip = 0.0
        for l, block in enumerate(self.blocks):
            v, h, s = block(v, h, None if cond is None else cond[l])
            skip = skip + s
        return self.head(skip)

    def log_prob(self, x: torch.Tensor, y: torch.Tensor | int | None = None) -> torch.Tensor:
        """log p(x | y) per example in nats; for a conditional model without ``y``, the marginal log p(x)."""
        if not self.conditional or y is not None:
            return super().log_prob(x, y=y) if y is not None else super().log_prob(x)
        self.check_input(x)
        return torch.logsumexp(self.log_joint(x), dim=1)

    def log_joint(self, x: torch.Tensor) -> torch.Tensor:
        """log p(y) + log p(x | y) for every class y: shape (B, n_classes), one pass per class."""
        xf = x.to(self._dtype())
        log_prior = self.log_prior.to(xf.dtype).log_softmax(0)  # exactly normalised in the working dtype
        cols = [log_prior[c] + self.log_prob_from_logits(self(xf, y=torch.full((x.shape[0],), c,
                                                                                   device=x.device)), xf)
                for c in range(self.n_classes)]
        return torch.stack(cols, dim=1)

    @property
    def receptive_rows(self) -> int:
        """How many rows above a pixel the vertical stack reaches: k0 // 2 + (L - 1) (k // 2)."""
        c0 = self.config["first_kernel_size"] // 2
        return c0 + (len(self.blocks) - 1) * (self.config["kernel_size"] // 2)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int, y: torch.Tensor | int | None = None, generator: torch.Generator | None = None,
               return_probs: bool = False, method: str = "cache", progress: bool = False):
        """Draw ``n`` images by ancestral sampling in raster order (given labels ``y`` if conditional).

        For a conditional model ``y`` may be an int, ``n`` labels, or None (labels drawn from the
        class prior first, with ``generator``).  All methods consume ``generator`` identically (one
        ``arlib.sampling.draw`` per pixel), so the same seed gives the same images (up to float
        rounding in the conditionals).  ``return_probs`` also returns p(x_i = 1 | x_<i) of every pixel.
        """
        if method not in SAMPLERS:
            raise ValueError(f"method must be one of {SAMPLERS}, got {method!r}")
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        cond = {}
        if self.conditional:
            if y is None:
                y = torch.multinomial(self.log_prior.exp().cpu(), n, replacement=True, generator=generator)
            cond = {"y": self.check_labels(y, n)}
        elif y is not None:
            raise ValueError("this GatedPixelCNN is unconditional (n_classes=None): it takes no labels y")
        was_training = self.training
        self.eval()
        try:
            if method == "naive":
                out = ancestral_sample(self, n, generator=generator, return_probs=True, progress=progress, **cond)
            elif method == "crop":
                out = self._sample_crop(n, generator, progress, cond)
            else:
                out = self._sample_cache(n, generator, progress, cond.get("y"))
        finally:
            self.train(was_training)
        return out if return_probs else out[0]

    def _sample_crop(self, n, generator, progress, cond):
        _, H, W = self.event_shape
        x = torch.zeros(n, 1, H, W, device=self._device(), dtype=self._dtype())
        probs = torch.zeros_like(x)
        R = self.receptive_rows
        for r in tqdm(range(H), disable=not progress, desc="sampling rows", leave=False):
            r0 = max(0, r - R)
            for s in range(W):
                logits = self(x[:, :, r0 : r + 1], **cond)[:, 0, -1, s]  # only the rows pixel (r, s) can see
                x[:, 0, r, s], probs[:, 0, r, s] = draw(logits, True, generator)
        return x, probs

    def _sample_cache(self, n, generator, progress, y):
        """The vertical stack row by row (it never sees the row being drawn), the horizontal stack pixel by pixel.

        ``vbuf[l]``: the vertical input of layer l, padded by c_l rows on top and c_l columns on each side.
        ``hrow[l]``: the horizontal input of layer l in the current row, padded by c_l columns on the left.
        ``rowterm[l]``: link * v_pre + V_h^T y for the current row, the horizontal gates' share from above.
        """
        _, H, W = self.event_shape
        dev, dt = self._device(), self._dtype()
        blocks = list(self.blocks)
        cs = [b.v_conv.kernel_size[1] // 2 for b in blocks]
        vbuf = [torch.zeros(n, b.v_conv.in_channels, H + c, W + 2 * c, device=dev, dtype=dt) for b, c in zip(blocks, cs)]
        hrow = [torch.zeros(n, b.h_conv.in_channels, W + c, device=dev, dtype=dt) for b, c in zip(blocks, cs)]
        conds = self.label_terms(y) if y is not None else [None] * len(blocks)
        # Weights as matrices, computed once.
        wv = [b.v_conv.masked_weight() for b in blocks]
        wh = [b.h_conv.masked_weight().reshape(b.h_conv.out_channels, -1).t().contiguous() for b in blocks]
        wrs = [torch.cat([b.res.weight[:, :, 0, 0], b.skip.weight[:, :, 0, 0]]).t().contiguous() for b in blocks]
        brs = [torch.cat([b.res.bias, b.skip.bias]) for b in blocks]
        p = self.channels
        head1, head2 = self.head[1], self.head[3]
        w1, w2 = head1.weight[:, :, 0, 0].t(), head2.weight[:, :, 0, 0].t()
        x = torch.zeros(n, 1, H, W, device=dev, dtype=dt)
        probs = torch.zeros_like(x)
        for r in tqdm(range(H), disable=not progress, desc="sampling rows", leave=False):
            rowterm = []
            for l, b in enumerate(blocks):  # the vertical stack at row r: it reads rows < r only
                kept = b.v_conv.kept
                v_pre = F.conv2d(vbuf[l][:, :, r : r + kept], wv[l], b.v_conv.bias)[:, :, 0]  # (n, 2p, W)
                link = F.conv1d(v_pre, b.link.weight[:, :, 0], b.link.bias)
                if conds[l] is not None:
                    v_pre = v_pre + conds[l][0][:, :, None]
                    link = link + conds[l][1][:, :, None]
                rowterm.append(link.permute(2, 0, 1).contiguous())  # (W, n, 2p)
                if l + 1 < len(blocks):
                    c = cs[l + 1]
                    vbuf[l + 1][:, :, r + c, c : c + W] = gated_activation(v_pre)
                hrow[l].zero_()
            for s in range(W):  # the horizontal stack at (r, s), one layer after the other
                skip = None
                for l, b in enumerate(blocks):
                    kept, c = b.h_conv.kept, cs[l]
                    patch = hrow[l][:, :, s : s + kept].reshape(n, -1)
                    a = torch.addmm(b.h_conv.bias, patch, wh[l]).add_(rowterm[l][s])
                    g = torch.tanh(a[:, :p]).mul_(torch.sigmoid(a[:, p:]))
                    rs = torch.addmm(brs[l], g, wrs[l])
                    h_out = rs[:, :p] if b.first else rs[:, :p] + hrow[l][:, :, c + s]
                    skip = rs[:, p:] if skip is None else skip.add_(rs[:, p:])
                    if l + 1 < len(blocks):
                        hrow[l + 1][:, :, cs[l + 1] + s] = h_out
                logit = torch.addmm(head2.bias, torch.addmm(head1.bias, skip.relu(), w1).relu_(), w2)[:, 0]
                v, pv = draw(logit, True, generator)
                x[:, 0, r, s], probs[:, 0, r, s] = v, pv
                scaled = v * 2.0 - 1.0
                hrow[0][:, 0, cs[0] + s] = scaled
                vbuf[0][:, 0, r + cs[0], cs[0] + s] = scaled
        return x, probs
