"""Build ``arlib/data/larochelle_murray_test.npz``: the test split of the binarized MNIST file most papers
report on (Larochelle & Murray 2011; the bits of Salakhutdinov & Murray 2008), shipped beside the book's
own draw so that chapter 12 can score the book's models on the very bits the published numbers use.

Provenance: the file is ``binarized_mnist_test.amat``, 10,000 images of 784 bits, first published at
``http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/`` as text (one image per line,
784 space-separated 0/1).  The copy this was built from is the MATLAB 5 file of the same name in the
public repository ``mingzhang-yin/ARM-gradient`` (commit 9b5f74da4e40, 2019; sha256 below); both
formats are read here::

    python scripts/make_larochelle_murray_test.py path/to/binarized_mnist_test.amat

The bits are packed (``np.packbits``), compressed, and the sha256 of the result is written to
``larochelle_murray_test.json`` and checked by ``arlib.data`` on every load.  The file has no labels.
Its digits are MNIST's test digits in another order, with their own draw of the bits: for 9,070 of its
10,000 images the nearest of the book's 70,000 images (fewest differing bits) is one of the book's 10,000
test images.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "arlib" / "data"
MAT_COPY_SHA256 = "5bc30222e1e7896cbccd1e1db6b28540cc1230f4d2d5473841a5f6cc54be8d38"
MAT_TYPES = {1: np.int8, 2: np.uint8, 3: np.int16, 4: np.uint16, 5: np.int32, 6: np.uint32, 7: np.float32,
             9: np.float64}


def _elements(buf: bytes, offset: int = 0):
    """The (type, payload) data elements of a MATLAB 5 byte stream, from ``offset`` on."""
    while offset + 8 <= len(buf):
        kind, size = struct.unpack_from("<II", buf, offset)
        if kind >> 16:                                   # small element: size and type share 4 bytes
            yield kind & 0xFFFF, buf[offset + 4: offset + 4 + (kind >> 16)]
            offset += 8
            continue
        yield kind, buf[offset + 8: offset + 8 + size]
        offset += 8 + size + ((-size) % 8 if kind != 15 else 0)   # padded to 8 bytes, except compressed


def read_mat5_matrix(buf: bytes) -> np.ndarray:
    """The first numeric matrix of a MATLAB 5 file (compressed or not), as a row-major array."""
    for kind, payload in _elements(buf, 128):             # 128: the text header
        if kind == 15:                                    # miCOMPRESSED: one zlib-compressed element
            kind, payload = next(_elements(zlib.decompress(payload)))
        if kind != 14:                                    # miMATRIX
            continue
        _flags, dims, _name, (dtype, data) = list(_elements(payload))[:4]
        shape = tuple(np.frombuffer(dims[1], np.int32))
        return np.frombuffer(data, MAT_TYPES[dtype]).reshape(shape[::-1]).T   # stored column-major
    raise ValueError("no numeric matrix in this MATLAB file")


def read_bits(path: Path) -> np.ndarray:
    """The (N, 784) bits of an ``.amat`` file, in its original text format or as the MATLAB 5 copy."""
    raw = path.read_bytes()
    x = read_mat5_matrix(raw) if raw.startswith(b"MATLAB 5.0") else np.loadtxt(path, dtype=np.uint8)
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 784 or not np.isin(x, (0, 1)).all():
        raise SystemExit(f"{path}: expected an (N, 784) array of 0/1, got {x.shape} {x.dtype}")
    return x.astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("amat", type=Path, help="binarized_mnist_test.amat (text, or the MATLAB 5 copy)")
    args = ap.parse_args()
    source_sha = hashlib.sha256(args.amat.read_bytes()).hexdigest()
    bits = read_bits(args.amat)
    if bits.shape[0] != 10_000:
        raise SystemExit(f"{args.amat}: {bits.shape[0]} images, the test split has 10,000")
    path = OUT / "larochelle_murray_test.npz"
    np.savez_compressed(path, test_x=np.packbits(bits, axis=1))
    meta = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "source": "binarized_mnist_test.amat (Larochelle & Murray 2011), the MATLAB 5 copy in "
                  "github.com/mingzhang-yin/ARM-gradient at 9b5f74da4e40",
        "source_sha256": source_sha,
        "splits": {"test": int(bits.shape[0])},
        "mean_bit": float(bits.mean()),
    }
    (OUT / "larochelle_murray_test.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB), mean bit {bits.mean():.5f}, "
          f"source sha256 {source_sha}{'' if source_sha == MAT_COPY_SHA256 else ' (not the known copy)'}")


if __name__ == "__main__":
    main()
