"""Chapter 7: the lecture's RNN recurrence and the PixelRNN (a gated RNN over pixels)."""
import math

import pytest
import torch
import torch.nn.functional as F

from arlib.exercises import ExerciseError, ch07
from arlib.lessons.vanilla_rnn import VanillaRNN
from arlib.models import PixelRNN
from arlib.testing import assert_autoregressive


def lecture_recurrence(b_0, W_xh, W_hh, W_hy, x):
    """h_0 = b_0, h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1}), o_{t+1} = W_hy h_{t+1}, one sequence x (T, d)."""
    h, outs = b_0, []
    for t in range(x.shape[0]):
        h = torch.tanh(W_hh @ h + W_xh @ x[t])
        outs.append(W_hy @ h)
    return torch.stack(outs)


def pixelrnn_param_count(H: int, L: int, cell: str) -> int:
    """Closed form: gates g (4 for an LSTM, 3 for a GRU) x H x (inputs + H + 2 biases) per layer,
    plus the initial summaries b_0 (h_0 and, for an LSTM, c_0, per layer) and W_hy, c."""
    g, states = (4, 2) if cell == "lstm" else (3, 1)
    layers = g * H * (1 + H + 2) + (L - 1) * g * H * (H + H + 2)
    return layers + states * L * H + H + 1


def test_vanilla_rnn_is_the_lecture_recurrence():
    v = VanillaRNN(3, 5, 2, seed=0)
    x = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1))
    o, h = v(x)
    assert o.shape == (4, 7, 2) and h.shape == (4, 7, 5)
    for b in range(4):
        ref = lecture_recurrence(v.b_0, v.W_xh, v.W_hh, v.W_hy, x[b])
        torch.testing.assert_close(o[b], ref)


def test_vanilla_rnn_matches_torch_rnn_values_and_gradients():
    v = VanillaRNN(2, 6, 1, seed=3)
    rnn = v.to_torch()
    x = torch.randn(3, 11, 2, generator=torch.Generator().manual_seed(0))
    o, h = v(x)
    b_0 = v.b_0.detach().clone().requires_grad_(True)
    h_torch, h_last = rnn(x, b_0.expand(1, 3, -1).contiguous())
    torch.testing.assert_close(h, h_torch)
    torch.testing.assert_close(h[:, -1], h_last[0])
    (h ** 2).sum().backward()
    (h_torch ** 2).sum().backward()
    torch.testing.assert_close(v.W_hh.grad, rnn.weight_hh_l0.grad)
    torch.testing.assert_close(v.W_xh.grad, rnn.weight_ih_l0.grad)
    torch.testing.assert_close(v.b_0.grad, b_0.grad)


def test_vanilla_rnn_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(B, T, 3\)"):
        VanillaRNN(3, 4)(torch.zeros(2, 5, 2))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("H, L", [(8, 1), (6, 2)])
def test_param_count_formula(cell, H, L):
    m = PixelRNN(H, L, cell=cell)
    assert sum(p.numel() for p in m.parameters()) == pixelrnn_param_count(H, L, cell)


def test_book_settings_param_count():
    from arlib.recipes import pixelrnn

    assert sum(p.numel() for p in pixelrnn.build().parameters()) == pixelrnn_param_count(128, 1, "lstm") == 67457


def test_counting_module_agrees():
    from arlib.lessons import counting

    for cell in ("lstm", "gru"):
        for H, L in [(1, 1), (16, 2), (128, 1), (5, 3)]:
            assert counting.pixelrnn(H, L, cell) == pixelrnn_param_count(H, L, cell)
            assert counting.pixelrnn(H, L, cell) == sum(p.numel() for p in PixelRNN(H, L, cell=cell).parameters())
    with pytest.raises(ValueError, match="cell"):
        counting.pixelrnn(4, 1, "rnn")


def _randomised(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return m.eval()


def test_autoregressive_mnist_size():
    assert_autoregressive(_randomised(PixelRNN(8)), (1, 28, 28), n_inputs=1)


def test_not_autoregressive_without_the_shift():
    from arlib.testing import AutoregressiveViolation

    class Unshifted(PixelRNN):
        def shifted_inputs(self, x):  # the mistake: step t reads x_t itself
            return self.encode(x.reshape(x.shape[0], -1))[..., None]

    with pytest.raises(AutoregressiveViolation, match="position 0"):
        assert_autoregressive(_randomised(Unshifted(4, image_size=4)), (1, 4, 4))


def test_log_prob_is_the_sum_of_stepwise_conditionals():
    m = _randomised(PixelRNN(5, image_size=4), seed=2)
    x = (torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    state, inp, total = m.initial_state(3), torch.zeros(3, 1, 1), torch.zeros(3)
    for t in range(16):
        h, state = m.rnn(inp, state)
        logit = m.W_hy(h[:, 0])[:, 0]
        xt = x.view(3, -1)[:, t]
        total -= F.binary_cross_entropy_with_logits(logit, xt, reduction="none")
        inp = (2 * xt - 1)[:, None, None]
    torch.testing.assert_close(m.log_prob(x), total)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_incremental_sampler_draws_from_the_model_conditionals(cell):
    m = _randomised(PixelRNN(8, 2, cell=cell, image_size=7), seed=1)
    x, p = m.sample(6, generator=torch.Generator().manual_seed(0), return_probs=True)
    assert x.shape == (6, 1, 7, 7) and set(x.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(p, m.conditionals(x), atol=1e-5, rtol=0)
    x2 = m.sample(6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)  # same seed, same samples


def test_sampler_is_one_cell_step_per_pixel():
    m = _randomised(PixelRNN(4, image_size=5))
    calls = []
    m.rnn.register_forward_hook(lambda mod, inp, out: calls.append(inp[0].shape[1]))
    m.sample(3)
    assert calls == [1] * 25  # 25 calls of one step each: never a rerun of the sequence
    calls.clear()
    m.complete(torch.zeros(2, 1, 5, 5), rows_given=2, n_samples=3)
    assert calls == [10] + [1] * 15  # the given 10 pixels in one call, then one step per pixel


def test_complete_keeps_the_given_rows_and_samples_the_rest_from_the_model():
    m = _randomised(PixelRNN(6, image_size=6), seed=4)
    x = (torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    out, p = m.complete(x, rows_given=2, n_samples=5, generator=torch.Generator().manual_seed(0), return_probs=True)
    assert out.shape == (2, 5, 1, 6, 6)
    assert torch.equal(out[:, :, :, :2], x[:, None, :, :2].expand(-1, 5, -1, -1, -1))
    assert not torch.equal(out[:, 0], out[:, 1])  # several different completions
    cond = m.conditionals(out.reshape(10, 1, 6, 6)).reshape(2, 5, 1, 6, 6)
    torch.testing.assert_close(p[..., 2:, :], cond[..., 2:, :], atol=1e-5, rtol=0)
    # flat input works too, and all rows given returns the image itself
    assert torch.equal(m.complete(x.view(2, -1), rows_given=6)[:, 0], x)
    # no rows given = unconditional sampling with the same random numbers
    a = m.complete(x, rows_given=0, n_samples=1, generator=torch.Generator().manual_seed(7))[:, 0]
    b = m.sample(2, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize("kw, msg", [
    (dict(rows_given=7), r"rows_given must be an int in \[0, 6\]"),
    (dict(rows_given=-1), "rows_given"),
    (dict(rows_given=2, n_samples=0), "n_samples"),
])
def test_complete_input_checks(kw, msg):
    with pytest.raises(ValueError, match=msg):
        PixelRNN(4, image_size=6).complete(torch.zeros(1, 1, 6, 6), **kw)


def test_complete_rejects_non_binary_images():
    with pytest.raises(ValueError, match="0 or 1"):
        PixelRNN(4, image_size=6).complete(torch.full((1, 1, 6, 6), 0.5), rows_given=2)


def test_bad_cell_and_bad_input():
    with pytest.raises(ValueError, match="cell must be one of"):
        PixelRNN(4, cell="transformer")
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        PixelRNN(4).log_prob(torch.zeros(2, 784))
    with pytest.raises(ValueError, match="positive int"):
        PixelRNN(4).sample(0)


def test_short_training_lowers_the_nll():
    from arlib.data import load_binarized_mnist
    from arlib.train import evaluate, fit

    torch.manual_seed(0)
    m = PixelRNN(16)
    x = load_binarized_mnist("train", shape="image", n=64)
    before = evaluate(m, x).nll
    fit(m, x, epochs=1, max_steps=4, batch_size=16, lr=1e-2, progress=False)
    after = evaluate(m, x).nll
    assert after < before - 50 and after < 784 * math.log(2)


def test_shipped_checkpoint_beats_uniform_when_present():
    import arlib.checkpoints as ck
    from arlib.data import load_binarized_mnist
    from arlib.train import evaluate

    if "pixelrnn" not in ck.available():
        pytest.skip("no pixelrnn checkpoint shipped")
    m = ck.load_model("pixelrnn")
    assert isinstance(m, PixelRNN)
    assert evaluate(m, load_binarized_mnist("test", shape="image", n=64)).nll < 784 * math.log(2)


# ---- exercise checkers (arlib.exercises.ch07) ----


def test_checker_param_count():
    ch07.check_rnn_param_count(lambda d, H, k: H + H * d + H * H + k * H)
    with pytest.raises(ExerciseError, match="h_0 = b_0"):
        ch07.check_rnn_param_count(lambda d, H, k: H * d + H * H + k * H)
    with pytest.raises(ExerciseError, match="no output bias"):
        ch07.check_rnn_param_count(lambda d, H, k: H + H * d + H * H + k * H + k)


def test_checker_shifted_inputs():
    def right(x):
        return torch.cat([torch.zeros(x.shape[0], 1), 2 * x[:, :-1] - 1], 1)[..., None]

    ch07.check_shifted_inputs(right)
    with pytest.raises(ExerciseError, match="not autoregressive"):
        ch07.check_shifted_inputs(lambda x: torch.cat([torch.zeros(x.shape[0], 1), 2 * x[:, 1:] - 1], 1)[..., None])
    with pytest.raises(ExerciseError, match="shape"):
        ch07.check_shifted_inputs(lambda x: 2 * x - 1)
    with pytest.raises(ExerciseError, match="start value 0"):
        ch07.check_shifted_inputs(lambda x: torch.cat([torch.ones(x.shape[0], 1), 2 * x[:, :-1] - 1], 1)[..., None])
    with pytest.raises(ExerciseError, match="2 x - 1"):
        ch07.check_shifted_inputs(lambda x: torch.cat([torch.zeros(x.shape[0], 1), x[:, :-1]], 1)[..., None])


def test_checker_stepwise_log_prob():
    def right(model, x):
        B = x.shape[0]
        state, inp, total = model.initial_state(B), torch.zeros(B, 1, 1), torch.zeros(B)
        for t in range(784):
            h, state = model.rnn(inp, state)
            xt = x.view(B, -1)[:, t]
            total -= F.binary_cross_entropy_with_logits(model.W_hy(h[:, 0])[:, 0], xt, reduction="none")
            inp = (2 * xt - 1)[:, None, None]
        return total

    ch07.check_stepwise_log_prob(right)
    with pytest.raises(ExerciseError, match="<= 0"):
        ch07.check_stepwise_log_prob(lambda m, x: -right(m, x))
    with pytest.raises(ExerciseError, match="differences"):
        ch07.check_stepwise_log_prob(lambda m, x: right(m, x) - 1)


def test_checker_gradient_factor():
    ch07.check_gradient_factor(0.9, 100, 0.9 ** 100)
    with pytest.raises(ExerciseError, match="multiplied"):
        ch07.check_gradient_factor(0.9, 100, 90.0)


# ---- the completion explorer (arlib.widgets.CompletionExplorer) ----
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402

from arlib.widgets import CompletionExplorer  # noqa: E402


def _explorer():
    m = _randomised(PixelRNN(6, image_size=6), seed=3)
    x = (torch.rand(3, 36, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    return m, x, CompletionExplorer.from_model(m, x, labels=[4, 5, 6], rows_options=(0, 2, 4), n_samples=3)


def test_completion_explorer_state():
    m, x, w = _explorer()
    state = w.get_state()
    assert state["_anywidget_id"] == "arlib.widgets.completion.CompletionExplorer"
    assert state["rows_options"] == [0, 2, 4] and state["rows_index"] == 1 and state["side"] == 6
    assert len(state["completions"]) == 3 and len(state["completions"][0]) == 3 and len(state["completions"][0][0]) == 3
    with torch.no_grad():
        p = m.conditionals(x.view(3, 1, 6, 6)).view(3, -1)
    log_p = torch.log(torch.where(x == 1, p, 1 - p))  # log p(x_t | x_<t) of the originals
    for d in range(3):
        for i, r in enumerate(state["rows_options"]):
            assert state["nll_given"][d][i] == pytest.approx(-log_p[d, : 6 * r].sum().item(), abs=1e-4)
            for s in state["completions"][d][i]:
                assert s[: 6 * r] == state["originals"][d][: 6 * r]
    comp = np.array([[int(ch) for ch in s] for s in state["completions"][1][2]], dtype=np.float32)
    nll = -m.log_prob(torch.tensor(comp).view(-1, 1, 6, 6))
    assert state["nll_samples"][1][2] == pytest.approx(nll.tolist(), abs=1e-4)
    r = w.readout(digit=1, rows_index=2)
    assert r == CompletionExplorer.expected_readout(state, {"digit": 1, "rows_given": 4})
    assert r["rows_given"] == 4 and r["n_samples"] == 3 and 0 <= r["ink"] <= 1 and 0 <= r["agree"] <= 1


def test_completion_explorer_input_checks():
    o = np.zeros((2, 36))
    c = np.zeros((2, 1, 3, 36))
    CompletionExplorer(o, c, [2], side=6)
    bad = c.copy()
    bad[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="keep the given rows"):
        CompletionExplorer(o, bad, [2], side=6)
    with pytest.raises(ValueError, match="shaped"):
        CompletionExplorer(o, c, [2, 3], side=6)
    with pytest.raises(ValueError, match="binary"):
        CompletionExplorer(o + 0.5, c, [2], side=6)
    with pytest.raises(ValueError, match="rows_options"):
        CompletionExplorer(o, c, [7], side=6)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_completion_js_readout_matches_python(tmp_path):
    _, _, w = _explorer()
    state = w.get_state()
    keep = ["side", "originals", "rows_options", "completions", "nll_given", "nll_samples"]
    (tmp_path / "bundle.mjs").write_text(CompletionExplorer._esm + "\nexport { numbers };\n")
    (tmp_path / "main.mjs").write_text(
        'import { numbers } from "./bundle.mjs";\n'
        f"const state = {json.dumps({k: state[k] for k in keep})};\n"
        "const out = [];\n"
        "for (let d = 0; d < 3; d++) for (let r = 0; r < 3; r++) out.push(numbers(state, d, r));\n"
        "console.log(JSON.stringify(out));\n")
    res = subprocess.run(["node", str(tmp_path / "main.mjs")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    page = json.loads(res.stdout)
    for k, got in enumerate(page):
        d, r = divmod(k, 3)
        want = CompletionExplorer.expected_readout(state, {"digit": d, "rows_given": state["rows_options"][r]})
        assert set(got) == set(want)
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-12), (d, r, key)
