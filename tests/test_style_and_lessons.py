"""The book's figure style, the figures of chapters 4 and 7 in arlib, the LSTM dependency fields of
chapter 7, and the code width of the chapters that adopted the style (2, 4, 7)."""
import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

from arlib.book import plotting
from arlib.lessons import classify
from arlib.lessons.lstm_fields import diagonal_bilstm_field, lstm_fields, raster_lstm_field, row_lstm_field

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
STYLED_CHAPTERS = ["02_chain_rule.ipynb", "04_deep_learning.ipynb", "07_rnn.ipynb"]
MIN_TEXT_PX = 10


def test_style_file_is_package_data_and_applied_on_import():
    assert plotting.STYLE.is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "book/*.mplstyle" in pyproject
    plt.rcdefaults()
    plotting.use_style()
    assert tuple(plt.rcParams["figure.figsize"]) == (7.2, 3.4)
    assert plt.rcParams["figure.dpi"] == 100
    # the default figure fits the column unshrunk, and its smallest text (ticks, legend) is readable
    assert plt.rcParams["figure.figsize"][0] * plt.rcParams["figure.dpi"] <= plotting.COLUMN_PX
    smallest_pt = min(plt.rcParams[k] for k in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize"))
    assert smallest_pt * 100 / 72 >= MIN_TEXT_PX


def test_smallest_text_px_measures_shrinking():
    plotting.use_style()
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.set_title("x", fontsize=9)
    ax.tick_params(labelsize=9)
    assert plotting.smallest_text_px(fig) == pytest.approx(9 * 100 / 72, rel=0.01)
    plt.close(fig)
    wide, ax = plt.subplots(figsize=(14.6, 3))  # twice the column: shown at half size
    ax.tick_params(labelsize=9)
    assert plotting.smallest_text_px(wide) < 0.7 * 9 * 100 / 72
    plt.close(wide)


def _history():
    torch.manual_seed(0)
    x = torch.randint(0, 2, (300, 16)).float()
    y = (x[:, 0] > 0).long()
    model = classify.SoftmaxRegression(D=16, K=2)
    return classify.train_classifier(model, x, y, valid=(x[:100], y[:100]), epochs=1, batch_size=30,
                                     lr=0.5, eval_every=2, seed=0, progress=False)


def _two_moons_models():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 2, generator=g)
    y = (X[:, 0] * X[:, 1] > 0).long()
    return {"linear": classify.SoftmaxRegression(D=2, K=2), "MLP": classify.MLPClassifier(D=2, hidden=(8,), K=2)}, X, y


@pytest.mark.parametrize("make", [
    lambda: plotting.classifier_curves([_history(), _history()], ["a", "b"]),
    lambda: plotting.softmax_templates(torch.randn(10, 784), torch.randn(10), torch.randint(0, 2, (784,)).float(), 3),
    lambda: plotting.decision_boundaries(*_two_moons_models()),
    lambda: plotting.backprop_graph().figure,
    lambda: plotting.dependency_fields(lstm_fields(12, 12, 6, 5), (6, 5))[0].figure,
], ids=["classifier_curves", "softmax_templates", "decision_boundaries", "backprop_graph", "dependency_fields"])
def test_book_figures_are_readable_in_the_column(make):
    plotting.use_style()
    fig = make()
    px = plotting.smallest_text_px(fig)
    plt.close(fig)
    assert px >= MIN_TEXT_PX, f"smallest text {px:.1f} px in the page"


# ---- chapter 7: which pixels the state of an LSTM at a pixel has read

def _raster_past(H, W, i, j):
    return (torch.arange(H * W) < i * W + j).reshape(H, W)


@pytest.mark.parametrize("H,W", [(5, 7), (8, 8), (28, 28)])
def test_every_field_is_autoregressive(H, W):
    for i in range(0, H, 3):
        for j in range(0, W, 2):
            past = _raster_past(H, W, i, j)
            for name, field in lstm_fields(H, W, i, j).items():
                assert not (field & ~past).any(), f"{name} at ({i}, {j}) reads a pixel at or after it"


def test_raster_and_diagonal_bilstm_read_the_whole_past():
    H, W = 9, 11
    for i in range(H):
        for j in range(W):
            past = _raster_past(H, W, i, j)
            assert torch.equal(raster_lstm_field(H, W, i, j), past)
            assert torch.equal(diagonal_bilstm_field(H, W, i, j), past)


def test_row_lstm_field_is_a_triangle():
    H, W, i, j = 12, 20, 8, 9
    field = row_lstm_field(H, W, i, j, k=3)
    assert field[i].nonzero().flatten().tolist() == [j - 1]          # only the left neighbour in its row
    for up in range(1, i + 1):                                        # row i - up: columns j - up - 1 .. j + up - 1
        cols = field[i - up].nonzero().flatten().tolist()
        assert cols == list(range(max(0, j - up - 1), min(W, j + up))), up
    assert not field[i + 1:].any()
    wider = row_lstm_field(H, W, i, j, k=5)                           # r = 2: two columns more per row
    assert wider.sum() > field.sum() and not (field & ~wider).any()
    assert field.sum() < _raster_past(H, W, i, j).sum()               # it misses part of the context


def test_fields_reject_bad_arguments():
    with pytest.raises(ValueError):
        row_lstm_field(5, 5, 5, 0)
    with pytest.raises(ValueError):
        row_lstm_field(5, 5, 2, 2, k=2)


# ---- the chapters that use the style: code lines fit the page's code column

@pytest.mark.parametrize("name", STYLED_CHAPTERS)
def test_code_lines_fit_the_column(name):
    cells = json.loads((ROOT / "chapters" / name).read_text())["cells"]
    long = [(i, line) for i, c in enumerate(cells) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > 88]
    assert not long, f"{name}: code lines over 88 characters: {long[:3]}"
