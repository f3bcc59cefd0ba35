"""Recurrent neural networks as autoregressive models (chapter 7).

* ``VanillaRNN``: the lecture's recurrence, written out::

      h_0     = b_0                                  (summary initialisation)
      h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1})        (summary update)
      o_{t+1} = W_hy h_{t+1}                         (prediction)

  ``to_torch()`` returns a ``torch.nn.RNN`` (no biases) holding the same weights, so the
  two can be checked against each other.

* ``PixelRNN``: a gated cell (``torch.nn.LSTM`` or ``torch.nn.GRU``) run over the 784 pixels
  of a binarized MNIST image in raster order.  The input at step t is the *previous* pixel
  x_{t-1} (inputs shifted by one, a start value at t = 1), so the output at step t sees only
  x_{<t}: p(x_t = 1 | x_{<t}) = sigma(w^T h_t + c).  Evaluating the likelihood is one call of
  the cell over the whole sequence (784 sequential steps inside it); sampling carries the
  hidden state and runs the cell once per pixel (O(1) cell steps per pixel, not a rerun of
  the sequence); ``complete`` reads the given top rows in one call and samples the rest.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from arlib.models.base import AutoregressiveModel
from arlib.sampling import draw

__all__ = ["VanillaRNN", "PixelRNN"]


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


_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class PixelRNN(AutoregressiveModel):
    """A gated RNN over the pixels of a binary image in raster order (the lecture's "RNN over pixels").

    Args:
        hidden_size: H, the size of the summary h_t.
        num_layers: stacked recurrent layers.
        cell: ``"lstm"`` or ``"gru"`` (``torch.nn.LSTM`` / ``torch.nn.GRU``).
        image_size: side of the square image (28 for MNIST); the sequence has n = image_size**2 pixels.

    Parameters: the cell's weights, the learned initial summary ``b_0`` (h_0, and c_0 for an LSTM,
    per layer) and the output layer ``W_hy``, ``c`` (one Bernoulli logit per step).
    """

    def __init__(self, hidden_size: int = 128, num_layers: int = 1, cell: str = "lstm", image_size: int = 28):
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
        super().__init__((1, image_size, image_size))
        self.config = {"hidden_size": hidden_size, "num_layers": num_layers, "cell": cell, "image_size": image_size}
        self.cell_type = cell
        self.rnn = _CELLS[cell](1, hidden_size, num_layers=num_layers, batch_first=True)
        n_states = 2 if cell == "lstm" else 1
        self.b_0 = nn.Parameter(torch.zeros(n_states, num_layers, hidden_size))  # h_0 (and c_0) = b_0
        self.W_hy = nn.Linear(hidden_size, 1)

    # ------------------------------------------------------------------ pieces
    @staticmethod
    def encode(x: torch.Tensor) -> torch.Tensor:
        """Pixel values {0, 1} -> cell inputs {-1, +1}; the start value is 0 (no pixel yet)."""
        return 2 * x - 1

    def initial_state(self, batch_size: int):
        """The summary before any pixel: ``b_0`` expanded over the batch (the cell's state format)."""
        s = self.b_0[:, :, None, :].expand(-1, -1, batch_size, -1).contiguous()
        return (s[0], s[1]) if self.cell_type == "lstm" else s[0]

    def shifted_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, n, 1)`` cell inputs: step t gets x_{t-1}; step 1 gets the start value 0."""
        seq = self.encode(x.reshape(x.shape[0], -1))
        return torch.cat([seq.new_zeros(x.shape[0], 1), seq[:, :-1]], 1)[..., None]

    # --------------------------------------------------------------- interface
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_t = 1 | x_{<t}) for all t in one call of the cell, shaped like ``x``."""
        B = x.shape[0]
        h, _ = self.rnn(self.shifted_inputs(x), self.initial_state(B))
        return self.W_hy(h).view(B, *self.event_shape)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_probs: bool = False):
        """Ancestral sampling in raster order, carrying the summary: one cell step per pixel."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        dev, dt = self._device(), self._dtype()
        x, p = self._continue(torch.zeros(n, self.D, device=dev, dtype=dt), 0, self.initial_state(n), generator)
        x, p = x.view(n, *self.event_shape), p.view(n, *self.event_shape)
        return (x, p) if return_probs else x

    @torch.no_grad()
    def complete(self, x_top: torch.Tensor, rows_given: int, n_samples: int = 1,
                 generator: torch.Generator | None = None, return_probs: bool = False):
        """Image completion: keep the first ``rows_given`` rows of each image, sample the rest.

        ``x_top``: ``(B, 1, S, S)`` or ``(B, S*S)`` binary images (rows at and below
        ``rows_given`` are ignored). Returns ``(B, n_samples, 1, S, S)`` completions (and the
        probabilities p(x_t = 1 | x_<t) they were drawn from, 1 or 0 on the given rows, with
        ``return_probs``). The given rows are read in one call of the cell; then one step per pixel.
        """
        S = self.event_shape[-1]
        if not (isinstance(rows_given, int) and 0 <= rows_given <= S):
            raise ValueError(f"rows_given must be an int in [0, {S}], got {rows_given!r}")
        if not isinstance(n_samples, int) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
        x_top = x_top.reshape(x_top.shape[0], *self.event_shape) if x_top.dim() == 2 else x_top
        self.check_input(x_top)
        B, k = x_top.shape[0], rows_given * S
        dev, dt = self._device(), self._dtype()
        x = x_top.to(dev, dt).reshape(B, -1).repeat_interleave(n_samples, 0)
        x[:, k:] = 0
        N = x.shape[0]
        state = self.initial_state(N)
        if k > 0:  # read the given pixels x_1..x_{k-1} as inputs of steps 1..k (teacher forcing)
            _, state = self.rnn(self.shifted_inputs(x)[:, :k], state)
        x, p = self._continue(x, k, state, generator)
        out = x.view(B, n_samples, *self.event_shape)
        return (out, p.view(B, n_samples, *self.event_shape)) if return_probs else out

    def _continue(self, x: torch.Tensor, k: int, state, generator):
        """Sample pixels k, k+1, ..., n-1 of the flat batch ``x`` given ``state`` (the summary of steps < k)."""
        p = x.clone()  # given pixels keep probability 1 for the value they have
        if k == self.D:
            return x, p
        inp = (self.encode(x[:, k - 1]) if k > 0 else x.new_zeros(x.shape[0]))[:, None, None]
        for t in range(k, self.D):
            h, state = self.rnn(inp, state)  # one cell step
            x[:, t], p[:, t] = draw(self.W_hy(h[:, 0, :])[:, 0], True, generator)
            inp = self.encode(x[:, t])[:, None, None]
        return x, p
