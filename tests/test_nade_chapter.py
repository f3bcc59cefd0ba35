"""Chapter 5's teaching code: the shared-weights explorer (its page math in node against PyTorch,
its state, its errors) and the figure of the columns of W that feed h_i."""
from __future__ import annotations

import json
import shutil

import matplotlib
import numpy as np
import pytest
import torch

from arlib.lessons.nade_lessons import columns_in_use, shared_weights_figure
from arlib.models import NADE
from arlib.widgets import NadeWeightsExplorer

matplotlib.use("Agg")


def _model(H: int = 40, seed: int = 0) -> NADE:
    """A NADE on 784 pixels with float16-exact weights of a useful size."""
    g = torch.Generator().manual_seed(seed)
    m = NADE(784, H)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_((torch.randn(p.shape, generator=g) * 0.3).half().float())
    return m


def _digits(k: int = 3, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(k, 784, generator=g) < 0.3).float()


CASES = [(0, 0, 1), (0, 300, 16), (1, 783, 40), (2, 57, 7), (2, 500, 40), (1, 1, 3)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_math_is_pytorchs(run_js):
    model, x = _model(), _digits()
    w = NadeWeightsExplorer(model, x, max_units=40)
    state = w.get_state()
    script = (f"const state = {json.dumps({k: state[k] for k in ('units', 'W16', 'V16', 'c', 'b', 'digits', 'logits')})};\n"
              f"const net = prepare(state);\nconst cases = {json.dumps(CASES)};\n"
              "console.log(JSON.stringify(cases.map(([d, p, s]) => readoutOf(net, d, p, s))));")
    page = run_js(NadeWeightsExplorer._esm, "prepare, readoutOf", script)
    md = model.double()
    with torch.no_grad():
        logits = md(x.double())
    units = torch.argsort(md.V.norm(dim=0), descending=True, stable=True)
    for (d, p, s), got in zip(CASES, page):
        want = NadeWeightsExplorer.expected_readout(state, {"digit": d, "pixel": p, "shown": s})
        assert set(got) == set(want)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (d, p, s, key)
        # and against PyTorch, computed without the explorer's code
        u = units[:s]
        a = md.c[u] + md.W[u, :p] @ x[d, :p].double()
        assert got["units"] == u.tolist()
        assert got["a"] == pytest.approx(a.tolist(), rel=1e-9, abs=1e-12)
        assert got["h"] == pytest.approx(torch.sigmoid(a).tolist(), rel=1e-9)
        parts = md.V[p, u] * torch.sigmoid(a)
        assert got["parts"] == pytest.approx(parts.tolist(), rel=1e-9, abs=1e-12)
        assert got["logit"] == pytest.approx(float(logits[d, p]), rel=1e-9, abs=1e-12)
        assert got["p"] == pytest.approx(float(torch.sigmoid(logits[d, p])), rel=1e-9)
        assert got["b_i"] + got["contrib"] + got["rest"] == pytest.approx(got["logit"], abs=1e-9)
        assert got["active_columns"] == int(x[d, :p].sum()) and got["columns"] == p


def test_all_units_shown_leave_no_rest():
    model, x = _model(H=12), _digits(2)
    w = NadeWeightsExplorer(model, x, max_units=12, shown=12)
    for p in (0, 5, 400, 783):
        r = w.readout(pixel=p, digit=1)
        assert r["rest"] == pytest.approx(0.0, abs=1e-9), p  # the shown units are the whole layer
    assert w.readout(pixel=0)["a"] == pytest.approx(w.c[:12])  # a_1 = c: no column is read


def test_state_is_small_plain_and_exact_for_float16_models():
    w = NadeWeightsExplorer(_model(H=500), _digits(4), max_units=64)
    state = w.get_state()
    assert len(json.dumps(state)) < 600_000
    assert not w.rounded and len(w.units) == 64 and len(w.b) == 784
    assert all(isinstance(v, float) for v in w.c) and all(v in (0, 1) for v in w.digits[0])
    raw = NADE(784, 8)  # weights not float16-exact: the page shows the rounded model, and says so
    assert NadeWeightsExplorer(raw, _digits(1), max_units=8, shown=4).rounded


@pytest.mark.parametrize("make, message", [
    (lambda: NadeWeightsExplorer("nade", _digits()), "must be an arlib.models.NADE"),
    (lambda: NadeWeightsExplorer(NADE(10, 4), _digits()), "28 x 28"),
    (lambda: NadeWeightsExplorer(NADE(784, 4, order=list(range(783, -1, -1))), _digits()), "another order"),
    (lambda: NadeWeightsExplorer(_model(8), _digits() * 2, max_units=8, shown=4), "binary"),
    (lambda: NadeWeightsExplorer(_model(8), torch.zeros(3, 100), max_units=8, shown=4), "784 pixels"),
    (lambda: NadeWeightsExplorer(_model(8), _digits(), max_units=9), "max_units"),
    (lambda: NadeWeightsExplorer(_model(8), _digits(), max_units=8, shown=9), "shown"),
    (lambda: NadeWeightsExplorer(_model(8), _digits(), max_units=8, shown=4, pixel=783), "pixel"),
    (lambda: NadeWeightsExplorer(_model(8), _digits(), max_units=8, shown=4, digit=3), "digit"),
])
def test_bad_arguments_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_columns_in_use():
    x = torch.tensor([1.0, 0, 1, 1, 0])
    used, active = columns_in_use(x, 4)                      # h_4 reads columns 1..3
    assert used.tolist() == [True, True, True, False, False]
    assert active.tolist() == [True, False, True, False, False]
    assert not columns_in_use(x, 1)[0].any()                 # h_1 = sigma(c) reads nothing
    with pytest.raises(ValueError, match="1..5"):
        columns_in_use(x, 6)


def test_figure_is_readable_and_marks_the_columns():
    from arlib.book.plotting import smallest_text_px

    fig = shared_weights_figure(_model(), _digits(1)[0], [10, 300, 700])
    assert smallest_text_px(fig) >= 10
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("h_300 reads columns 1..299") for t in titles)
    matplotlib.pyplot.close(fig)


def test_order_agnostic_views_share_parameters():
    """The chapter's order-agnostic loop: a NADE in another order with the same W, c, V, b is
    the same conditionals read in another order (its log p(x) differs, its parameters do not)."""
    m = _model(H=6)
    order = np.random.default_rng(0).permutation(784).tolist()
    view = NADE(784, 6, order=order)
    view.W, view.c, view.V, view.b = m.W, m.c, m.V, m.b
    x = _digits(2)
    lp = view.log_prob(x)
    lp.sum().backward()
    assert m.W.grad is not None and m.W.grad.abs().sum() > 0
    assert not torch.allclose(lp, m.log_prob(x).detach())
