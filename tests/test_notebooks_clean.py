"""Notebooks are stored without outputs (but for the expected text of checked cells), and only the
setup cell installs anything."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("chapters/*.ipynb"))
CHECKED = "nbval-check-output"  # nbval's cell tag
WIDTH = 88  # what the code column of a 1280-pixel window shows (site/css/book.css)


def test_there_are_chapters():
    assert NOTEBOOKS, "no chapter notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stripped_and_setup_cell(path):
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    for i, c in enumerate(code, 1):
        src = "".join(c["source"])
        assert "NBVAL_CHECK_OUTPUT" not in src, f"{path.name}: cell {i}: tag the cell nbval-check-output instead"
        if CHECKED in c.get("metadata", {}).get("tags", []):
            assert c.get("execution_count") is not None, f"{path.name}: checked cell {i} needs an execution count for nbval"
            assert c["outputs"], (f"{path.name}: checked code cell {i} has no recorded output, so nbval checks "
                                  "nothing; run python scripts/notebooks.py record")
            assert all(o["output_type"] in ("stream", "execute_result") and "image/png" not in o.get("data", {})
                       for o in c["outputs"]), f"{path.name}: checked cell {i} may only keep text output"
        else:
            assert c.get("execution_count") is None, f"{path.name}: code cell {i} has an execution count"
            assert not c["outputs"], f"{path.name}: code cell {i} has stored outputs; run python scripts/notebooks.py strip"
    assert "google.colab" in "".join(code[0]["source"]), f"{path.name}: the first code cell must be the setup cell"
    assert "hide-input" in code[0].get("metadata", {}).get("tags", []), f"{path.name}: hide the setup cell's input"
    for i, c in enumerate(code[1:], 2):
        assert not re.search(r"^\s*[!%]pip install", "".join(c["source"]), re.M), \
            f"{path.name}: code cell {i} installs packages; only the setup cell may"


def test_setup_cells_use_the_configured_repository():
    url = re.search(r"^\s*url:\s*(\S+)", (ROOT / "_config.yml").read_text().split("repository:")[1], re.M).group(1)
    for path in NOTEBOOKS:
        setup = "".join(next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")["source"])
        assert f"git+{url}" in setup, f"{path.name}: the setup cell must install from {url} (the URL in _config.yml)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_page_column(path):
    """Code lines fit the built page's code column (88 characters at 1280 pixels; the site check measures it)."""
    cells = json.loads(path.read_text())["cells"]
    wide = [(i, line) for i, c in enumerate(cells) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > WIDTH]
    assert not wide, f"{path.name}: {len(wide)} code lines over {WIDTH} characters, first in cell {wide[0][0]}: {wide[0][1]!r}"
