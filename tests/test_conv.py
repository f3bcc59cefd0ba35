"""Chapter 8: convolutions by hand agree with NumPy and PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from arlib.exercises import ExerciseError, ch08
from arlib.lessons.conv import FILTERS, apply_filter, conv1d, conv2d, filter_checksum, output_size, true_conv1d


def test_lecture_example_filter_1_0_minus1():
    g = [0, 0, 1, 1, 1, 0, 0]
    out = conv1d([1, 0, -1], g)
    # (f * g)[p] = 1 g_p + 0 g_{p+1} - 1 g_{p+2}
    assert out.tolist() == [g[p] - g[p + 2] for p in range(5)] == [-1, -1, 0, 1, 1]


def test_conv1d_is_cross_correlation_and_true_conv_flips():
    rng = np.random.default_rng(0)
    f, g = rng.normal(size=4), rng.normal(size=12)
    np.testing.assert_allclose(conv1d(f, g), np.correlate(g, f, "valid"))
    np.testing.assert_allclose(true_conv1d(f, g), np.convolve(g, f, "valid"))
    np.testing.assert_allclose(true_conv1d(f, g), conv1d(f[::-1], g))
    torch_out = F.conv1d(torch.tensor(g)[None, None], torch.tensor(f)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(conv1d(f, g), torch_out)  # PyTorch's "convolution" is the lecture's
    sym = np.array([1.0, 2.0, 1.0])
    np.testing.assert_allclose(conv1d(sym, g), true_conv1d(sym, g))  # a symmetric filter: no difference


def test_conv1d_errors():
    with pytest.raises(ValueError, match="longer than the signal"):
        conv1d([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="1-D"):
        conv1d([[1]], [1, 2])


@settings(max_examples=25, deadline=None)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), k=st.integers(1, 4), size=st.integers(4, 9),
       padding=st.integers(0, 2), stride=st.integers(1, 3), seed=st.integers(0, 10_000), bias=st.booleans())
def test_conv2d_matches_torch(c_in, c_out, k, size, padding, stride, seed, bias):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(c_in, size, size)), rng.normal(size=(c_out, c_in, k, k))
    b = rng.normal(size=c_out) if bias else None
    ours = conv2d(x, w, b, padding=padding, stride=stride)
    ref = F.conv2d(torch.tensor(x)[None], torch.tensor(w), None if b is None else torch.tensor(b),
                   padding=padding, stride=stride)[0].numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    assert ours.shape[1] == output_size(size, k, padding, stride)


def test_conv2d_single_channel_and_errors():
    x = np.arange(25.0).reshape(5, 5)
    out = conv2d(x, np.ones((3, 3)))
    assert out.shape == (3, 3) and out[0, 0] == x[:3, :3].sum()
    with pytest.raises(ValueError, match="input channel"):
        conv2d(np.zeros((2, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        conv2d(np.zeros((3, 3)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="stride"):
        conv2d(x, np.ones((3, 3)), stride=0)


def test_output_size_formula():
    assert output_size(28, 3, padding=1) == 28
    assert output_size(28, 5) == 24
    assert output_size(28, 3, padding=1, stride=2) == 14


def test_filters_and_apply_filter_on_a_digit():
    from arlib.data import load_binarized_mnist

    digit = load_binarized_mnist("test", n=1)[0].numpy()
    img = digit.reshape(28, 28)
    for name, k in FILTERS.items():
        out = apply_filter(digit, k)
        assert out.shape == (28, 28), name
        np.testing.assert_allclose(out, conv2d(img, k, padding=1), atol=1e-5)
    np.testing.assert_allclose(apply_filter(img, FILTERS["identity"]), img)
    # smoothing preserves the total away from the border; edge filters sum to zero on flat regions
    assert abs(FILTERS["smoothing (box)"].sum() - 1) < 1e-12 and FILTERS["edges (Laplacian)"].sum() == 0


def test_filter_checksum():
    a = np.arange(16.0).reshape(4, 4) - 5
    c = filter_checksum(a, probes=[(0, 0), (2, 3)])
    assert c == {"sum": a.sum(), "abs_sum": np.abs(a).sum(), "min": -5, "max": 10, "v0": -5, "v1": 6}
    with pytest.raises(ValueError, match="2-D"):
        filter_checksum(np.zeros(4))


# ---- exercise checkers (arlib.exercises.ch08) ----


def test_checker_output_size():
    ch08.check_output_size(lambda n, k, p, s: (n + 2 * p - k) // s + 1)
    with pytest.raises(ExerciseError, match="ignores padding"):
        ch08.check_output_size(lambda n, k, p, s: n - k + 1)
    with pytest.raises(ExerciseError, match="both sides"):
        ch08.check_output_size(lambda n, k, p, s: (n + p - k) // s + 1)


def test_checker_conv2d():
    ch08.check_conv2d(lambda x, w, p, s: conv2d(x, w, padding=p, stride=s))
    with pytest.raises(ExerciseError, match="flipped"):
        ch08.check_conv2d(lambda x, w, p, s: conv2d(x, w[:, :, ::-1, ::-1], padding=p, stride=s))
    with pytest.raises(ExerciseError, match="shape"):
        ch08.check_conv2d(lambda x, w, p, s: conv2d(x, w))


def test_checker_horizontal_edges():
    ch08.check_horizontal_edge_filter(FILTERS["horizontal edges (Sobel y)"])
    with pytest.raises(ExerciseError, match="vertical edge"):
        ch08.check_horizontal_edge_filter(FILTERS["edges (Laplacian)"])
    with pytest.raises(ExerciseError, match="flat region"):
        ch08.check_horizontal_edge_filter(FILTERS["smoothing (box)"])
    with pytest.raises(ExerciseError, match="3x3"):
        ch08.check_horizontal_edge_filter([1, 0, -1])


def test_checker_conv_layer_count():
    ch08.check_conv_layer_count(1, 5, 3, 50, 3920)
    with pytest.raises(ExerciseError, match="bias"):
        ch08.check_conv_layer_count(3, 5, 3, 135, 3920)
    with pytest.raises(ExerciseError, match="all input channels"):
        ch08.check_conv_layer_count(3, 5, 3, 50, 3920)
    with pytest.raises(ExerciseError, match="numbers per image"):
        ch08.check_conv_layer_count(1, 5, 3, 50, 784)


def test_checker_causal_mask():
    ch08.check_causal_mask([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    with pytest.raises(ExerciseError, match="not autoregressive"):
        ch08.check_causal_mask([[1, 1, 1], [1, 1, 0], [0, 0, 0]])
    with pytest.raises(ExerciseError, match="drops weights"):
        ch08.check_causal_mask([[1, 1, 1], [0, 0, 0], [0, 0, 0]])


# ---- the filter explorer (arlib.widgets.FilterExplorer) ----
import json  # noqa: E402
import shutil  # noqa: E402

from arlib.widgets import FilterExplorer  # noqa: E402


def _digits(n=3):
    from arlib.data import load_binarized_mnist

    return load_binarized_mnist("test", labels=True, n=n)


def test_filter_explorer_state_and_readout():
    x, y = _digits()
    w = FilterExplorer(x, labels=y, kernel=FILTERS["edges (Laplacian)"], digit=1)
    state = w.get_state()
    assert state["_anywidget_id"] == "arlib.widgets.filter.FilterExplorer"
    assert len(state["digits"]) == 3 and len(state["digits"][0]) == 784 and len(state["preset_kernels"]) == len(FILTERS)
    assert len(json.dumps({k: v for k, v in state.items() if not isinstance(v, bytes)})) < 1_000_000
    ref = F.conv2d(x[1].view(1, 1, 28, 28).double(), torch.tensor(FILTERS["edges (Laplacian)"])[None, None], padding=1)
    got = w.readout()
    assert got["sum"] == pytest.approx(ref.sum().item(), abs=1e-9) and got["max"] == pytest.approx(ref.max().item())
    assert got == FilterExplorer.expected_readout(state, {"digit": 1, "kernel": state["kernel"]})
    k = [0.1 * i for i in range(9)]
    assert w.readout(digit=2, kernel=k) == filter_checksum(conv2d(x[2].view(28, 28).numpy(), np.reshape(k, (3, 3)), padding=1))


@pytest.mark.parametrize("kwargs, msg", [
    (dict(digits=np.zeros((2, 10))), "28x28"),
    (dict(digits=np.full((1, 784), 0.5)), "binary"),
    (dict(digits=np.zeros((1, 784)), kernel=[1, 2]), "9 finite numbers"),
    (dict(digits=np.zeros((1, 784)), digit=3), r"digit must be in \[0, 0\]"),
    (dict(digits=np.zeros((2, 784)), labels=[1]), "1 labels for 2 digits"),
    (dict(digits=np.zeros((1, 784)), presets={"bad": np.ones((2, 2))}), "3x3"),
])
def test_filter_explorer_input_checks(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        FilterExplorer(**kwargs)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_filter_js_computes_what_pytorch_computes(run_js):
    x, y = _digits()
    w = FilterExplorer(x, labels=y)
    state = w.get_state()
    kernels = [list(map(float, FILTERS[n].reshape(-1))) for n in FILTERS] + [[0.3, -1.25, 2, 0, 1e-3, -7, 0.5, 0.5, 0.5]]
    cases = [(d, k) for d in range(3) for k in kernels]
    script = (f"const digits = {json.dumps(state['digits'])}; const probes = {json.dumps(state['probes'])};\n"
              f"const cases = {json.dumps(cases)};\n"
              "console.log(JSON.stringify(cases.map(([d, k]) => checksum(convolve(digits[d], k), probes))));")
    page = run_js(FilterExplorer._esm, "convolve, checksum", script)
    for (d, k), got in zip(cases, page):
        want = FilterExplorer.expected_readout(state, {"digit": d, "kernel": k})
        assert set(got) == set(want)
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), (d, k, key)
