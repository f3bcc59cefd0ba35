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
    """Logits ``(B, n)`` of NADE for ``x`` in order; forward and backward work in blocks of m pixels.

    A block s..s+m-1 is one (m + 1, B, H) buffer, small enough to stay in cache. Slab t < m holds
    the block's pixel s+t, slab m the next block's start: a_{s+t} = a_s + sum_{j<t} x_{s+j} W[:, s+j]
    is the running sum a_s carried from the previous block plus one masked matrix product. Slab t
    then holds T = tanh(a / 2) rather than h = sigma(a) = (1 + T) / 2 (tanh is cheaper than sigmoid
    on CPU, and the halves fold into the products). The backward pass recomputes T block by block
    from the saved a_s instead of storing the (B, n, H) hidden units, and keeps in slab m the sum of
    dL/da_i over the pixels after the block. Pixels are zero-padded to a multiple of m.
    """

    @staticmethod
    def _operands(x, W, m):
        """Masked inputs Xm (blocks, m + 1, B, m) and W^T / 2 (padded n, H), both zero-padded."""
        B, n = x.shape
        nb = -(-n // m)
        xp = x.new_zeros(B, nb * m)
        xp[:, :n] = x
        WT = W.new_zeros(nb * m, W.shape[0])
        torch.mul(W.T, 0.5, out=WT[:n])
        mask = torch.ones(m + 1, m, dtype=x.dtype, device=x.device).tril(-1)  # slab t sees pixels j < t
        Xm = torch.mul(mask[:, None, :], xp.view(B, nb, m).transpose(0, 1)[:, None],  # (nb, m+1, B, m)
                       out=x.new_empty(nb, m + 1, B, m))
        return Xm, WT, mask

    @staticmethod
    def _padded(t, rows):
        out = t.new_zeros(rows, *t.shape[1:])
        out[:t.shape[0]] = t
        return out

    @staticmethod
    def forward(ctx, x, W, c, V, b, block: int):
        B, n = x.shape
        H, m = c.shape[0], block
        Xm, WT, _ = _NADEFunction._operands(x, W, m)
        nb = Xm.shape[0]
        Vp = _NADEFunction._padded(V, nb * m)
        A = x.new_empty(m + 1, B, H)
        runs = x.new_empty(nb + 1, B, H)                      # a_s / 2 at every block start s
        VT = x.new_empty(nb * m, 1, B)
        runs[0] = c / 2
        for k in range(nb):
            s = k * m
            torch.mm(Xm[k].view(-1, m), WT[s:s + m], out=A.view(-1, H))   # sum_{j<t} x_{s+j} W[:, s+j] / 2
            A += runs[k]                                      # a_{s+t} / 2, and a_{s+m} / 2 in slab m
            runs[k + 1] = A[m]
            T = torch.tanh(A[:m], out=A[:m])                  # T_i = tanh(a_i / 2)
            torch.bmm(Vp[s:s + m, None, :], T.transpose(1, 2), out=VT[s:s + m])   # V_i . T_i
        ctx.save_for_backward(x, W, V, runs)
        ctx.block = block
        b_half = torch.addcmul(b, V.sum(1), torch.tensor(0.5, dtype=x.dtype))   # b_i + V_i . 1 / 2
        return torch.add(b_half, VT[:n, 0].T, alpha=0.5, out=x.new_empty(B, n))  # b_i + V_i . h_i

    @staticmethod
    def backward(ctx, g):
        x, W, V, runs = ctx.saved_tensors
        B, n = x.shape
        H, m = W.shape[0], ctx.block
        Xm, WT, mask = _NADEFunction._operands(x, W, m)
        nb = Xm.shape[0]
        gT = _NADEFunction._padded(g.T, nb * m)               # (padded n, B): g_i = dL/dlogit_i
        V4 = _NADEFunction._padded(V / 4, nb * m)[:, None, :]
        A = x.new_empty(m + 1, B, H)
        R = x.new_zeros(B, H)                                 # sum of dL/da_i over the pixels after the block
        dWT, gT_T = x.new_empty(nb * m, H), x.new_empty(nb * m, 1, H)
        dx = x.new_empty(B, nb * m) if ctx.needs_input_grad[0] else None
        for k in reversed(range(nb)):
            s, g_blk = k * m, gT[k * m:(k + 1) * m]
            T = A[:m]
            A[m] = R                                          # slab m: dL/da summed after the block
            torch.mm(Xm[k, :m].reshape(-1, m), WT[s:s + m], out=T.view(-1, H))
            T += runs[k]
            torch.tanh(T, out=T)                              # T_i = tanh(a_i / 2), as in forward
            torch.bmm(g_blk[:, None, :], T, out=gT_T[s:s + m])   # sum_b g_bi T_bi
            torch.ops.aten.tanh_backward.grad_input(V4[s:s + m], T, grad_input=T)  # V_i (1 - T_i^2) / 4
            T.mul_(g_blk[:, :, None])                         # dL/da_i = g_i V_i h_i (1 - h_i)
            # dW[:, j] = sum_b x_bj sum_{i>j} dL/da_bi: slabs t > j of the block, and slab m (all after it)
            torch.mm(Xm[k].view(-1, m).T, A.view(-1, H), out=dWT[s:s + m])
            if dx is not None:                                # dL/dx_j = W[:, j] . sum_{i>j} dL/da_i
                dXm = torch.mm(A.view(-1, H), WT[s:s + m].T).view(m + 1, B, m)
                dx[:, s:s + m] = (dXm * mask[:, None, :]).sum(0) * 2
            torch.sum(A, 0, out=R)                            # R for the block before
        dc = R.sum(0)
        dV = (gT_T[:n, 0] + g.sum(0)[:, None]).mul_(0.5)      # dV_i = sum_b g_bi (1 + T_bi) / 2
        return None if dx is None else dx[:, :n], dWT[:n].T, dc, dV, g.sum(0), None


class NADE(AutoregressiveModel):
    """NADE with H sigmoid hidden units for binary vectors of length n.

    Args:
        n: number of dimensions (784 for binarized MNIST).
        H: number of hidden units.
        order: the ordering (a permutation of range(n), as a list); raster order by default.
        block: pixels per block in the fused evaluation (a speed knob; results do not depend on it).
    """

    def __init__(self, n: int = 784, H: int = 500, order: list[int] | None = None, block: int = 8):
        super().__init__((n,), order=None if order is None else torch.as_tensor(order))
        if H < 1 or block < 1:
            raise ValueError(f"H and block must be >= 1, got H={H}, block={block}")
        self.H, self.block = H, block
        self._natural = order is None or torch.equal(self.order, torch.arange(n))
        g = torch.Generator().manual_seed(0)
        self.W = nn.Parameter(torch.randn(H, n, generator=g) / math.sqrt(n))
        self.c = nn.Parameter(torch.zeros(H))
        self.V = nn.Parameter(torch.randn(n, H, generator=g) / math.sqrt(H))
        self.b = nn.Parameter(torch.zeros(n))

    @classmethod
    def examples(cls) -> list["NADE"]:
        return [cls(9, 5, block=4), cls(9, 5, order=[4, 0, 8, 2, 6, 1, 7, 3, 5], block=16)]

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
    def generate(self, n: int, choose, **cond) -> torch.Tensor:
        """Ancestral loop in ``self.order``; the running sum a is updated in O(H) per pixel."""
        self.check_n(n)
        self.check_cond(cond)
        x = torch.zeros(n, self.D, dtype=self.dtype, device=self.device)
        a = self.c.expand(n, -1).clone()                       # a_1 = c
        for i in self.order.tolist():
            x[:, i] = choose(i, torch.sigmoid(a) @ self.V[i] + self.b[i])
            a.addr_(x[:, i], self.W[:, i])                     # a += W[:, i] x_i
        return x
