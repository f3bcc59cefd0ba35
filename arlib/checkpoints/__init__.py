"""Small pretrained weights shipped with the book, as safetensors, checked by sha256.

Each checkpoint ``NAME.safetensors`` stores the model's tensors (float16 where that moves the
test NLL by under 0.05 nat; ``info["stored"]`` says which); its metadata holds the model class,
its constructor config (JSON) and how it was trained.  ``manifest.json`` lists every file with
its sha256; ``load`` refuses a file whose hash does not match.  Every function takes the
``directory`` to use (default: this package's folder).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import arlib.models as models

__all__ = ["save", "load", "load_model", "available", "manifest", "DIR"]

DIR = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(directory: str | Path | None = None) -> dict:
    """The manifest of ``directory``: name -> file, sha256, bytes, class, info."""
    path = Path(directory or DIR) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def available(directory: str | Path | None = None) -> list[str]:
    """Names of the checkpoints in ``directory``."""
    return sorted(manifest(directory))


def save(model: torch.nn.Module, name: str, info: dict | None = None, directory: str | Path | None = None,
         dtype: torch.dtype | None = None) -> Path:
    """Write ``model`` to ``NAME.safetensors`` (tensors + class + config + ``info``) and update the
    manifest; floating tensors are stored as ``dtype`` when given (e.g. ``torch.float16``)."""
    directory = Path(directory or DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.safetensors"
    config = getattr(model, "config", None)
    if config is None:
        raise ValueError(f"{type(model).__name__} has no .config; it cannot be rebuilt from a checkpoint")
    meta = {"class": type(model).__name__, "config": json.dumps(config), "info": json.dumps(info or {})}

    def stored(v: torch.Tensor) -> torch.Tensor:
        v = v.detach().cpu()
        return (v.to(dtype) if dtype is not None and v.is_floating_point() else v).contiguous()

    save_file({k: stored(v) for k, v in model.state_dict().items()}, str(path), metadata=meta)
    man = manifest(directory)
    man[name] = {"file": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size,
                 "class": meta["class"], "info": info or {}}
    (directory / "manifest.json").write_text(json.dumps(dict(sorted(man.items())), indent=2) + "\n")
    return path


def load(name: str, directory: str | Path | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """Return ``(state_dict, metadata)`` of checkpoint ``name`` after checking its sha256."""
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
    return load_file(str(path)), meta


def load_model(name: str, directory: str | Path | None = None) -> torch.nn.Module:
    """Rebuild the model of checkpoint ``name`` (class from ``arlib.models``), load its weights
    (converted to the model's float32), in eval mode."""
    state, meta = load(name, directory)
    cls = getattr(models, meta["class"])
    model = cls(**meta["config"])
    model.load_state_dict(state)
    model.eval()
    return model
