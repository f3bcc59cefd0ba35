import hashlib
import json

import numpy as np
import pytest
import torch

import arlib.data as data
from arlib.data import binarized_mnist_loader, load_binarized_mnist


def test_split_sizes_and_shapes():
    for split, n in [("train", 50000), ("valid", 10000), ("test", 10000)]:
        x = load_binarized_mnist(split)
        assert x.shape == (n, 784) and x.dtype == torch.float32
    x, y = load_binarized_mnist("test", shape="image", labels=True)
    assert x.shape == (10000, 1, 28, 28) and y.shape == (10000,) and y.dtype == torch.int64
    assert set(y.unique().tolist()) == set(range(10))


def test_values_are_bits_with_mnist_statistics():
    x = load_binarized_mnist("valid")
    assert torch.all((x == 0) | (x == 1))
    # stochastic binarization keeps the mean grey level of MNIST (about 0.13)
    assert 0.12 < x.mean().item() < 0.14
    # the binarization is fixed: the same bits on every load
    assert torch.equal(x[:5], load_binarized_mnist("valid", n=5))


def test_first_test_labels_are_mnist():
    _, y = load_binarized_mnist("test", labels=True, n=10)
    assert y.tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.mark.parametrize("kw, msg", [
    (dict(split="training"), "unknown split"),
    (dict(split="test", shape="square"), "unknown shape"),
    (dict(split="test", n=0), "n must be"),
    (dict(split="test", n=10001), "n must be"),
    (dict(split="test", source="lm"), "unknown source"),
    (dict(split="test", seed=0), "give n too"),
    (dict(split="train", source="larochelle_murray"), "test split only"),
    (dict(split="test", source="larochelle_murray", labels=True), "without labels"),
])
def test_bad_arguments(kw, msg):
    with pytest.raises(ValueError, match=msg):
        load_binarized_mnist(**kw)


def test_seeded_subset_is_random_reproducible_and_keeps_labels():
    x, y = load_binarized_mnist("test", labels=True)
    xs, ys = load_binarized_mnist("test", labels=True, n=300, seed=3)
    idx = torch.randperm(10_000, generator=torch.Generator().manual_seed(3))[:300]
    assert torch.equal(xs, x[idx]) and torch.equal(ys, y[idx])              # the images with their labels
    assert torch.equal(xs, load_binarized_mnist("test", n=300, seed=3))     # reproducible
    assert not torch.equal(xs, x[:300]) and not torch.equal(xs, load_binarized_mnist("test", n=300, seed=4))
    img = load_binarized_mnist("test", shape="image", n=300, seed=3)
    assert torch.equal(img.view(300, -1), xs)
    assert torch.equal(load_binarized_mnist("test", n=10_000, seed=3), x)   # all of them: in order
    # the papers' file holds the same digits: the same seed picks the same digits from it
    lm = load_binarized_mnist("test", source="larochelle_murray")
    assert torch.equal(load_binarized_mnist("test", source="larochelle_murray", n=300, seed=3), lm[idx])


def test_loader_batches_and_labels():
    dl = binarized_mnist_loader("test", batch_size=64, shape="image", labels=True, n=200)
    xb, yb = next(iter(dl))
    assert xb.shape == (64, 1, 28, 28) and yb.shape == (64,)
    with pytest.raises(ValueError, match="batch_size"):
        binarized_mnist_loader("test", batch_size=0)


def test_sha256_is_checked(tmp_path, monkeypatch):
    meta = json.loads((data._DIR / "binarized_mnist.json").read_text())
    assert hashlib.sha256((data._DIR / meta["file"]).read_bytes()).hexdigest() == meta["sha256"]
    bad = tmp_path / "binarized_mnist.npz"
    np.savez_compressed(bad, x=np.zeros(3))
    (tmp_path / "binarized_mnist.json").write_text(json.dumps({**meta, "file": bad.name}))
    monkeypatch.setattr(data, "_DIR", tmp_path)
    data._arrays.cache_clear()
    try:
        with pytest.raises(data.DataIntegrityError, match="sha256"):
            load_binarized_mnist("test")
    finally:
        data._arrays.cache_clear()


def test_larochelle_murray_test_file_is_the_same_digits_with_other_bits():
    """The papers' test file: 10,000 images of bits, checked against its sha256 like the book's own draw;
    the same MNIST test digits, so its pixel mean is the book's test mean within a percent, but
    other bits (a different draw agrees on far fewer than all pixels of an image)."""
    lm = load_binarized_mnist("test", source="larochelle_murray", shape="image")
    ours = load_binarized_mnist("test", shape="image")
    assert lm.shape == ours.shape == (10000, 1, 28, 28) and torch.all((lm == 0) | (lm == 1))
    assert abs(lm.mean().item() / ours.mean().item() - 1) < 0.01
    assert not torch.equal(lm, ours)
    assert abs(ours.mean().item() - data.mean_grey_level("test")) < 0.001     # a draw keeps the mean grey
    meta = json.loads((data._DIR / data.SOURCES["larochelle_murray"]).read_text())
    assert hashlib.sha256((data._DIR / meta["file"]).read_bytes()).hexdigest() == meta["sha256"]


def test_the_papers_file_script_reads_the_text_file_and_the_matlab_copy(tmp_path):
    """scripts/make_larochelle_murray_test.py reads the original text .amat and the MATLAB 5 copy it was
    built from (a zlib-compressed uint8 matrix, stored column-major) to the same bits."""
    import importlib.util
    import struct
    import zlib

    path = data._DIR.parents[1] / "scripts" / "make_larochelle_murray_test.py"
    spec = importlib.util.spec_from_file_location("make_larochelle_murray_test", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    bits = (np.random.default_rng(0).random((3, 784)) < 0.3).astype(np.uint8)
    text = tmp_path / "text.amat"
    np.savetxt(text, bits, fmt="%d")
    assert np.array_equal(script.read_bits(text), bits)

    def element(kind: int, payload: bytes) -> bytes:
        return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)

    matrix = (element(6, struct.pack("<II", 9, 0))              # array flags: uint8 class
              + element(5, struct.pack("<ii", *bits.shape))     # dimensions
              + struct.pack("<HH", 1, 1) + b"X\0\0\0"            # the name "X", a small element
              + element(2, bits.T.tobytes()))                    # the data, column-major
    body = zlib.compress(element(14, matrix))
    mat = tmp_path / "copy.amat"
    mat.write_bytes(b"MATLAB 5.0 MAT-file".ljust(116) + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
                    + struct.pack("<II", 15, len(body)) + body)
    assert np.array_equal(script.read_bits(mat), bits)
    np.savetxt(text, bits * 2, fmt="%d")
    with pytest.raises(SystemExit, match="0/1"):
        script.read_bits(text)
