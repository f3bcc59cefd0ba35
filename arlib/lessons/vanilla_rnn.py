"""The lecture's RNN written out as a loop (chapter 7)::

      h_0     = b_0                                  (summary initialisation)
      h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1})        (summary update)
      o_{t+1} = W_hy h_{t+1}                         (prediction)

``to_torch()`` returns a ``torch.nn.RNN`` (no biases) holding the same weights, so the two can be
checked against each other; ``arlib.models.PixelRNN`` is the library's autoregressive model.
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["VanillaRNN"]


class VanillaRNN(nn.Module):
    """The lecture's RNN: parameters ``b_0`` (H), ``W_xh`` (H x d), ``W_hh`` (H x H), ``W_hy`` (k x H).

    ``forward(x)`` takes a batch of sequences ``(B, T, d)`` and returns ``(o, h)``: the
    predictions ``o_1..o_T`` ``(B, T, k)`` and the summaries ``h_1..h_T`` ``(B, T, H)``.
    A Python loop over t, on purpose: it is the recurrence, step by step.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1, seed: int | None = None):
        super().__init__()
        self.config = {"input_size": input_size, "hidden_size": hidden_size, "output_size": output_size}
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        s = 1.0 / math.sqrt(hidden_size)  # nn.RNN's initialisation: U(-1/sqrt(H), 1/sqrt(H))

        def u(*shape):
            return nn.Parameter((torch.rand(*shape, generator=g) * 2 - 1) * s)

        self.b_0 = u(hidden_size)
        self.W_xh = u(hidden_size, input_size)
        self.W_hh = u(hidden_size, hidden_size)
        self.W_hy = u(output_size, hidden_size)

    def step(self, h_t: torch.Tensor, x_next: torch.Tensor) -> torch.Tensor:
        """One summary update: h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1}), batched over rows."""
        return torch.tanh(h_t @ self.W_hh.T + x_next @ self.W_xh.T)

    def h0(self, batch_size: int) -> torch.Tensor:
        """h_0 = b_0 for every sequence of the batch, ``(B, H)``."""
        return self.b_0.expand(batch_size, -1)

    def forward(self, x: torch.Tensor, h_0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 3 or x.shape[2] != self.W_xh.shape[1]:
            raise ValueError(f"VanillaRNN expects sequences of shape (B, T, {self.W_xh.shape[1]}), got {tuple(x.shape)}")
        h = self.h0(x.shape[0]) if h_0 is None else h_0
        hs = []
        for t in range(x.shape[1]):
            h = self.step(h, x[:, t])
            hs.append(h)
        H = torch.stack(hs, 1)
        return H @ self.W_hy.T, H

    def to_torch(self) -> nn.RNN:
        """A ``torch.nn.RNN`` (tanh, no biases, batch_first) with these weights; give it ``h_0 = b_0``."""
        H, d = self.W_xh.shape
        rnn = nn.RNN(d, H, bias=False, batch_first=True, nonlinearity="tanh")
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(self.W_xh)
            rnn.weight_hh_l0.copy_(self.W_hh)
        return rnn
