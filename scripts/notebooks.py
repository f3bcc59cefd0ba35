"""Keep the chapter notebooks clean: outputs stripped, except the expected outputs of checked cells.

    python scripts/notebooks.py strip  [NOTEBOOK ...]   # strip every output but the recorded ones
    python scripts/notebooks.py record [NOTEBOOK ...]   # execute, record the outputs of checked cells
    python scripts/notebooks.py url    [NOTEBOOK ...]   # write _config.yml's repository URL into the setup cells

A cell tagged ``nbval-check-output`` (nbval's cell tag) prints something deterministic and meaningful
(a count, a mask, a rounded NLL). nbval compares what it prints with the output stored in the
notebook, so those cells keep their text output (and only their text output); every other
output is stripped, because the book executes the notebooks when it builds.
Default: every ``chapters/*.ipynb``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHECKED = "nbval-check-output"  # the nbval cell tag of a checked cell


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECKED in cell.metadata.get("tags", [])


def clean(nb, keep: dict[int, list] | None = None) -> None:
    """Strip outputs in place; checked cells keep their stream/text outputs (or ``keep[i]``)."""
    n_code = 0
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        n_code += 1
        # nbval refuses a reference cell with outputs but no execution count ("unrun"), so a
        # checked cell keeps its position among the code cells as its count; others have none.
        cell.execution_count = n_code if is_checked(cell) else None
        outs = keep.get(i, cell.outputs) if keep is not None else cell.outputs
        if is_checked(cell):
            kept = []
            for o in outs:
                if o.output_type == "stream" and o.name == "stdout":
                    kept.append(nbformat.v4.new_output("stream", name="stdout", text=o.text))
                elif o.output_type == "execute_result" and "text/plain" in o.get("data", {}):
                    kept.append(nbformat.v4.new_output("execute_result", data={"text/plain": o.data["text/plain"]},
                                                       execution_count=n_code))
            cell.outputs = kept
        else:
            cell.outputs = []


def record(path: Path) -> None:

    nb = nbformat.read(path, as_version=4)
    run = nbformat.read(path, as_version=4)
    NotebookClient(run, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    clean(nb, keep={i: c.outputs for i, c in enumerate(run.cells) if c.cell_type == "code"})
    nbformat.write(nb, path)


def repository_url() -> str:
    """The repository URL of _config.yml (``repository: url:``), the one place it is written."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8").split("repository:", 1)[1]
    return re.search(r"^\s*url:\s*(\S+)", text, re.M).group(1)


def set_url(nb, url: str) -> bool:
    """Point the setup cell's ``pip install "arlib @ git+URL"`` at ``url``; True if it changed."""
    setup = next(c for c in nb.cells if c.cell_type == "code")
    new = re.sub(r"git\+[^\s\"']+", f"git+{url}", setup.source, count=1)
    changed, setup.source = new != setup.source, new
    return changed


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("strip", "record", "url"):
        raise SystemExit(__doc__)
    paths = [Path(p) for p in argv[1:]] or sorted((ROOT / "chapters").glob("*.ipynb"))
    for path in paths:
        if argv[0] == "record":
            record(path)
        elif argv[0] == "url":
            nb = nbformat.read(path, as_version=4)
            if set_url(nb, repository_url()):
                nbformat.write(nb, path)
        else:
            nb = nbformat.read(path, as_version=4)
            clean(nb)
            nbformat.write(nb, path)
        print(f"{argv[0]}: {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
