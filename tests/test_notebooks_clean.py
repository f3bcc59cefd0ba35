"""Notebooks are stored without outputs, and only the setup cell installs anything."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].glob("chapters/*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no chapter notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stripped_and_setup_cell(path):
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), \
        f"{path.name} has stored outputs; strip them (python scripts/strip_notebooks.py)"
    assert "google.colab" in "".join(code[0]["source"]), f"{path.name}: the first code cell must be the setup cell"
    for i, c in enumerate(code[1:], 2):
        assert not re.search(r"^\s*[!%]pip install", "".join(c["source"]), re.M), \
            f"{path.name}: code cell {i} installs packages; only the setup cell may"
