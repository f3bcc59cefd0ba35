"""Strip outputs and execution counts from every chapter notebook (they are stored clean)."""
from pathlib import Path

import nbformat

for path in sorted(Path(__file__).resolve().parents[1].glob("chapters/*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print("stripped", path.name)
