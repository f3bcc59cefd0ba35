"""Checkers for the exercises of chapter 7 (RNNs as autoregressive models)."""
from __future__ import annotations

import math

import torch

from arlib.exercises import ExerciseError, passed
from arlib.lessons.vanilla_rnn import VanillaRNN
from arlib.models import PixelRNN
from arlib.testing import AutoregressiveViolation, assert_autoregressive

__all__ = ["check_rnn_param_count", "check_shifted_inputs", "check_stepwise_log_prob", "check_gradient_factor"]


def check_rnn_param_count(count) -> str:
    """``count(d, H, k)``: parameters of the lecture's RNN (b_0, W_xh, W_hh, W_hy) for inputs of
    size d, summaries of size H and k outputs.  Compared with ``arlib.models.VanillaRNN``."""

    for d, H, k in [(1, 1, 1), (1, 8, 1), (3, 5, 2), (784, 100, 10), (2, 64, 7)]:
        truth = sum(p.numel() for p in VanillaRNN(d, H, k).parameters())
        got = count(d, H, k)
        if got != truth:
            hint = ""
            if got == truth - H:
                hint = " You may have forgotten h_0 = b_0: the initial summary is learned too (H numbers)."
            elif got == truth - H * H:
                hint = " W_hh is H x H: the summary feeds back into itself."
            elif got == H * H + H * d + H * k + H + k:
                hint = " The lecture's RNN has no output bias."
            raise ExerciseError(f"count({d}, {H}, {k}) = {got}, but the RNN has {truth} parameters.{hint}")
    return passed("H + H d + H^2 + k H parameters, whatever the length n of the sequence")


def check_shifted_inputs(shift) -> str:
    """``shift(x)``: from binary images ``(B, 784)`` build the PixelRNN's cell inputs ``(B, 784, 1)``:
    step t must see x_{t-1} (encoded as 2x - 1) and step 1 the start value 0.  The checker puts
    your function inside a PixelRNN and runs the autoregressive test."""

    x = (torch.rand(3, 784, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    out = shift(x)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (3, 784, 1):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ExerciseError(f"shift(x) for x of shape (3, 784) must return a tensor of shape (3, 784, 1), got {shape}")
    ref = PixelRNN(1).shifted_inputs(x)
    if not torch.equal(out[:, 0], ref[:, 0]):
        raise ExerciseError(f"step 1 must get the start value 0 (no pixel has been seen yet), got {out[0, 0, 0].item()}")

    class Yours(PixelRNN):
        def shifted_inputs(self, x):
            return shift(x.reshape(x.shape[0], -1))

    m, g = Yours(4), torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.5, generator=g)
    try:
        assert_autoregressive(m, (1, 28, 28), n_inputs=1)
    except AutoregressiveViolation as err:
        raise ExerciseError(f"with your inputs the model is not autoregressive: {err}. Step t must read x_(t-1), "
                            "not x_t: shift the sequence right by one.") from None
    if not torch.equal(out, ref):
        bad = (out != ref).nonzero()[0].tolist()
        raise ExerciseError(f"the shift is right but the values differ from 2 x - 1 at (b, t) = ({bad[0]}, {bad[1]}): "
                            f"got {out[bad[0], bad[1], 0].item()}, expected {ref[bad[0], bad[1], 0].item()} "
                            f"(x_(t-1) = {x[bad[0], bad[1] - 1].item() if bad[1] > 0 else 'none'})")
    return passed("step t reads x_(t-1); the model is autoregressive")


def check_stepwise_log_prob(log_prob_by_steps) -> str:
    """``log_prob_by_steps(model, x)``: log p(x) of binary images ``(B, 1, 28, 28)`` computed by
    running the model's cell one pixel at a time and carrying the state.  Compared with
    ``model.log_prob`` (one call over the whole sequence) on a small random PixelRNN."""

    torch.manual_seed(0)
    m = PixelRNN(6).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.3)
    x = (torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(2)) < 0.2).float()
    with torch.no_grad():
        got = log_prob_by_steps(m, x)
        truth = m.log_prob(x)
    got = torch.as_tensor(got, dtype=truth.dtype)
    if got.shape != truth.shape:
        raise ExerciseError(f"expected one log-probability per image, shape {tuple(truth.shape)}; got {tuple(got.shape)}")
    if (got > 0).any():
        raise ExerciseError("a log-probability of binary data must be <= 0; did you return the NLL (a minus sign)?")
    if not torch.allclose(got, truth, atol=1e-3, rtol=1e-5):
        diff = (got - truth).tolist()
        raise ExerciseError(f"log p(x) = {got.tolist()} but model.log_prob gives {truth.tolist()} "
                            f"(differences {diff}). Check the input of the first step (0) and that step t reads x_(t-1).")
    return passed("the step-by-step likelihood equals the one-call likelihood")


def check_gradient_factor(w: float, steps: int, answer: float) -> str:
    """The factor dh_T/dh_t = w^(T - t) of a scalar linear RNN h_{t+1} = w h_t + x_{t+1}, after ``steps`` = T - t."""
    truth = w ** steps
    if not math.isclose(answer, truth, rel_tol=1e-3):
        hint = " (you may have multiplied instead of raising to a power)" if math.isclose(answer, w * steps) else ""
        raise ExerciseError(f"for w = {w} and T - t = {steps} the factor is w^(T-t) = {truth:.4g}, not {answer}{hint}")
    kind = "vanishes" if abs(w) < 1 else ("explodes" if abs(w) > 1 else "stays 1")
    return passed(f"{w}^{steps} = {truth:.4g}: the gradient {kind}")


# ---- reference solutions (the notebook checks these so that it runs as a test) ----

def rnn_param_count_reference(d: int, H: int, k: int) -> int:
    """b_0 (H) + W_xh (H x d) + W_hh (H x H) + W_hy (k x H)."""
    return H + H * d + H * H + k * H


def shifted_inputs_reference(x: torch.Tensor) -> torch.Tensor:
    """Step 1 gets 0; step t gets 2 x_(t-1) - 1."""
    return torch.cat([x.new_zeros(x.shape[0], 1), 2 * x[:, :-1] - 1], 1)[..., None]


def stepwise_log_prob_reference(model, x: torch.Tensor) -> torch.Tensor:
    """Run the cell one pixel at a time, carrying the state, and add up log p(x_t | x_<t)."""
    B = x.shape[0]
    xs = x.reshape(B, -1)
    state, inp, total = model.initial_state(B), xs.new_zeros(B, 1, 1), xs.new_zeros(B)
    for t in range(xs.shape[1]):
        h, state = model.rnn(inp, state)
        logit = model.W_hy(h[:, 0])[:, 0]
        total = total - torch.nn.functional.binary_cross_entropy_with_logits(logit, xs[:, t], reduction="none")
        inp = (2 * xs[:, t] - 1)[:, None, None]
    return total
