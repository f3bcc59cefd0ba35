"""Small pretrained weights shipped with the book, as safetensors, checked by sha256.

Each checkpoint ``NAME.safetensors`` stores the model's tensors (float16, or int8 with one scale per
row, where that moves the test NLL by under 0.05 nat; ``info["stored"]`` says which); its metadata
holds the model class, its constructor config (JSON), the storing scheme and how it was trained.
A weight whose mask never changes (``fixed_masks``: a PixelCNN's masked kernels, a one-mask MADE's
matrices) is stored as the entries its mask keeps only, in one row, and comes back with zeros where
the mask zeroes it: the model computes the same, from a file up to half the size.
``manifest.json`` lists every file with its sha256; ``load`` refuses a file whose hash does not
match.  Every function takes the ``directory`` to use (default: this package's folder).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import arlib.models as models

__all__ = ["save", "load", "load_model", "stored_state", "quantise_rows", "fixed_masks", "available",
           "manifest", "DIR", "SCALE"]

DIR = Path(__file__).resolve().parent
SCALE = ".scale"
"""Key suffix of an int8 tensor's row scales: ``NAME + SCALE``.  No state_dict key can end so, since
``NAME.scale`` would need a submodule named like the tensor ``NAME`` in the same module, which
PyTorch refuses (``save`` checks it all the same)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(directory: str | Path | None = None) -> dict:
    """The manifest of ``directory``: name -> file, sha256, bytes, class, info."""
    path = Path(directory or DIR) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def available(directory: str | Path | None = None) -> list[str]:
    """Names of the checkpoints in ``directory``."""
    return sorted(manifest(directory))


def quantise_rows(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``v`` as int8 ``q`` and float32 ``scale`` per first-axis row, ``v ~ q * scale[row]``: scale =
    max |row| / 127 (1 for an all-zero row), so each value moves by at most half a step."""
    a = v.double().reshape(v.shape[0], -1)
    scale = (a.abs().amax(dim=1) / 127).float()
    scale[scale == 0] = 1.0
    q = torch.round(a / scale.double()[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(v.shape), scale


def fixed_masks(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``state_dict`` key -> boolean mask (the weight's shape) of every weight whose mask never changes
    (a module's ``fixed_mask()``, e.g. ``MaskedConv2d``) and zeroes some entries: entries that never
    reach the output, which ``save`` does not store."""
    out = {}
    for name, module in model.named_modules():
        mask = module.fixed_mask() if callable(getattr(module, "fixed_mask", None)) else None
        if mask is not None and not bool(mask.all()):
            out[f"{name}.weight" if name else "weight"] = mask.bool().expand_as(module.weight).cpu()
    return out


def _pack(state: dict[str, torch.Tensor], dtype: torch.dtype | None,
          masks: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """The tensors of ``state`` as the file holds them: floating ones cast to ``dtype``, or for
    ``torch.int8`` those with ndim >= 2 quantised (plus ``NAME + SCALE``) and the rest float16; a
    weight in ``masks`` as the entries its mask keeps, flattened (zeroed first where it masks, so that
    entries that never count do not set an int8 row's scale)."""
    if dtype is not None and not dtype.is_floating_point and dtype != torch.int8:
        raise ValueError(f"dtype must be a floating type or torch.int8, not {dtype}")
    masks = masks or {}
    out = {}
    for k, v in state.items():
        v = v.detach().cpu()
        if k in masks:
            v = v.masked_fill(~masks[k], 0)
        if dtype is None or not v.is_floating_point():
            out[k] = v
        elif dtype != torch.int8:
            out[k] = v.to(dtype)
        elif v.ndim < 2:
            out[k] = v.to(torch.float16)
        else:
            if k + SCALE in state:
                raise ValueError(f"state_dict has both {k!r} and {k + SCALE!r}")
            out[k], out[k + SCALE] = quantise_rows(v)
    for k, mask in masks.items():
        out[k] = out[k][mask]
    return {k: v.contiguous() for k, v in out.items()}


def _unpack(tensors: dict[str, torch.Tensor], masks: dict[str, torch.Tensor] | None = None
            ) -> dict[str, torch.Tensor]:
    """The state_dict of a file's tensors: each weight in ``masks`` put back in its mask's places
    (zeros elsewhere), each int8 ``NAME`` with a ``NAME + SCALE`` dequantised to float32,
    ``q * scale[row]``; the rest as stored."""
    tensors = dict(tensors)
    for k, mask in (masks or {}).items():
        kept = tensors[k]
        if kept.shape != (int(mask.sum()),):
            raise RuntimeError(f"{k}: the file holds {tuple(kept.shape)} values, its mask keeps {int(mask.sum())}")
        tensors[k] = torch.zeros(mask.shape, dtype=kept.dtype).masked_scatter_(mask, kept)
    out = {}
    for k, v in tensors.items():
        if k + SCALE in tensors:
            s = tensors[k + SCALE]
            out[k] = v.float() * s.reshape(-1, *[1] * (v.ndim - 1))
        elif not (k.endswith(SCALE) and k[: -len(SCALE)] in tensors):
            out[k] = v
    return out


def stored_state(state_dict: dict[str, torch.Tensor], dtype: torch.dtype | None,
                 masks: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Exactly what ``load`` returns for ``state_dict`` saved with ``dtype`` (on the CPU) from a model
    whose ``fixed_masks`` are ``masks``: to measure what the stored precision costs before saving."""
    return _unpack(_pack(state_dict, dtype, masks), masks)


def save(model: torch.nn.Module, name: str, info: dict | None = None, directory: str | Path | None = None,
         dtype: torch.dtype | None = None) -> Path:
    """Write ``model`` to ``NAME.safetensors`` (tensors + class + config + ``info``) and update the
    manifest; floating tensors are stored as ``dtype`` when given (e.g. ``torch.float16``), or for
    ``torch.int8`` those with ndim >= 2 as int8 with a float32 scale per row (key ``NAME + SCALE``)
    and the others as float16; weights with a fixed mask (``fixed_masks``) as the entries it keeps.
    The metadata's ``stored`` names the scheme and ``kept`` those weights."""
    directory = Path(directory or DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.safetensors"
    config = getattr(model, "config", None)
    if config is None:
        raise ValueError(f"{type(model).__name__} has no .config; it cannot be rebuilt from a checkpoint")
    masks = fixed_masks(model)
    meta = {"class": type(model).__name__, "config": json.dumps(config), "info": json.dumps(info or {}),
            "stored": "as trained" if dtype is None else str(dtype).removeprefix("torch."),
            "kept": json.dumps(sorted(masks))}
    save_file(_pack(model.state_dict(), dtype, masks), str(path), metadata=meta)
    man = manifest(directory)
    man[name] = {"file": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size,
                 "class": meta["class"], "info": info or {}}
    (directory / "manifest.json").write_text(json.dumps(dict(sorted(man.items())), indent=2) + "\n")
    return path


def _open(name: str, directory: str | Path | None) -> tuple[Path, dict]:
    """The path and metadata (config, info and kept decoded) of checkpoint ``name``, its sha256 checked."""
    directory = Path(directory or DIR)
    man = manifest(directory)
    if name not in man:
        raise KeyError(f"no checkpoint named {name!r} in {directory}; there are: {available(directory)}")
    path = directory / man[name]["file"]
    digest = _sha256(path)
    if digest != man[name]["sha256"]:
        raise RuntimeError(f"{path.name}: sha256 {digest} does not match the manifest ({man[name]['sha256']})")
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata() or {})
    meta["config"] = json.loads(meta.get("config", "{}"))
    meta["info"] = json.loads(meta.get("info", "{}"))
    meta["kept"] = json.loads(meta.get("kept", "[]"))
    return path, meta


def _build(meta: dict) -> torch.nn.Module:
    return getattr(models, meta["class"])(**meta["config"])


def _state(path: Path, meta: dict, model: torch.nn.Module | None) -> dict[str, torch.Tensor]:
    """The state_dict in ``path``; a file with ``kept`` weights needs their masks, from ``model``
    (built from the metadata when None)."""
    masks = None
    if meta["kept"]:
        masks = fixed_masks(model if model is not None else _build(meta))
        if sorted(masks) != meta["kept"]:
            raise RuntimeError(f"{path.name} stores {meta['kept']} by their masks; the model's fixed masks "
                               f"are {sorted(masks)}")
    return _unpack(load_file(str(path)), masks)


def load(name: str, directory: str | Path | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """Return ``(state_dict, metadata)`` of checkpoint ``name`` after checking its sha256; int8
    tensors come back dequantised to float32, weights stored by their masks with zeros put back
    where the mask zeroes them, the others as stored."""
    path, meta = _open(name, directory)
    return _state(path, meta, None), meta


def load_model(name: str, directory: str | Path | None = None) -> torch.nn.Module:
    """Rebuild the model of checkpoint ``name`` (class from ``arlib.models``), load its weights
    (converted to the model's float32), in eval mode."""
    path, meta = _open(name, directory)
    model = _build(meta)
    model.load_state_dict(_state(path, meta, model))
    model.eval()
    return model
