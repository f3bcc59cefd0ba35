"""NADE: Neural Autoregressive Distribution Estimation (Larochelle & Murray, 2011).

For binary x in {0,1}^n, in the order ``order`` (raster by default), with H hidden units:

    h_i = sigma(c + W[:, <i] x_<i)                 (H,)   one hidden layer per conditional
    p(x_i = 1 | x_<i) = sigma(b_i + V_i . h_i)

with parameters W (H x n), c (H), V (n x H), b (n): 2nH + H + n in all. Every conditional
uses the same W, so the pre-activations obey a running sum,

    a_1 = c,    a_{i+1} = a_i + W[:, i] x_i,    h_i = sigma(a_i),

and all n conditionals cost O(nH) instead of the O(n^2 H) of computing each a_i afresh.

``running_sum_logits`` is that recursion written as a plain loop (readable, slow: two small ops
per pixel for autograd to record). ``NADE.forward`` computes the same numbers with a
hand-written backward pass (``_NADEFunction``) that works through the pixels in blocks: inside a
block of k pixels the pre-activations come from one small masked matrix product, between
blocks the running sum is carried, and the backward pass recomputes h block by block instead of
storing the (B, n, H) tensor of hidden activations. Sampling updates the running sum in O(H)
per pixel.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from arlib.models.base import AutoregressiveModel

__all__ = ["NADE", "running_sum_logits"]


def running_sum_logits(x: torch.Tensor, W: torch.Tensor, c: torch.Tensor, V: torch.Tensor,
                       b: torch.Tensor) -> torch.Tensor:
    """Logits of every p(x_i = 1 | x_<i) in index order, by the running sum (a plain Python loop).

    ``x`` (B, n) is already in the model's order, ``W`` (H, n), ``c`` (H,), ``V`` (n, H), ``b`` (n,).
    """
    a = c.expand(x.shape[0], -1)
    logits = []
    for i in range(x.shape[1]):
        h = torch.sigmoid(a)                      # h_i = sigma(c + W[:, <i] x_<i)
        logits.append(h @ V[i] + b[i])            # b_i + V_i . h_i
        a = a + x[:, i:i + 1] * W[:, i]           # a_{i+1} = a_i + W[:, i] x_i
    return torch.stack(logits, 1)


class _NADEFunction(torch.autograd.Function):
    """Logits ``(B, n)`` of NADE for ``x`` in order; forward and backward work in pixel blocks."""

    @staticmethod
    def _pre_activations(xb: torch.Tensor, Wb: torch.Tensor, run: torch.Tensor, tri: torch.Tensor,
                         out: torch.Tensor) -> torch.Tensor:
        """a_{s+t} = run + sum_{j<t} W[:, s+j] x_{s+j} for the block's m pixels, as (m, B, H)."""
        B, m = xb.shape
        Xm = (tri[:m, None, :m] * xb[None]).reshape(m * B, m)  # row (t, b): x_b masked to j < t
        A = torch.mm(Xm, Wb.T, out=out[: m * B].view(m * B, -1)).view(m, B, -1)
        A += run
        return A, Xm

    @staticmethod
    def forward(ctx, x, W, c, V, b, block: int):
        B, n = x.shape
        H = c.shape[0]
        tri = torch.ones(block, block, dtype=x.dtype, device=x.device).tril(-1)
        buf = torch.empty(block * B, H, dtype=x.dtype, device=x.device)
        logits = torch.empty(n, B, 1, dtype=x.dtype, device=x.device)
        run = c.expand(B, H).contiguous()
        for s in range(0, n, block):
            e = min(s + block, n)
            A, _ = _NADEFunction._pre_activations(x[:, s:e], W[:, s:e], run, tri, buf)
            run = torch.addmm(run, x[:, s:e], W[:, s:e].T)   # carry the running sum past the block
            torch.sigmoid(A, out=A)                            # h_i for the block's pixels
            torch.bmm(A, V[s:e, :, None], out=logits[s:e])     # V_i . h_i
        ctx.save_for_backward(x, W, c, V)
        ctx.block = block
        return logits.view(n, B).T + b

    @staticmethod
    def backward(ctx, g):
        x, W, c, V = ctx.saved_tensors
        block = ctx.block
        B, n = x.shape
        H = c.shape[0]
        kw = dict(dtype=x.dtype, device=x.device)
        g = g.contiguous()
        gT = g.T.contiguous()
        tri = torch.ones(block, block, **kw).tril(-1)
        buf, D = torch.empty(block * B, H, **kw), torch.empty(block, B, H, **kw)
        dW, dV = torch.empty_like(W), torch.empty_like(V)
        starts = list(range(0, n, block))
        runs, run = [], c.expand(B, H).contiguous()
        for s in starts:                                     # running sums at the block starts
            runs.append(run)
            run = torch.addmm(run, x[:, s:s + block], W[:, s:s + block].T)
        R = torch.zeros(B, H, **kw)                          # sum of dL/da_i over the pixels after the block
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else None
        for s, run in zip(reversed(starts), reversed(runs)):
            e = min(s + block, n)
            m = e - s
            h, Xm = _NADEFunction._pre_activations(x[:, s:e], W[:, s:e], run, tri, buf)
            torch.sigmoid(h, out=h)
            torch.bmm(gT[s:e, None, :], h, out=dV[s:e, None, :])        # dV_i = sum_b g_bi h_bi
            dA = D[:m]
            torch.mul(h, gT[s:e, :, None], out=dA)
            dA.mul_(V[s:e, None, :])
            dA.addcmul_(dA, h, value=-1)                                  # dL/da_i = g_i V_i h_i (1 - h_i)
            dWb = torch.mm(Xm.T, dA.view(m * B, H))                       # from the pixels inside the block
            dWb.addmm_(x[:, s:e].T, R)                                     # from every pixel after it
            dW[:, s:e] = dWb.T
            if dx is not None:                                             # dL/dx_j = W[:, j] . sum_{i>j} dL/da_i
                dXm = torch.mm(dA.view(m * B, H), W[:, s:e]).view(m, B, m)
                dx[:, s:e] = (dXm * tri[:m, None, :m]).sum(0) + R @ W[:, s:e]
            R += dA.sum(0)
        return dx, dW, R.sum(0), dV, g.sum(0), None


class NADE(AutoregressiveModel):
    """NADE with H sigmoid hidden units for binary vectors of length n.

    Args:
        n: number of dimensions (784 for binarized MNIST).
        H: number of hidden units.
        order: the ordering (a permutation of range(n), as a list); raster order by default.
        block: pixels per block in the fused evaluation (a speed knob; results do not depend on it).
    """

    def __init__(self, n: int = 784, H: int = 500, order: list[int] | None = None, block: int = 16):
        super().__init__((n,), order=None if order is None else torch.as_tensor(order))
        if H < 1 or block < 1:
            raise ValueError(f"H and block must be >= 1, got H={H}, block={block}")
        self.config = {"n": n, "H": H, "order": None if order is None else [int(i) for i in order],
                       "block": block}
        self.H, self.block = H, block
        self._natural = order is None or torch.equal(self.order, torch.arange(n))
        g = torch.Generator().manual_seed(0)
        self.W = nn.Parameter(torch.randn(H, n, generator=g) / math.sqrt(n))
        self.c = nn.Parameter(torch.zeros(H))
        self.V = nn.Parameter(torch.randn(n, H, generator=g) / math.sqrt(H))
        self.b = nn.Parameter(torch.zeros(n))

    def _ordered(self):
        """The parameters permuted into the model's order (free when the order is natural)."""
        if self._natural:
            return self.W, self.c, self.V, self.b
        o = self.order
        return self.W[:, o], self.c, self.V[o], self.b[o]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_i = 1 | x_<i) for every i, ``(B, n)``, in O(nH) per example."""
        W, c, V, b = self._ordered()
        xo = x if self._natural else x[:, self.order]
        logits = _NADEFunction.apply(xo.contiguous(), W, c, V, b, self.block)
        if self._natural:
            return logits
        out = torch.empty_like(logits)
        out[:, self.order] = logits
        return out

    def forward_running_sum(self, x: torch.Tensor) -> torch.Tensor:
        """The same logits from ``running_sum_logits``: the plain loop, for tests and benchmarks."""
        W, c, V, b = self._ordered()
        xo = x if self._natural else x[:, self.order]
        logits = running_sum_logits(xo, W, c, V, b)
        out = torch.empty_like(logits)
        out[:, self.order] = logits
        return out

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_probs: bool = False):
        """Ancestral sampling in ``self.order``; the running sum a is updated in O(H) per pixel."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        dev, dt = self._device(), self._dtype()
        x = torch.zeros(n, self.D, dtype=dt, device=dev)
        probs = torch.zeros_like(x)
        u = torch.rand(n, self.D, generator=generator, dtype=dt).to(dev)
        a = self.c.expand(n, -1).clone()                       # a_1 = c
        for i in self.order.tolist():
            p = torch.sigmoid(torch.sigmoid(a) @ self.V[i] + self.b[i])
            x[:, i] = (u[:, i] < p).to(dt)
            probs[:, i] = p
            a.addr_(x[:, i], self.W[:, i])                     # a += W[:, i] x_i
        return (x, probs) if return_probs else x
