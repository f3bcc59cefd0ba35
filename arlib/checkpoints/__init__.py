"""Small pretrained weights shipped with the book, as safetensors, checked by sha256.

Each checkpoint ``NAME.safetensors`` stores the model's tensors; its metadata holds the model
class, its constructor config (JSON) and how it was trained.  ``manifest.json`` lists every
file with its sha256; ``load`` refuses a file whose hash does not match.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

__all__ = ["save", "load", "load_model", "available", "manifest", "DIR"]

DIR = Path(__file__).resolve().parent
MANIFEST = DIR / "manifest.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict:
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}


def available() -> list[str]:
    """Names of the shipped checkpoints."""
    return sorted(manifest())


def save(model: torch.nn.Module, name: str, info: dict | None = None, directory: Path | None = None) -> Path:
    """Write ``model`` to ``NAME.safetensors`` (tensors + class + config + ``info``) and update the manifest."""
    directory = Path(directory or DIR)
    path = directory / f"{name}.safetensors"
    config = getattr(model, "config", None)
    if config is None:
        raise ValueError(f"{type(model).__name__} has no .config; it cannot be rebuilt from a checkpoint")
    meta = {"class": type(model).__name__, "config": json.dumps(config), "info": json.dumps(info or {})}
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata=meta)
    man_path = directory / "manifest.json"
    man = json.loads(man_path.read_text()) if man_path.exists() else {}
    man[name] = {"file": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size,
                 "class": meta["class"], "info": info or {}}
    man_path.write_text(json.dumps(dict(sorted(man.items())), indent=2) + "\n")
    return path


def load(name: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Return ``(state_dict, metadata)`` of a shipped checkpoint after checking its sha256."""
    man = manifest()
    if name not in man:
        raise KeyError(f"no checkpoint named {name!r}; shipped: {available()}")
    path = DIR / man[name]["file"]
    digest = _sha256(path)
    if digest != man[name]["sha256"]:
        raise RuntimeError(f"{path.name}: sha256 {digest} does not match the manifest ({man[name]['sha256']})")
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata() or {})
    meta["config"] = json.loads(meta.get("config", "{}"))
    meta["info"] = json.loads(meta.get("info", "{}"))
    return load_file(str(path)), meta


def load_model(name: str) -> torch.nn.Module:
    """Rebuild the model of a shipped checkpoint (class from ``arlib.models``) and load its weights."""
    import arlib.models as models

    state, meta = load(name)
    cls = getattr(models, meta["class"])
    model = cls(**meta["config"])
    model.load_state_dict(state)
    model.eval()
    return model
