"""ReceptiveFieldExplorer: what the conditional of one pixel sees through a stack of masked convolutions.

    from arlib.widgets import ReceptiveFieldExplorer
    ReceptiveFieldExplorer(n_layers=3, kernel_size=3, mask="AB", row=14, col=14)

Knobs: the number of layers, the kernel size (3, 5, 7), the mask types ("AB": type A then type B,
the lecture's option 1; "A" or "B": every layer the same) and the output pixel (sliders, or click
the image).  The page computes the receptive field exactly, by dilating the set {pixel} with the
mask offsets of each layer from the top down (``arlib.receptive.stack_field``), and shows the
blind spot (``arlib.receptive.blind_spot``): past pixels within the field's reach that it misses.
Its readout lists the field and the blind spot as flat indices (row * width + col); the Python
reference measures the same field by gradients (``arlib.receptive.receptive_field``).
"""

from __future__ import annotations

from typing import Any

import torch
import traitlets

from arlib.receptive import blind_spot, masked_stack, receptive_field

from .base import Explorer

MASKS = ("AB", "A", "B")
KERNELS = (3, 5, 7)


class ReceptiveFieldExplorer(Explorer):
    """Receptive field and blind spot of one output pixel of a masked-convolution stack."""

    _js_file = "receptive.js"

    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    n_layers = traitlets.Int(3).tag(sync=True)
    max_layers = traitlets.Int(12).tag(sync=True)
    kernel_size = traitlets.Int(3).tag(sync=True)
    mask = traitlets.Unicode("AB").tag(sync=True)
    row = traitlets.Int(14).tag(sync=True)
    col = traitlets.Int(14).tag(sync=True)

    def __init__(self, n_layers: int = 3, kernel_size: int = 3, mask: str = "AB", *, row: int | None = None,
                 col: int | None = None, shape: tuple[int, int] = (28, 28), max_layers: int = 12,
                 **kwargs: Any) -> None:
        h, w = int(shape[0]), int(shape[1])
        if h < 1 or w < 1 or h * w > 4096:
            raise ValueError(f"shape must be (height, width) with at most 4096 pixels, got {shape}")
        if not isinstance(max_layers, int) or not 2 <= max_layers <= 30:
            raise ValueError(f"max_layers must be an int in [2, 30], got {max_layers!r}")
        if not isinstance(n_layers, int) or not 1 <= n_layers < max_layers:
            raise ValueError(f"n_layers must be an int in [1, {max_layers - 1}] (below max_layers={max_layers}, "
                             f"so the layer slider can still move right), got {n_layers!r}")
        if kernel_size not in KERNELS:
            raise ValueError(f"kernel_size must be one of {KERNELS}, got {kernel_size!r}")
        if mask not in MASKS:
            raise ValueError(f"mask must be 'AB' (type A, then type B), 'A' or 'B' (every layer), got {mask!r}")
        row = h // 2 if row is None else int(row)
        col = w // 2 if col is None else int(col)
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"pixel (row, col) = ({row}, {col}) is outside the {h}x{w} image")
        super().__init__(height=h, width=w, n_layers=n_layers, max_layers=max_layers, kernel_size=kernel_size,
                         mask=mask, row=row, col=col, **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def field_readout(height: int, width: int, n_layers: int, kernel_size: int, mask: str, row: int,
                      col: int) -> dict:
        """The page's readout for a setting, measured in Python by gradients (arlib.receptive)."""


        field = receptive_field(masked_stack(n_layers, kernel_size, mask), (height, width), (row, col))
        blind = blind_spot(field, (row, col))
        flat = field.flatten()
        i = row * width + col
        return {
            "n_layers": n_layers, "kernel_size": kernel_size, "mask": mask, "row": row, "col": col,
            "field_count": int(flat.sum()), "blind_count": int(blind.sum()),
            "past_count": i, "future_count": int(flat[i:].sum()),
            "field": [int(j) for j in torch.nonzero(flat).flatten()],
            "blind": [int(j) for j in torch.nonzero(blind.flatten()).flatten()],
        }

    def readout(self, **changes: Any) -> dict:
        """The numbers the page shows (default: the widget's settings; override any by keyword)."""
        s = {k: getattr(self, k) for k in ("n_layers", "kernel_size", "mask", "row", "col")}
        s.update(changes)
        if not (0 <= s["row"] < self.height and 0 <= s["col"] < self.width):
            raise ValueError(f"pixel (row, col) = ({s['row']}, {s['col']}) is outside the "
                             f"{self.height}x{self.width} image")
        return self.field_readout(self.height, self.width, s["n_layers"], s["kernel_size"], s["mask"],
                                  s["row"], s["col"])

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        return cls.field_readout(int(state["height"]), int(state["width"]), int(readout["n_layers"]),
                                 int(readout["kernel_size"]), str(readout["mask"]), int(readout["row"]),
                                 int(readout["col"]))
