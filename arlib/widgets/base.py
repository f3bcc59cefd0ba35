"""The base class of every explorer: an anywidget whose front end is bundled at class creation.

An explorer is a short Python class beside its ES module::

    class MyExplorer(Explorer):
        _js_file = "my_explorer.js"          # in this folder
        values = traitlets.List(traitlets.Float()).tag(sync=True)

Python computes the exact data (with arlib/torch/numpy) and passes it as synced traits of
plain lists/ints/floats; the JS draws it and computes what a knob changes, so the explorer
still responds in the built book with no kernel. See CONTRIBUTING.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import numpy as np

HERE = Path(__file__).parent

# The import lines an explorer's .js may use for the shared modules of this folder
# (``import * as draw from "./draw.js";``, ``import * as models from "./models.js";``); bundle()
# replaces each with the module inlined as a namespace of that name.
HELPER_IMPORT = re.compile(r'^import \* as (\w+) from "\./(\w+)\.js";[ \t]*$', re.MULTILINE)
DRAW_IMPORT = re.compile(r'^import \* as draw from "\./draw\.js";[ \t]*$', re.MULTILINE)
_EXPORT = re.compile(r"^export (function|const) (\w+)", re.MULTILINE)

# Shared look of every explorer (anywidget puts it in a <style> on the page).
CSS = """
.arlib-explorer { font: 13px/1.4 system-ui, sans-serif; color: #222; padding: 6px 4px; }
.arlib-explorer .arlib-row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.arlib-explorer .arlib-figure { margin: 0 0 6px 0; }
.arlib-explorer figcaption { font-size: 12px; color: #555; text-align: center; }
.arlib-explorer .arlib-canvas-wrap { position: relative; }
.arlib-explorer .arlib-canvas { display: block; image-rendering: pixelated; border: 1px solid #ccc; }
.arlib-explorer .arlib-tooltip { position: absolute; display: none; pointer-events: none;
  background: rgba(20,20,20,.85); color: #fff; padding: 2px 6px; border-radius: 3px;
  font-size: 12px; white-space: nowrap; z-index: 10; }
.arlib-explorer .arlib-colourbar { display: flex; gap: 4px; align-items: center; font-size: 11px;
  color: #555; margin-top: 3px; }
.arlib-explorer .arlib-ramp { flex: 1; height: 8px; border: 1px solid #ccc; }
.arlib-explorer .arlib-controls { display: flex; flex-direction: column; gap: 4px; min-width: 220px; }
.arlib-explorer .arlib-control { display: flex; gap: 8px; align-items: center; }
.arlib-explorer .arlib-control > span:first-child { min-width: 3em; }
.arlib-explorer .arlib-value { font-variant-numeric: tabular-nums; min-width: 2.5em; }
.arlib-explorer .arlib-readout th { text-align: left; font-weight: normal; color: #555; padding-right: 12px; }
.arlib-explorer .arlib-readout td { font-variant-numeric: tabular-nums; }
.arlib-explorer .arlib-edge { stroke: #999; stroke-width: 1; }
.arlib-explorer .arlib-edge-on { stroke: #e4572e; stroke-width: 2; }
.arlib-explorer .arlib-unit circle { fill: #fff; stroke: #333; }
.arlib-explorer .arlib-unit text { font-size: 10px; }
"""


def _inline(namespace: str, module: str) -> str:
    """Shared module ``module``.js of this folder wrapped in a function that returns its exports."""
    helpers = (HERE / f"{module}.js").read_text(encoding="utf-8")
    if HELPER_IMPORT.search(helpers):
        raise ValueError(f"{module}.js imports another module; shared modules must stand alone")
    names = [m.group(2) for m in _EXPORT.finditer(helpers)]
    body = _EXPORT.sub(r"\1 \2", helpers)
    return (f"// ---- arlib/widgets/{module}.js, inlined by arlib.widgets.base.bundle ----\n"
            f"const {namespace} = (() => {{\n" + body + "\nreturn { " + ", ".join(names) + " };\n})();")


def bundle(js_path: Path) -> str:
    """One self-contained ES module: the shared modules it imports inlined into the explorer's module.

    anywidget imports ``_esm`` from a blob URL, where ``import ... from "./draw.js"`` cannot
    resolve; so each such import line is replaced by the module (``draw.js``, ``models.js``)
    wrapped in a function that returns its exports, bound to the imported namespace's name.
    """
    source = js_path.read_text(encoding="utf-8")
    if not HELPER_IMPORT.search(source):
        return source  # an explorer that needs no shared helpers
    inlined = HELPER_IMPORT.sub(lambda m: _inline(m.group(1), m.group(2)), source)
    left = re.search(r'^\s*import\b.*$', inlined, re.MULTILINE)
    if left:   # the page could not resolve it (anywidget loads the module from a blob URL)
        raise ValueError(f"{js_path.name}: cannot inline {left.group(0).strip()!r}; write it exactly as "
                         'import * as NAME from "./NAME.js"; with nothing after the semicolon')
    return inlined + f"\n// ---- end of {js_path.name} ----\n"


class Explorer(anywidget.AnyWidget):
    """Base of every arlib explorer (see the module docstring).

    Subclasses set ``_js_file`` (a file beside the subclass's module). Their front end must
    put its elements in a root of class ``arlib-explorer`` and write a JSON readout of its
    state into that root's ``data-readout`` attribute (``draw.root`` / ``draw.setReadout``).
    """

    _js_file: ClassVar[str | None] = None
    _css = CSS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        js_file = cls.__dict__.get("_js_file")
        if js_file:

            module_dir = Path(sys.modules[cls.__module__].__file__).parent
            cls._esm = bundle(module_dir / js_file)

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict | None:
        """What ``data-readout`` should hold, computed in Python from the widget state.

        ``state`` is the model's embedded state (trait name -> value), ``readout`` what the
        page shows (its knob settings, e.g. row and col). The browser test compares the
        numbers it returns with the page's. Return None when there is nothing to compare.
        """
        return None


def as_float_array(name: str, value: Any) -> np.ndarray:
    """``value`` (a tensor, maybe with grad or on a GPU, an array or nested lists) as a float64 NumPy array;
    a ValueError that names ``name`` when it is not numbers."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__}") from err
