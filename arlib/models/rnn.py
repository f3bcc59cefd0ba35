"""Recurrent neural networks as autoregressive models (chapter 7; the lecture's plain recurrence,
written out as a loop, is ``arlib.lessons.vanilla_rnn.VanillaRNN``).

* ``PixelRNN``: a gated cell (``torch.nn.LSTM`` or ``torch.nn.GRU``) run over the 784 pixels
  of a binarized MNIST image in raster order.  The input at step t is the *previous* pixel
  x_{t-1} (inputs shifted by one, a start value at t = 1), so the output at step t sees only
  x_{<t}: p(x_t = 1 | x_{<t}) = sigma(w^T h_t + c).  Evaluating the likelihood is one call of
  the cell over the whole sequence (784 sequential steps inside it); sampling carries the
  hidden state and runs the cell once per pixel (O(1) cell steps per pixel, not a rerun of
  the sequence); ``complete`` reads the given top rows in one call and samples the rest.
"""
from __future__ import annotations

import torch
from torch import nn

from arlib.models.base import AutoregressiveModel
from arlib.sampling import draw

__all__ = ["PixelRNN"]

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

    @classmethod
    def examples(cls) -> list["PixelRNN"]:
        return [cls(6, 1, "lstm", image_size=4), cls(5, 2, "gru", image_size=3)]

    # --------------------------------------------------------------- interface
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_t = 1 | x_{<t}) for all t in one call of the cell, shaped like ``x``."""
        B = x.shape[0]
        h, _ = self.rnn(self.shifted_inputs(x), self.initial_state(B))
        return self.W_hy(h).view(B, *self.event_shape)

    @torch.no_grad()
    def generate(self, n: int, choose, **cond) -> torch.Tensor:
        """Ancestral loop in raster order, carrying the summary: one cell step per pixel."""
        self.check_n(n)
        self.check_cond(cond)
        x = torch.zeros(n, self.D, device=self.device, dtype=self.dtype)
        return self._continue(x, 0, self.initial_state(n), choose).view(n, *self.event_shape)

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
        dev, dt = self.device, self.dtype
        x = x_top.to(dev, dt).reshape(B, -1).repeat_interleave(n_samples, 0)
        x[:, k:] = 0
        N = x.shape[0]
        state = self.initial_state(N)
        if k > 0:  # read the given pixels x_1..x_{k-1} as inputs of steps 1..k (teacher forcing)
            _, state = self.rnn(self.shifted_inputs(x)[:, :k], state)
        p = x.clone()  # given pixels keep probability 1 for the value they have

        def choose(t: int, logits: torch.Tensor) -> torch.Tensor:
            v, p[:, t] = draw(logits, True, generator)
            return v

        x = self._continue(x, k, state, choose)
        out = x.view(B, n_samples, *self.event_shape)
        return (out, p.view(B, n_samples, *self.event_shape)) if return_probs else out

    def _continue(self, x: torch.Tensor, k: int, state, choose) -> torch.Tensor:
        """Set pixels k, k+1, ..., n-1 of the flat batch ``x`` with ``choose(t, logits)``, given
        ``state`` (the summary of steps < k)."""
        if k == self.D:
            return x
        inp = (self.encode(x[:, k - 1]) if k > 0 else x.new_zeros(x.shape[0]))[:, None, None]
        for t in range(k, self.D):
            h, state = self.rnn(inp, state)  # one cell step
            x[:, t] = choose(t, self.W_hy(h[:, 0, :])[:, 0])
            inp = self.encode(x[:, t])[:, None, None]
        return x
