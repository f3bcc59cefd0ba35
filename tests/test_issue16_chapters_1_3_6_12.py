"""Issue 16, chapters 1, 3, 6 and 12 and the landing page: code that fits the page, the claims the
prose makes, the exercises that check the reader's own code, and a landing page that shows the book."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from arlib.exercises import ExerciseError, ch12
from arlib.models import MADE
from arlib.testing import assert_autoregressive

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
MINE = ["01_generative_models", "03_fvsbn", "06_made", "12_results"]


def _cells(chapter):
    return json.loads((CHAPTERS / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]


def _code(chapter):
    return ["".join(c["source"]) for c in _cells(chapter) if c["cell_type"] == "code"]


def _text(chapter):
    return "\n".join("".join(c["source"]) for c in _cells(chapter))


@pytest.mark.parametrize("chapter", MINE)
def test_code_lines_fit_the_page(chapter) -> None:
    long = [line for src in _code(chapter) for line in src.splitlines() if len(line) > 88]
    assert not long, f"{chapter}: code lines over 88 characters: {long[:3]}"


@pytest.mark.parametrize("chapter", MINE)
def test_figures_fit_the_column(chapter) -> None:
    # a figure wider than the column is shrunk in the page, and its text with it
    for src in _code(chapter):
        for w in re.findall(r"figsize=\(([\d.]+),", src):
            assert float(w) <= 7.3, f"{chapter}: a figure {w} in wide"


def test_chapter_1_says_the_data_is_the_books_own_draw() -> None:
    text = _text("01_generative_models")
    assert "the book's own fixed draw" in text and "*not* the binarized" in text
    # and why the papers' file is not just another draw: grey levels k/256 against k/255
    assert "$k/256$" in text and "$k/255$" in text and "Chapter 12 measures" in text


def test_chapter_3_asserts_its_claims_about_the_weights() -> None:
    src = "\n".join(_code("03_fvsbn"))
    assert "model.W" in src and "assert left > 0.8" in src and "(W_full[:, never] == 0).all()" in src
    assert "plt.ylim(80, 300)" not in src and 'ax.set_yscale("log")' in src
    text = _text("03_fvsbn")
    assert "almost never on in the training set" not in text  # the old claim (those weights are exactly 0)
    assert "Do not guess, measure" in text and "fit(shuffled" in text


def test_chapter_6_does_not_assert_a_short_run_ranking() -> None:
    src = "\n".join(_code("06_made"))
    assert "assert gap < 0" not in src
    assert "ordering=reversed_order" in src and "set_mask(" not in src.split("reversed_order")[1]
    text = _text("06_made")
    assert "short-run observation" in text and "Where the shipped MADE stands" in text


def test_made_takes_a_custom_ordering_without_mask_surgery() -> None:
    reversed_order = list(range(15, -1, -1))
    m = MADE(16, [24], ordering=reversed_order).double()
    assert m.order.tolist() == reversed_order
    assert_autoregressive(m, (16,), n_inputs=1)
    # output 0 (generated last) depends on inputs, output 15 (generated first) on none
    x = torch.zeros(1, 16, dtype=torch.float64)
    base = m(x)
    x[0, 15] = 1
    assert torch.equal(m(x)[0, 15], base[0, 15])


def test_chapter_12_exercise_3_checks_the_readers_function() -> None:
    cells = _code("12_results")
    check = next(c for c in cells if "check_noise_floor(" in c)
    assert "def my_floor" in check and "check_noise_floor(my_floor)" in check
    assert "check_noise_floor(noise_floor)" not in "\n".join(cells)
    # the checker calls what it is given: a wrong function fails
    with pytest.raises(ExerciseError):
        ch12.check_noise_floor(lambda g: torch.zeros(g.shape[0]))


def test_chapter_12_explains_the_marks_and_what_is_measured() -> None:
    text = _text("12_results")
    assert "**≈**" in text and "**≤**" in text and "**exact**" in text
    assert "The PixelRNN and PixelCNN rows of Tables 5 and 6 use a 256-way softmax" in text
    assert "re-sampling the training set lowers it" not in text
    assert "*Not* measured" in text


def test_landing_page_shows_the_teaser_and_marks_the_explorers() -> None:
    index = (CHAPTERS / "index.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", index)
    assert images and all((CHAPTERS / p).is_file() for p in images)
    assert (ROOT / "scripts" / "make_teaser.py").is_file()
    rows = [r for r in index.splitlines() if re.match(r"\| \d+ \|", r)]
    notebooks = sorted(p.stem for p in CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
    assert len(rows) == len(notebooks)
    for row in rows:
        cols = [c.strip() for c in row.strip("|").split("|")]
        nb = re.search(r"\((\d\d_\w+)\.ipynb\)", cols[1]).group(1)
        src = "\n".join(_code(nb))
        assert re.search(r"\w+Explorer\b", src) and cols[3], f"{nb}: an explorer, named in the map"
        live = "LiveModelExplorer" in src
        assert cols[4].startswith("✓") == live, f"{nb}: live model {live} but the map says {cols[4]!r}"
