"""arlib.widgets on the Python side: the bundled front end, the traits, the readout math and
the input checks. (The browser test in `make test-site` checks the page's side.)"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import traitlets

import arlib.widgets
from arlib.widgets import Explorer, PixelBitsExplorer, base, colab_setup

# Every explorer the package exports (each chapter's explorers are checked the same way).
EXPLORERS = [getattr(arlib.widgets, name) for name in arlib.widgets.__all__
             if isinstance(getattr(arlib.widgets, name), type)
             and issubclass(getattr(arlib.widgets, name), Explorer)
             and getattr(arlib.widgets, name) is not Explorer]


@pytest.fixture
def theta_x():
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.05, 0.95, 784)
    x = (rng.random(784) < theta).astype(np.int64)
    return theta, x


# ------------------------------------------------------------------ bundling

def test_esm_bundles_draw_js_in_place_of_its_import() -> None:
    esm = PixelBitsExplorer._esm
    assert not base.DRAW_IMPORT.search(esm)  # the relative import is gone ...
    assert "const draw = (() => {" in esm  # ... replaced by draw.js as a namespace
    for name in ("heatmap", "imageGrid", "layerGraph", "slider", "select", "setReadout", "root"):
        assert f"function {name}(" in esm
        assert re.search(rf"return \{{[^}}]*\b{name}\b", esm), name
    assert "export default" in esm
    assert not re.search(r"^export (function|const)", esm, re.MULTILINE)  # only the default


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_explorer_bundles_and_writes_a_readout(cls) -> None:
    esm = cls._esm
    assert cls.__dict__.get("_js_file"), f"{cls.__name__} has no _js_file"
    assert "export default" in esm and not base.DRAW_IMPORT.search(esm)
    # no import left for the page to resolve: anywidget loads the module from a blob URL
    assert not re.search(r"^\s*import\b", esm, re.MULTILINE), f"{cls.__name__}: an import was not inlined"
    # the browser test finds explorers by class and reads data-readout
    assert "draw.root(" in esm or "arlib-explorer" in esm.split("// ---- ")[-1]
    assert "draw.setReadout(" in esm or "dataset.readout" in esm.split("// ---- ")[-1]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_bundle_is_a_valid_es_module(tmp_path, cls) -> None:
    path = tmp_path / "bundle.mjs"
    path.write_text(cls._esm)
    out = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, f"{cls.__name__}: {out.stderr}"


def test_subclass_gets_its_own_bundle(tmp_path, monkeypatch) -> None:
    (tmp_path / "tiny.js").write_text(
        'import * as draw from "./draw.js";\n'
        "export default { render({ model, el }) { draw.setReadout(draw.root(el, 'T'), {}); } };\n")
    (tmp_path / "tiny_explorer.py").write_text(
        "from arlib.widgets import Explorer\n"
        "class Tiny(Explorer):\n    _js_file = 'tiny.js'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from tiny_explorer import Tiny

    assert "function heatmap(" in Tiny._esm and "draw.setReadout(draw.root(el" in Tiny._esm
    assert Tiny()._anywidget_id == "tiny_explorer.Tiny"  # what the browser test resolves
    assert Explorer.expected_readout({}, {}) is None
    sys.modules.pop("tiny_explorer", None)


# ------------------------------------------------------------------ traits

def test_traits_have_the_right_shapes(theta_x) -> None:
    theta, x = theta_x
    w = PixelBitsExplorer(theta=torch.tensor(theta, dtype=torch.float32, requires_grad=True),
                          x=torch.tensor(x))
    assert (w.height, w.width, w.row, w.col) == (28, 28, 14, 14)
    assert len(w.theta) == 784 and all(isinstance(t, float) for t in w.theta)
    assert len(w.x) == 784 and set(w.x) <= {0, 1} and all(type(v) is int for v in w.x)
    assert w.theta[5] == float(torch.tensor(theta[5], dtype=torch.float32))
    state = w.get_state()
    assert state["_anywidget_id"] == "arlib.widgets.pixel_bits.PixelBitsExplorer"
    assert len(json.dumps({k: v for k, v in state.items()})) < 100_000  # well under 1 MB


def test_other_shapes(theta_x) -> None:
    theta, x = theta_x
    w = PixelBitsExplorer(theta=theta.reshape(28, 28), x=x.reshape(28, 28), row=0, col=27)
    assert (w.height, w.width, w.row, w.col) == (28, 28, 0, 27)
    w = PixelBitsExplorer(theta=np.full(12, 0.5), x=np.ones(12), shape=(3, 4))
    assert (w.height, w.width, w.row, w.col) == (3, 4, 1, 2)
    w = PixelBitsExplorer(theta=np.full((2, 5), 0.5), x=[[0] * 5, [1] * 5])
    assert (w.height, w.width) == (2, 5)


# ------------------------------------------------------------------ readout math

def test_readout_math(theta_x) -> None:
    theta, x = theta_x
    w = PixelBitsExplorer(theta=theta, x=x)
    p = np.where(x == 1, theta, 1 - theta)
    total = -np.log2(p).sum()
    for row, col in [(0, 0), (14, 14), (27, 27), (3, 19)]:
        i = row * 28 + col
        r = w.readout(row, col)
        assert (r["row"], r["col"], r["x"]) == (row, col, int(x[i]))
        assert r["theta"] == theta[i] and r["p"] == pytest.approx(p[i], rel=1e-15)
        assert r["bits"] == pytest.approx(-math.log2(p[i]), rel=1e-12)
        h = -(theta[i] * math.log2(theta[i]) + (1 - theta[i]) * math.log2(1 - theta[i]))
        assert r["entropy"] == pytest.approx(h, rel=1e-12)
        assert r["total_bits"] == pytest.approx(total, rel=1e-12)
        assert r["share"] == pytest.approx(r["bits"] / total, rel=1e-12)
    assert sum(w.readout(i // 28, i % 28)["share"] for i in range(784)) == pytest.approx(1)
    assert w.readout() == w.readout(14, 14)  # default: the selected pixel
    assert PixelBitsExplorer.expected_readout(w.get_state(), {"row": 3, "col": 19}) == w.readout(3, 19)


def test_readout_known_values() -> None:
    theta = np.full(4, 0.5)
    theta[1] = 0.25
    w = PixelBitsExplorer(theta=theta, x=[1, 0, 1, 1], shape=(2, 2))
    r = w.readout(0, 1)  # x = 0 where theta = 1/4: p = 3/4
    assert r["bits"] == pytest.approx(math.log2(4 / 3))
    assert r["total_bits"] == pytest.approx(3 + math.log2(4 / 3))
    assert w.readout(0, 0)["entropy"] == 1.0
    edge = PixelBitsExplorer(theta=[0.0, 1.0], x=[0, 1], shape=(1, 2))  # certain pixels: 0 bits
    assert edge.readout(0, 0) == {"row": 0, "col": 0, "theta": 0.0, "x": 0, "p": 1.0, "bits": 0.0,
                                  "entropy": 0.0, "share": 0.0, "total_bits": 0.0}


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("kwargs, message", [
    (dict(theta=np.full(100, 0.5), x=np.zeros(100)), "theta has 100 values; expected 784"),
    (dict(theta=np.full(784, 0.5), x=np.zeros(783)), "x has 783 values but theta has 784"),
    (dict(theta=np.full(12, 0.5), x=np.zeros(12), shape=(3, 5)), "shape 3x5 needs 15"),
    (dict(theta=np.r_[np.full(783, 0.5), 1.5], x=np.zeros(784)),
     r"theta must be probabilities in \[0, 1\]; theta\[783\] = 1.5 \(pixel row 27, col 27\)"),
    (dict(theta=np.r_[np.nan, np.full(783, 0.5)], x=np.zeros(784)), r"theta\[0\] = nan"),
    (dict(theta=np.full(784, 0.5), x=np.full(784, 0.3)), r"x must be a binary image"),
    (dict(theta=np.r_[0.0, np.full(783, 0.5)], x=np.r_[1, np.zeros(783)]),
     r"x has probability 0 under theta at 1 pixel\(s\) \(row, col\): \(0, 0\); "
     r"-log2 p\(x\) would be infinite"),
    (dict(theta=np.full(784, 0.5), x=np.zeros(784), row=28), r"\(row, col\) = \(28, 14\) is outside"),
    (dict(theta="not numbers", x=np.zeros(784)), "theta must be an array of numbers"),
])
def test_bad_input_raises_a_clear_value_error(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        PixelBitsExplorer(**kwargs)


def test_readout_outside_the_image(theta_x) -> None:
    w = PixelBitsExplorer(theta=theta_x[0], x=theta_x[1])
    with pytest.raises(ValueError, match=r"\(row, col\) = \(0, 28\) is outside the 28x28 image"):
        w.readout(0, 28)


# ------------------------------------------------------------------ colab

def test_colab_setup_is_a_no_op_outside_colab() -> None:
    assert "google.colab" not in sys.modules
    assert colab_setup() is False


def test_colab_setup_enables_the_widget_manager_in_colab(monkeypatch) -> None:
    calls = []
    output = type(sys)("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append(1)
    colab = type(sys)("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", type(sys)("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    sys.modules["google"].colab = colab
    assert colab_setup() is True and calls == [1]


def test_explorer_is_an_anywidget() -> None:
    import anywidget

    assert issubclass(PixelBitsExplorer, Explorer) and issubclass(Explorer, anywidget.AnyWidget)
    assert isinstance(PixelBitsExplorer.class_traits()["theta"], traitlets.List)
