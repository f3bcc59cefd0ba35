"""LikelihoodExplorer (chapter 12): per-pixel terms from one forward pass, the readout math,
the input checks, the state size, and the page's own sums (run in node with a tiny DOM stub)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
import torch

from arlib.models import MADE, IndependentBernoulli, PixelCNN
from arlib.widgets import LikelihoodExplorer
from arlib.widgets.likelihood import MAX_STATE_BYTES


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    bern = IndependentBernoulli(784)
    cnn = PixelCNN(channels=8, n_layers=2)
    return {"Bernoulli": bern, "PixelCNN": cnn}


@pytest.fixture(scope="module")
def x():
    g = torch.Generator().manual_seed(1)
    return (torch.rand(3, 1, 28, 28, generator=g) < 0.3).float()


@pytest.fixture(scope="module")
def explorer(models, x):
    return LikelihoodExplorer.from_models(models, x)


def test_traits(explorer, x) -> None:
    w = explorer
    assert w.names == ["Bernoulli", "PixelCNN"]
    assert (w.height, w.width) == (28, 28)
    assert len(w.terms) == 2 and all(len(t) == 3 and all(len(d) == 784 for d in t) for t in w.terms)
    assert all(type(v) is float for v in w.terms[1][2])
    assert all(round(v, 3) == v for v in w.terms[0][0])
    assert w.digits == x.reshape(3, 784).long().tolist()
    assert w.orders == [list(range(784))] * 2
    assert 0 <= w.pixel < 783 and w.model == 0 and w.digit == 0 and w.compare == -1
    assert w.get_state()["_anywidget_id"] == "arlib.widgets.likelihood.LikelihoodExplorer"


def test_totals_are_minus_log_prob(models, x, explorer) -> None:
    for j, model in enumerate(models.values()):
        with torch.no_grad():
            nll = -model.log_prob(x.reshape(3, *model.event_shape))
        for k in range(3):
            r = explorer.readout(model=j, digit=k)
            assert r["total_nats"] == pytest.approx(nll[k].item(), abs=1e-2)
            assert abs(r["total_nats"] - nll[k].item()) < 2e-3  # rounding keeps the sum (0.0005 + float32)
            assert r["bits_per_dim"] == pytest.approx(r["total_nats"] / (784 * math.log(2)))


def test_flat_input_gives_the_same_terms(models, x, explorer) -> None:
    w = LikelihoodExplorer.from_models(models, x.reshape(3, 784).numpy())
    assert w.terms == explorer.terms


def test_readout_math(explorer) -> None:
    w = explorer
    t = np.asarray(w.terms[1][2])
    r = w.readout(model=1, digit=2, pixel=300)
    assert r["model"] == "PixelCNN" and r["digit"] == 2 and r["pixel"] == 300
    assert r["pixel_nats"] == t[300]
    assert r["cumulative_nats"] == pytest.approx(t[:301].sum(), abs=1e-9)
    assert r["total_nats"] == pytest.approx(t.sum(), abs=1e-9)
    assert w.readout(pixel=783)["cumulative_nats"] == w.readout()["total_nats"]
    assert w.readout(pixel=0)["cumulative_nats"] == w.terms[0][0][0]
    assert r["compare"] is None and r["compare_total_nats"] is None
    rc = w.readout(model=1, digit=2, pixel=300, compare=0)
    assert rc["compare"] == "Bernoulli" and rc["compare_total_nats"] == w.readout(model=0, digit=2)["total_nats"]
    state = w.get_state()
    for knobs in [dict(model=1, digit=2, pixel=300, compare=0), dict(model=0, digit=1, pixel=5, compare=-1)]:
        page = w.readout(**knobs)
        assert LikelihoodExplorer.expected_readout(state, page) == page


def test_made_is_decomposed_in_its_own_order_and_an_ensemble_is_refused() -> None:
    torch.manual_seed(0)
    made = MADE(784, [32], num_masks=1, ordering="random")
    made.eval()
    x = (torch.rand(2, 784, generator=torch.Generator().manual_seed(2)) < 0.3).float()
    w = LikelihoodExplorer.from_models({"MADE": made}, x)
    with torch.no_grad():
        single = made.log_prob(x)
    assert w.orders[0] == made.order.tolist() != list(range(784))  # its own ordering
    with pytest.raises(ValueError, match="sum"):                   # a mixture has no per-pixel terms
        LikelihoodExplorer.from_models({"MADE": MADE(784, [32], num_masks=3).eval()}, x)
    assert w.readout(digit=1)["total_nats"] == pytest.approx(-single[1].item(), abs=1e-2)
    # the running total follows the model's order: at its last pixel it is the total
    last = made.order[-1].item()
    assert w.readout(digit=1, pixel=last)["cumulative_nats"] == w.readout(digit=1)["total_nats"]


def test_state_size(models, x) -> None:
    ms = {f"m{j}": m for j in range(4) for m in models.values()}  # 8 models
    x6 = torch.cat([x, x])
    w = LikelihoodExplorer.from_models(ms, x6)
    state = {k: v for k, v in w.get_state().items() if not isinstance(v, (bytes, memoryview))}
    assert len(json.dumps(state, default=str)) < MAX_STATE_BYTES


@pytest.mark.parametrize("models_arg, x_arg, message", [
    ({}, None, "models must be a non-empty dict"),
    ("notadict", None, "models must be a non-empty dict"),
    (None, torch.full((2, 784), 0.5), "x must be binary"),
    (None, torch.zeros(2, 100), r"x has shape \(2, 100\); expected K images of 784 values"),
    (None, torch.zeros(0, 784), "x has shape"),
    (None, torch.zeros(17, 784), "at most 16"),
])
def test_bad_input(models, models_arg, x_arg, message) -> None:
    models_arg = models if models_arg is None else models_arg
    x_arg = torch.zeros(2, 784) if x_arg is None else x_arg
    with pytest.raises(ValueError, match=message):
        LikelihoodExplorer.from_models(models_arg, x_arg)


def test_bad_models(x) -> None:
    with pytest.raises(ValueError, match="models 196 values per image but x has 784"):
        LikelihoodExplorer.from_models({"a": IndependentBernoulli(784), "b": IndependentBernoulli(196)}, x)
    with pytest.raises(ValueError, match="not a binary model"):
        LikelihoodExplorer.from_models({"colour": PixelCNN(channels=8, n_layers=1, num_values=4)}, x)

    class Broken(IndependentBernoulli):  # forward disagrees with log_prob
        def log_prob(self, x):
            return super().log_prob(x) - 1.0

    with pytest.raises(ValueError, match="per-pixel terms sum to"):
        LikelihoodExplorer.from_models({"broken": Broken(784)}, x)


def test_bad_knobs(explorer) -> None:
    with pytest.raises(ValueError, match="pixel must be"):
        LikelihoodExplorer(["a"], np.zeros((1, 1, 4)), np.zeros((1, 4)), shape=(2, 2), pixel=4)
    with pytest.raises(ValueError, match="terms has shape"):
        LikelihoodExplorer(["a"], np.zeros((1, 2, 4)), np.zeros((1, 4)), shape=(2, 2))
    with pytest.raises(ValueError, match="compare must be"):
        LikelihoodExplorer(["a"], np.zeros((1, 1, 4)), np.zeros((1, 4)), shape=(2, 2), compare=1)
    with pytest.raises(ValueError, match="names is empty"):
        LikelihoodExplorer([], np.zeros((0, 1, 4)), np.zeros((1, 4)), shape=(2, 2))
    with pytest.raises(ValueError, match="terms must be finite"):
        LikelihoodExplorer(["a"], np.full((1, 1, 4), np.inf), np.zeros((1, 4)), shape=(2, 2))
    with pytest.raises(ValueError, match="model must be in"):
        explorer.readout(model=2)


def test_plot(explorer) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = explorer.plot(digit=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert "test digit 1" in titles and any("Bernoulli" in t and "nats" in t for t in titles)
    plt.close(fig)


# ------------------------------------------------------------------ the page's sums, in node

NODE_RUNNER = r"""
// A tiny DOM, enough for draw.js and likelihood.js to render; then knobs are moved as a
// reader would and every data-readout is printed.
const made = [];
function makeEl(tag) {
  const listeners = {};
  const node = {
    tagName: tag.toUpperCase(), children: [], style: {}, dataset: {}, attrs: {}, textContent: "",
    classList: { toggle() {}, remove() {}, add() {} },
    setAttribute(k, v) { this.attrs[k] = String(v); if (k === "value") this.value = String(v);
                         if (k === "width" || k === "height") this[k] = Number(v); },
    append(...c) { this.children.push(...c); }, replaceChildren(...c) { this.children = c; },
    addEventListener(e, fn) { (listeners[e] ||= []).push(fn); },
    fire(e, ev = {}) { (listeners[e] || []).forEach((fn) => fn(ev)); },
    getContext() {
      return new Proxy({}, { get: (t, k) => (k in t ? t[k] : () => {}),
                             set: (t, k, v) => { t[k] = v; return true; } });
    },
    getBoundingClientRect() { return { left: 0, top: 0, width: 224, height: 224 }; },
  };
  made.push(node);
  return node;
}
globalThis.document = { createElement: makeEl, createElementNS: (ns, tag) => makeEl(tag) };
const state = JSON.parse(process.argv[3]);
const handlers = {};
const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; }, save_changes() {},
                on: (e, fn) => { handlers[e] = fn; }, off() {} };
const mod = await import(process.argv[2]);
const host = makeEl("div");
mod.default.render({ model, el: host });
const root = host.children[0];
const out = [JSON.parse(root.dataset.readout)];
const range = made.find((n) => n.tagName === "INPUT" && n.attrs.type === "range");
range.value = String(Number(range.value) + 1); range.fire("input");          // ArrowRight
out.push(JSON.parse(root.dataset.readout));
const selects = made.filter((n) => n.tagName === "SELECT");                     // model, digit, compare
selects[0].value = "1"; selects[0].fire("change");
selects[1].value = "2"; selects[1].fire("change");
selects[2].value = "0"; selects[2].fire("change");
out.push(JSON.parse(root.dataset.readout));
range.value = "783"; range.fire("input");
out.push(JSON.parse(root.dataset.readout));
const canvases = made.filter((n) => n.tagName === "CANVAS");                    // click the map
canvases[1].fire("click", { clientX: 100, clientY: 60 });
out.push(JSON.parse(root.dataset.readout));
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_readout_equals_python(tmp_path, explorer) -> None:
    bundle = tmp_path / "likelihood.mjs"
    bundle.write_text(LikelihoodExplorer._esm)
    runner = tmp_path / "run.mjs"
    runner.write_text(NODE_RUNNER)
    state = {k: v for k, v in explorer.get_state().items() if not isinstance(v, (bytes, memoryview))}
    state = {k: v for k, v in state.items() if not k.startswith("_")}
    out = subprocess.run(["node", str(runner), bundle.as_uri(), json.dumps(state)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    readouts = json.loads(out.stdout)
    assert readouts[0]["pixel"] == explorer.pixel and readouts[1]["pixel"] == explorer.pixel + 1
    assert readouts[1] != readouts[0]  # the first range input is a real knob
    assert (readouts[2]["model"], readouts[2]["digit"], readouts[2]["compare"]) == ("PixelCNN", 2, "Bernoulli")
    assert readouts[3]["pixel"] == 783 and readouts[4]["pixel"] == 7 * 28 + 12  # (row 7, col 12)
    for got in readouts:
        want = LikelihoodExplorer.expected_readout(state, got)
        assert set(want) == set(got)
        for key, value in want.items():
            if isinstance(value, float):
                assert math.isclose(got[key], value, rel_tol=1e-12, abs_tol=1e-12), (key, got[key], value)
            else:
                assert got[key] == value, key
