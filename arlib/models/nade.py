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
storing the (B, n, H) tensor of hidden activations. When the loss is the model's own NLL (binary
cross-entropy against the input, as in training) the gradient is computed in the forward sweep
itself, so a training step costs one sweep instead of two; and the batch is split over the
threads, each chunk swept on one thread. Sampling updates the running sum in O(H) per pixel.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from arlib.layers import one_thread
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


_POOL: tuple[int, ThreadPoolExecutor] | None = None   # (pid, pool): a forked child makes its own


def _on_one_thread(fn, args):
    torch.set_num_threads(1)    # per OS thread: no OpenMP team of its own inside a worker
    with torch.no_grad():       # grad mode is per thread; the Function's own is off
        return fn(*args)


def _in_parallel(fn, chunks: list[tuple]) -> list:
    """``[fn(*args) for args in chunks]``, the chunks run side by side, each on one thread.

    NADE's sweeps are sequential over pixel blocks but independent across the batch, so the batch
    is split into ``torch.get_num_threads()`` chunks. Coarse threads beat OpenMP inside every small
    op: no barrier after each of ~1,500 ops a step, and on a busy machine no spinning thread
    stealing the core the other one needs. Every op runs on one thread meanwhile (``one_thread``).
    """
    global _POOL
    with one_thread():
        if len(chunks) == 1:
            return [fn(*chunks[0])]
        if _POOL is None or _POOL[0] != os.getpid() or _POOL[1]._max_workers < len(chunks) - 1:
            _POOL = (os.getpid(), ThreadPoolExecutor(len(chunks) - 1, thread_name_prefix="arlib-nade"))
        futures = [_POOL[1].submit(_on_one_thread, fn, args) for args in chunks[1:]]
        first = fn(*chunks[0])
        return [first] + [f.result() for f in futures]


def _chunks(B: int) -> list[slice]:
    """The batch split into one chunk per thread (chunks of at least 8 examples)."""
    k = max(1, min(torch.get_num_threads(), B // 8))
    edges = [B * i // k for i in range(k + 1)]
    return [slice(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]


class _NADEFunction(torch.autograd.Function):
    """Logits ``(B, n)`` of NADE for ``x`` in order; forward and backward work in blocks of m pixels.

    A block s..s+m-1 is one (m + 1, B, H) buffer, small enough to stay in cache. Slab t < m holds
    the block's pixel s+t: a_{s+t} = a_s + sum_{j<t} x_{s+j} W[:, s+j] is the running sum a_s at the
    block's start plus one masked matrix product (slab m: the next block's start). Slab t then holds
    h = sigma(a), computed in place. Pixels are zero-padded to a multiple of m.

    The backward pass needs, per pixel i, dL/da_i = g_i V_i h_i (1 - h_i) with g_i = dL/dlogit_i,
    and dW[:, j] = sum_b x_bj sum_{i>j} dL/da_bi, a sum over the pixels *after* j; it walks the
    blocks from last to first, carrying that sum R in slab m of the buffer (the weights g_i go into
    the small operands of the products, not into the buffer). It recomputes h block by block from
    the saved running sums instead of storing the (B, n, H) hidden units (writing and reading them
    costs more than recomputing on this CPU).

    **One sweep for the likelihood's gradient.** When the loss is the negative log-likelihood
    (binary cross-entropy with logits against ``x`` itself, summed or averaged with one weight w for
    every entry), g = w (sigma(logit) - x) is known as soon as a block's logits are. So with
    ``fuse`` the forward pass walks the blocks backwards (the running sums at the block starts come
    first, from one batched product) and computes the gradient for w = 1 as it goes; the backward
    pass checks that g is w (sigma(logit) - x) for one number w (to float round-off) and returns w
    times that gradient. For any other g it recomputes as above. Exact either way.

    The batch is split into chunks that run side by side (``_in_parallel``).
    """

    #: what the last backward pass did: "fused" (the forward sweep's gradient) or "recomputed"
    last_backward = ""

    @staticmethod
    def _masked(x, m):
        """Padded x^T (padded n, B) and the masked inputs Xm (blocks, m + 1, B, m) of a block's product."""
        B, n = x.shape
        nb = -(-n // m)
        xT = x.new_zeros(nb * m, B)
        xT[:n] = x.T
        mask = torch.ones(m + 1, m, dtype=x.dtype, device=x.device).tril(-1)  # slab t sees pixels j < t
        Xm = torch.mul(mask[:, None, :], xT.view(nb, 1, m, B).transpose(2, 3),  # (nb, m+1, B, m)
                       out=x.new_empty(nb, m + 1, B, m))
        return xT, Xm

    @staticmethod
    def _padded(t, rows):
        out = t.new_zeros(rows, *t.shape[1:])
        out[:t.shape[0]] = t
        return out

    @staticmethod
    def _forward_chunk(x, WT, Vp, c, m):
        """V_i . h_i (padded n, B) and the running sums a_s at the block starts (blocks + 1, B, H)."""
        B, H, nb = x.shape[0], WT.shape[1], WT.shape[0] // m
        _, Xm = _NADEFunction._masked(x, m)
        A = x.new_empty(m + 1, B, H)
        VT = x.new_empty(nb * m, 1, B)
        runs = x.new_empty(nb + 1, B, H)
        runs[0] = c
        # every per-block view made once, outside the loop (the loop runs ~100 times per call)
        A2, Am, h = A.view(-1, H), A[m], A[:m]
        ht = h.transpose(1, 2)
        blocks = zip(Xm.view(nb, -1, m), WT.view(nb, m, H), runs[:-1], runs[1:], Vp.view(nb, m, 1, H),
                     VT.view(nb, m, 1, B))
        for X_k, WT_k, run_k, run_next, V_k, VT_k in blocks:
            torch.mm(X_k, WT_k, out=A2)                       # sum_{j<t} x_{s+j} W[:, s+j]
            A += run_k                                        # a_{s+t}, and a_{s+m} in slab m
            run_next.copy_(Am)
            h.sigmoid_()                                      # h_i = sigma(a_i)
            torch.bmm(V_k, ht, out=VT_k)                      # V_i . h_i
        return VT[:, 0], runs

    @staticmethod
    def _backward_chunk(x, g, WT, V3, runs, m, need_dx, bp=None, n=None):
        """The gradient for the chunk, sweeping the blocks from last to first.

        With ``bp`` (the padded biases b_i) this is the fused forward sweep: h comes from the
        running sums, the logits from h, and g = sigma(logit) - x (``g`` is then ignored).
        Returns (dW^T padded, R = sum_i dL/da_i, sum_b g_bi h_bi, g^T padded, logits^T padded, dx)."""
        B, H, nb = x.shape[0], WT.shape[1], WT.shape[0] // m
        fused = bp is not None
        xT, Xm = _NADEFunction._masked(x, m)
        A = x.new_empty(m + 1, B, H)
        Gx = x.new_ones(B, m + 1)                             # weights of the slabs: g_i, and 1 for R
        XG = x.new_empty(m + 1, B, m)                         # Xm weighted by them
        R = x.new_zeros(B, 1, H)                              # sum of dL/da_i over the pixels after the block
        dWT, gh = x.new_empty(nb * m, H), x.new_empty(nb * m, 1, H)
        gT = x.new_empty(nb * m, B) if fused else _NADEFunction._padded(g.T, nb * m)
        if fused:
            gT[n:] = 0                                        # padding
        L = x.new_empty(nb * m, 1, B) if fused else None     # the logits
        dx = x.new_empty(B, nb * m) if need_dx else None
        mask = torch.ones(m + 1, m, dtype=x.dtype, device=x.device).tril(-1)
        # every per-block view made once, outside the loop (the loop runs ~100 times per call)
        A2, Am, h, R0 = A.view(-1, H), A[m], A[:m], R[:, 0]
        h2, ht, At = h.reshape(-1, H), h.transpose(1, 2), A.transpose(0, 1)
        Gxm, GxT3, Gx3, XGT = Gx[:, :m], Gx.T[:, :, None], Gx[:, None, :], XG.view(-1, m).T
        Xs, WTs = Xm.unbind(0), WT.view(nb, m, H).unbind(0)
        XAs = Xm[:, :m].reshape(nb, -1, m).unbind(0)
        V3s, gTs, ghs = V3.view(nb, m, 1, H).unbind(0), gT.view(nb, m, B).unbind(0), gh.view(nb, m, 1, H).unbind(0)
        if fused:
            Ls, bps, xTs = L.view(nb, m, 1, B).unbind(0), bp.view(nb, m, 1, 1).unbind(0), xT.view(nb, m, B).unbind(0)
        for k in reversed(range(nb)):
            torch.mm(XAs[k], WTs[k], out=h2)
            h += runs[k]
            h.sigmoid_()                                      # h_i = sigma(a_i), as in forward
            G = gTs[k]
            if fused:                                         # g_i = sigma(logit_i) - x_i (w = 1)
                torch.baddbmm(bps[k], V3s[k], ht, out=Ls[k])  # b_i + V_i . h_i
                torch.sigmoid(Ls[k][:, 0], out=G)
                G -= xTs[k]
                if (k + 1) * m > n:
                    G[n - k * m:] = 0                         # padding
            Gxm.copy_(G.T)
            torch.bmm(G[:, None, :], h, out=ghs[k])           # sum_b g_bi h_bi
            torch.ops.aten.sigmoid_backward.grad_input(V3s[k], h, grad_input=h)  # V_i h_i (1 - h_i)
            Am.copy_(R0)                                      # slab m: dL/da summed after the block
            # dW[:, j] = sum_b x_bj sum_{i>j} g_bi (dlogit_i/da_bi): slabs t > j of the block, and slab m
            torch.mul(Xs[k], GxT3, out=XG)
            torch.mm(XGT, A2, out=dWT[k * m:(k + 1) * m])
            if dx is not None:                                # dL/dx_j = W[:, j] . sum_{i>j} dL/da_i
                dXm = torch.mm(A2, WTs[k].T).view(m + 1, B, m)
                dx[:, k * m:(k + 1) * m] = (dXm * (mask[:, None, :] * GxT3)).sum(0)
            torch.bmm(Gx3, At, out=R)                         # R for the block before
        return dWT, R0, gh[:, 0], gT, None if L is None else L[:, 0], dx

    @staticmethod
    def _block_starts(x, WT, c, m):
        """a_s at every block start s (blocks, B, H): c plus the blocks before, one product."""
        B, H, nb = x.shape[0], WT.shape[1], WT.shape[0] // m
        xp = x.new_zeros(B, nb * m)
        xp[:, :x.shape[1]] = x
        runs = x.new_empty(nb, B, H)
        runs[0] = c
        torch.bmm(xp.view(B, nb, m)[:, :-1].transpose(0, 1), WT[:-m].view(nb - 1, m, H), out=runs[1:])
        for k in range(1, nb):      # (a loop of in-place adds: 3x faster than cumsum_ along dim 0 here)
            runs[k] += runs[k - 1]
        return runs

    @staticmethod
    def forward(ctx, x, W, c, V, b, block: int, fuse: bool | None = None):
        B, n = x.shape
        m = block
        nb = -(-n // m)
        if fuse is None:
            fuse = any(ctx.needs_input_grad[1:])
        fuse = fuse and not ctx.needs_input_grad[0]
        WT = _NADEFunction._padded(W.T, nb * m)              # W^T, zero-padded
        Vp = _NADEFunction._padded(V, nb * m)
        parts = _chunks(B)
        ctx.block, ctx.fused, ctx.parts = block, fuse, parts
        if not fuse:
            out = _in_parallel(_NADEFunction._forward_chunk, [(x[p], WT, Vp, c, m) for p in parts])
            ctx.runs = [r for _, r in out]
            ctx.save_for_backward(x, W, V)
            VT = torch.cat([v for v, _ in out], 1)
            return torch.add(b, VT[:n].T, out=x.new_empty(B, n))   # b_i + V_i . h_i

        V3 = Vp[:, None, :]
        bp = _NADEFunction._padded(b, nb * m)

        def sweep(xc):
            runs = _NADEFunction._block_starts(xc, WT, c, m)
            return runs, _NADEFunction._backward_chunk(xc, None, WT, V3, runs, m, False, bp, n)

        out = _in_parallel(sweep, [(x[p],) for p in parts])
        ctx.runs = [r for r, _ in out]
        dWT = sum(o[0] for _, o in out)
        gT = torch.cat([o[3] for _, o in out], 1)[:n]
        gsum = gT.sum(1)
        ctx.grads = (dWT[:n].T, sum(o[1].sum(0) for _, o in out), sum(o[2] for _, o in out)[:n], gsum)
        ctx.save_for_backward(x, W, V, gT)
        return torch.cat([o[4] for _, o in out], 1)[:n].T.contiguous()

    @staticmethod
    def backward(ctx, g):
        x, W, V, *rest = ctx.saved_tensors
        B, n = x.shape
        if ctx.fused:
            G = rest[0].T                                     # sigma(logit) - x
            w = (g * G).sum() / (G * G).sum().clamp_min(torch.finfo(G.dtype).tiny)
            if (g - w * G).abs().max() <= 16 * torch.finfo(g.dtype).eps * w.abs():
                _NADEFunction.last_backward = "fused"
                return (None, *(t * w for t in ctx.grads), None, None)
        _NADEFunction.last_backward = "recomputed"
        m = ctx.block
        nb = -(-n // m)
        WT = _NADEFunction._padded(W.T, nb * m)
        V3 = _NADEFunction._padded(V, nb * m)[:, None, :]
        need_dx = ctx.needs_input_grad[0]
        out = _in_parallel(_NADEFunction._backward_chunk,
                           [(x[p], g[p], WT, V3, r, m, need_dx) for p, r in zip(ctx.parts, ctx.runs)])
        dWT = sum(o[0] for o in out)
        dc = sum(o[1].sum(0) for o in out)
        dV = sum(o[2] for o in out)[:n]                     # dV_i = sum_b g_bi h_bi
        dx = torch.cat([o[5] for o in out])[:, :n] if need_dx else None
        return dx, dWT[:n].T, dc, dV, g.sum(0), None, None


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
        logits = _NADEFunction.apply(xo.contiguous(), W, c, V, b, self.block, torch.is_grad_enabled())
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
