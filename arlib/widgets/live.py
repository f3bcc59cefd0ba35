"""LiveModelExplorer: the book's trained models running in the page, on a digit the reader draws.

    from arlib.widgets import LiveModelExplorer
    LiveModelExplorer.from_models({"NADE": nade}, digits)          # digits: a few test images

The page holds each model's weights (``page_spec``: int8 with one float32 scale per output row,
biases in float32, base64) and ``models.js``, the one JavaScript forward pass of FVSBN, NADE,
MADE and PixelCNN. As the reader draws, the page recomputes p(x_i = 1 | x_<i) for every pixel,
the per-pixel nats and log p(x); "complete" keeps the first r rows and samples the rest in the
model's order, with Mulberry32 numbers of a seed, so a seed always gives the same completion.

The same numbers in Python: ``page_model(model)`` is the model with the page's (rounded)
weights, in float64; ``complete(model, x, keep_rows, seed)`` samples as the page does.
``expected_readout`` uses both, so the browser test compares the page with arlib.
"""
from __future__ import annotations

import base64
import copy
from typing import Any, Callable, Mapping

import numpy as np
import torch
import traitlets

from arlib.checkpoints import quantise_rows
from arlib.masks import Mulberry32
from arlib.models import FVSBN, MADE, NADE, AutoregressiveModel, PixelCNN

from .base import Explorer

__all__ = ["LiveModelExplorer", "page_spec", "page_model", "page_tensors", "complete", "spec_bytes"]


# ---------------------------------------------------------------- the weights, as the page holds them

def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _unb64(s: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=dtype)


def quantize(w: torch.Tensor) -> dict:
    """A weight tensor as int8 with one float32 scale per row (first axis), w ~ q * scale[row], as
    ``arlib.checkpoints.quantise_rows`` stores it in an int8 checkpoint (each weight moves by at most
    half a step, scale / 2)."""
    q, scale = quantise_rows(w.detach().cpu())
    return {"shape": list(w.shape), "q": _b64(q.numpy()), "scale": _b64(scale.numpy())}


def _exact(b: torch.Tensor) -> dict:
    return {"shape": list(b.shape), "f32": _b64(b.detach().float().cpu().numpy())}


def decode(t: Mapping) -> np.ndarray:
    """A tensor of a page spec as float64 (what ``models.js``'s ``decode`` computes)."""
    if "f32" in t:
        return _unb64(t["f32"], np.float32).astype(np.float64).reshape(t["shape"])
    q = _unb64(t["q"], np.int8).astype(np.float64).reshape(t["shape"][0], -1)
    scale = _unb64(t["scale"], np.float32).astype(np.float64)
    return (q * scale[:, None]).reshape(t["shape"])


def _kind(model: AutoregressiveModel) -> str:
    for cls, kind in ((FVSBN, "fvsbn"), (NADE, "nade"), (MADE, "made"), (PixelCNN, "pixelcnn")):
        if isinstance(model, cls):
            if kind == "pixelcnn" and (not model.binary or model.event_shape[0] != 1 or model.bottleneck):
                raise ValueError("the page runs binary one-channel PixelCNNs of plain layers only")
            return kind
    raise ValueError(f"the page has no forward pass for {type(model).__name__}; "
                     "it runs FVSBN, NADE, MADE and binary PixelCNN")


def _into(param: torch.Tensor):
    return lambda value: param.copy_(value)


EXACT_BELOW = 2048   # entries: smaller weight tensors stay float32 (they save little as int8)


def page_tensors(model: AutoregressiveModel) -> dict[str, tuple[torch.Tensor, bool, Callable]]:
    """The model's tensors in the page's layout: name -> (value, quantized?, load), where
    ``load(value)`` writes a value of that layout back into the model. Weights of at least
    ``EXACT_BELOW`` entries are quantized (the masked weights where the mask is fixed); biases and
    small weights (a PixelCNN's first layer and head, whose few weights each reach many logits)
    are kept in float32."""
    return {k: (t, q and t.numel() >= EXACT_BELOW, load) for k, (t, q, load) in _layout(model).items()}


def _layout(model: AutoregressiveModel) -> dict[str, tuple[torch.Tensor, bool, Callable]]:
    kind = _kind(model)
    if kind == "fvsbn":
        return {"W": (model.W, True, lambda v: model.w.copy_(v.reshape(-1)[model.flat_index])),
                "b": (model.b, False, _into(model.b))}
    if kind == "nade":
        return {name: (getattr(model, name), name in "WV", _into(getattr(model, name))) for name in "WcVb"}
    if kind == "made":
        one = model.num_masks == 1   # one fixed mask: store M * W (zeros compress, the scales fit)
        named = [(f"W{l}", layer) for l, layer in enumerate(model.layers, start=1)]
        named += [("direct", model.direct)] if model.direct is not None else []
        out = {}
        for name, layer in named:
            out[name] = (layer.masked_weight() if one else layer.weight, True, _into(layer.weight))
            if layer.bias is not None:
                out["b" + name[1:]] = (layer.bias, False, _into(layer.bias))
        return out
    out = {}
    for l, conv in enumerate([*model.layers, *model.head]):
        out[f"conv{l}"] = (conv.masked_weight(cropped=False), True, _into(conv.weight))
        out[f"bias{l}"] = (conv.bias, False, _into(conv.bias))
    return out


def page_spec(model: AutoregressiveModel, name: str) -> dict:
    """What the page needs to run ``model``: kind, size, order, tensors (and MADE's degrees or
    PixelCNN's layers), plus the class and config that rebuild it in Python."""
    kind = _kind(model)
    H, W = (28, 28) if model.D == 784 else (1, model.D)
    if kind == "pixelcnn":
        H, W = model.event_shape[1:]
    spec: dict[str, Any] = {
        "name": name, "kind": kind, "height": int(H), "width": int(W),
        "order": [int(i) for i in model.order.tolist()],
        "class": type(model).__name__, "config": model.config,
        "tensors": {k: quantize(t) if q else _exact(t) for k, (t, q, _) in page_tensors(model).items()},
    }
    if kind == "made":
        keep = model.mask_index
        spec["masks"] = []
        for k in range(model.num_masks):
            degrees, _ = model.masks_for(k)
            spec["masks"].append([[int(v) for v in m.tolist()] for m in degrees])
        spec["mask"] = keep
    if kind == "pixelcnn":
        layers = [*model.layers, *model.head]
        spec["layers"] = [{"k": int(c.kernel_size[0]), "cin": int(c.in_channels), "cout": int(c.out_channels),
                           "relu": l < len(layers) - 1,
                           "residual": bool(model.residual and 0 < l < len(model.layers))}
                          for l, c in enumerate(layers)]
    return spec


def spec_bytes(spec: Mapping) -> int:
    """Characters of base64 weights in a spec (what it adds to the page before compression)."""
    return sum(len(v) for t in spec["tensors"].values() for k, v in t.items() if k != "shape")


@torch.no_grad()
def page_model(model: AutoregressiveModel, spec: Mapping | None = None) -> AutoregressiveModel:
    """A float64 copy of ``model`` with the page's weights (``spec``, by default ``page_spec(model)``):
    it computes what the page computes, to float64 rounding."""
    spec = page_spec(model, "") if spec is None else spec
    out = copy.deepcopy(model).double().eval()
    for name, (_, _, load) in page_tensors(out).items():
        load(torch.from_numpy(decode(spec["tensors"][name]).copy()))
    return out


def model_from_spec(spec: Mapping, mask: int | None = None) -> AutoregressiveModel:
    """The arlib model a spec was exported from, rebuilt from its class and config, with the page's
    weights (a MADE with mask ``mask``, by default the spec's)."""
    classes = {"FVSBN": FVSBN, "NADE": NADE, "MADE": MADE, "PixelCNN": PixelCNN}
    model = classes[spec["class"]](**spec["config"])
    if isinstance(model, MADE):
        model.set_mask(spec.get("mask", 0) if mask is None else mask)
    return page_model(model, spec)


@torch.no_grad()
def complete(model: AutoregressiveModel, x: torch.Tensor, keep_rows: int, seed: int) -> torch.Tensor:
    """What the page's "complete" draws: keep the first ``keep_rows`` rows of the binary image ``x``
    (28 x 28, flat), sample every other pixel in the model's order with x_i = 1 when u < p, u the
    next Mulberry32(seed) number (one per sampled pixel). Returns the completed flat image."""
    x = torch.as_tensor(x, dtype=model.dtype).reshape(-1)
    width = 28 if model.D == 784 else model.D
    keep = torch.arange(model.D) < keep_rows * width
    u = Mulberry32(seed)

    def choose(i: int, logits: torch.Tensor) -> torch.Tensor:
        if keep[i]:
            return x[i].expand(1)
        return (torch.tensor(u.uniform(1), dtype=logits.dtype) < torch.sigmoid(logits.reshape(-1))).to(logits.dtype)

    return model.generate(1, choose).reshape(-1)


# ---------------------------------------------------------------- the explorer

def _bits(a: Any) -> str:
    return "".join("1" if v else "0" for v in np.asarray(a).reshape(-1))


class LiveModelExplorer(Explorer):
    """Draw a digit; the models' conditionals, nats and log p(x), and completions, computed in the page."""

    _js_file = "live.js"

    models = traitlets.List(traitlets.Dict()).tag(sync=True)        # page specs
    digits = traitlets.List(traitlets.Unicode()).tag(sync=True)     # test digits, 0/1 strings
    model_index = traitlets.Int(0).tag(sync=True)
    keep_rows = traitlets.Int(14).tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)

    def __init__(self, models: list[dict], digits: Any, keep_rows: int = 14, **kwargs: Any) -> None:
        if not models:
            raise ValueError("give at least one model")
        d = np.asarray(digits.detach().cpu() if hasattr(digits, "detach") else digits).reshape(-1, 784)
        if not np.all((d == 0) | (d == 1)):
            raise ValueError("digits must be binary 28 x 28 images")
        if not 0 <= keep_rows <= 28:
            raise ValueError(f"keep_rows must be in [0, 28], got {keep_rows}")
        super().__init__(models=list(models), digits=[_bits(v) for v in d], keep_rows=keep_rows, **kwargs)

    @classmethod
    def from_models(cls, models: Mapping[str, AutoregressiveModel], digits: Any, **kwargs: Any) -> "LiveModelExplorer":
        """The explorer for ``{name: model}`` (binary 28 x 28 models) and a few test ``digits``."""
        return cls([page_spec(m, name) for name, m in models.items()], digits, **kwargs)

    @classmethod
    @torch.no_grad()
    def expected_readout(cls, state: dict, readout: dict) -> dict | None:
        """log p(x) of the page's image under every model, and the completion of the model shown."""
        if "image" not in readout:
            return None
        x = torch.tensor([float(c) for c in readout["image"]], dtype=torch.float64)[None]
        out = {}
        for k, spec in enumerate(state["models"]):
            model = model_from_spec(spec, readout.get("mask") if k == readout.get("model_index") else None)
            xk = x.reshape(1, *model.event_shape)   # the density of the mask in use (no ensemble)
            out[f"nats_{k}"] = float(-model.log_prob_from_logits(model(xk), xk)[0])
        if readout.get("completion"):
            model = model_from_spec(state["models"][readout["model_index"]], readout.get("mask"))
            done = complete(model, x, readout["keep_rows"], readout["seed"])
            out["completion"] = _bits(done.numpy().astype(int))
        return out
