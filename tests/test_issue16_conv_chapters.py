"""Issue 16, chapters 8, 10 and 11 and the sampling replays: what a reader sees first, and what the
prose claims."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from arlib.models import GatedPixelCNN
from arlib.widgets import ClassSamplingExplorer, SamplingExplorer
from arlib.widgets.sampling import default_step

ROOT = Path(__file__).resolve().parents[1]
WIDGETS = ROOT / "arlib" / "widgets"


def _run(n=3, shape=(28, 28), seed=0):
    g = np.random.default_rng(seed)
    probs = g.uniform(size=(n, shape[0] * shape[1]))
    x = (g.uniform(size=probs.shape) < probs).astype(int)
    return x, probs


# ------------------------------------------------------------------ the replays open half-drawn

@pytest.mark.parametrize("shape", [(28, 28), (6, 6), (12, 20), (1, 2)])
def test_default_step_is_half_drawn_and_can_move_on(shape) -> None:
    h, w = shape
    t = default_step(h, w)
    assert 0 <= t <= max(0, h * w - 2)  # the site test presses ArrowRight: the step must be able to move
    if h * w >= 4:
        assert 0.3 * h * w <= t <= 0.7 * h * w


def test_sampling_explorer_opens_half_drawn_with_a_consistent_readout() -> None:
    x, probs = _run()
    e = SamplingExplorer(x, probs, n_show=3)
    assert e.step == default_step(28, 28) == 14 * 28 + 14
    state = {"x": e.x, "probs": e.probs, "order": e.order, "width": e.width}
    assert e.readout() == SamplingExplorer.expected_readout(state, {"step": e.step})
    image, _ = e.frames([e.step])[0]
    drawn = np.isfinite(image).mean()
    assert 0.4 < drawn < 0.7  # neither empty squares nor finished
    assert SamplingExplorer(x, probs, n_show=1, step=0).step == 0  # an explicit step still wins


def test_class_sampling_explorer_opens_half_drawn() -> None:
    torch.manual_seed(0)
    m = GatedPixelCNN(channels=4, n_layers=2, kernel_size=3, first_kernel_size=5, n_classes=10, height=7, width=7)
    e = ClassSamplingExplorer.from_model(m, classes=[1, 4], seeds=[0])
    assert e.step == default_step(7, 7) == 3 * 7 + 3
    state = {n: getattr(e, n) for n in ("classes", "seeds", "x", "probs", "height", "width", "n_layers",
                                          "kernel_size", "first_kernel_size")}
    for label in (0, 1):
        r = e.readout(label=label)
        assert r["step"] == e.step  # another class: the same step, not a blank image
        assert r == ClassSamplingExplorer.expected_readout(state, {"label": r["label"], "seed": 0,
                                                                    "step": e.step})


def test_gated_stacks_js_keeps_the_step_when_the_class_changes() -> None:
    js = (WIDGETS / "gated_stacks.js").read_text(encoding="utf-8")
    on_class = re.search(r'label: "class y".*?onChange: \(v\) => \{(.*?)\}', js, re.S).group(1)
    assert "go(step" in on_class and "go(0" not in on_class


@pytest.mark.parametrize("name", ["draw.js", "live.js", "classifier.js", "coding.js"])
def test_button_labels_are_plain_ascii(name) -> None:
    # Symbols such as the media-control glyphs show as empty boxes where the font lacks them.
    js = (WIDGETS / name).read_text(encoding="utf-8")
    labels = re.findall(r'(?:button|btn)\("([^"]*)"', js) + re.findall(r'textContent = "([^"]*)"', js)
    assert len(labels) >= 2
    for label in labels:
        assert label.isascii() and label.strip(), f"{name}: button label {label!r}"


def test_replays_use_the_shared_step_controls() -> None:
    # draw.transport holds the replay's buttons (|<, -1, play/pause, +1, >|); the replays use it
    draw = (WIDGETS / "draw.js").read_text(encoding="utf-8")
    body = draw[draw.index("export function transport"):draw.index("// ------", draw.index("export function transport"))]
    assert re.findall(r'button\("([^"]*)"', body) == ["play", "|<", "-1", "+1", ">|"]
    for name in ["sampling.js", "gated_stacks.js"]:
        js = (WIDGETS / name).read_text(encoding="utf-8")
        assert "draw.transport(" in js and "setInterval" not in js, name


def test_class_explorer_controls_have_a_fixed_width() -> None:
    # The images sit right of the controls: a readout that changes width would move them sideways.
    js = (WIDGETS / "gated_stacks.js").read_text(encoding="utf-8")
    m = re.search(r'class: "arlib-controls", style: \{ width: "(\d+)px", minWidth: "(\d+)px", flex: "0 0 (\d+)px"', js)
    assert m and len(set(m.groups())) == 1
    scale = re.search(r"Math\.min\((\d+), Math\.floor\((\d+) / Math\.max\(H, W\)\)\)", js)
    # controls + two 28x28 images (+ gaps and borders) fit the book's 730 px column
    assert int(m.group(1)) + 2 * (min(int(scale.group(1)), int(scale.group(2)) // 28) * 28 + 18) <= 730


# ------------------------------------------------------------------ the animations

@pytest.mark.parametrize("n_show,n_frames,dpi", [(4, 15, 60), (4, 12, 50), (10, 10, 45)])
def test_animation_opens_on_a_drawn_frame_with_readable_text(n_show, n_frames, dpi) -> None:
    x, probs = _run(n=n_show)
    e = SamplingExplorer(x, probs, n_show=n_show)
    anim = e.to_animation(n_frames=n_frames, dpi=dpi)
    assert anim.text_px >= 10
    html = anim.to_jshtml()
    starts = re.findall(r"anim\w+\.set_frame\((\d+)\);", html)
    assert len(starts) == 1
    start = int(starts[0])
    assert 0 < start < n_frames - 1  # "Next frame" still advances from it
    D = 28 * 28
    steps = sorted({min(D - 1, round(j * (D - 1) / (n_frames - 1))) for j in range(n_frames)})
    image, _ = e.frames([steps[start]])[0]
    assert np.isfinite(image).mean() > 0.4  # more than 40% of the pixels drawn on the first view


# ------------------------------------------------------------------ the chapters' code

@pytest.mark.parametrize("chapter", ["08_convolutions", "10_blind_spot", "11_gated_pixelcnn"])
def test_code_lines_fit_the_page(chapter) -> None:
    import json

    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    long = [(i, line) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > 88]
    assert not long, f"{chapter}: code lines over 88 characters: {long[:3]}"


def test_chapter_10_has_no_animation_left() -> None:
    # its layer-growth animation repeated the figure and the explorer, with 7 px titles
    text = (ROOT / "chapters" / "10_blind_spot.ipynb").read_text(encoding="utf-8")
    assert "to_jshtml" not in text and "layers_animation" not in text
