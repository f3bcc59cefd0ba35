"""Compression (chapter 13): every shipped model as an entropy coder of binarized-MNIST test images.

Per model: bits per image of the whole file (header included; the note splits it into the range coder's
code and the once-per-file header) against the model's NLL in bits, the
compression ratio against the raw 784 bits, and encode and decode speed in images per second (one batch,
the model's fastest exact loop, ``generate``; after one warm-up run). The round trip is checked bit for bit.

    python -m benchmarks compress [--quick]
"""
from __future__ import annotations

import statistics

from arlib.checkpoints import available, load_model
from arlib.compress import baseline_bits, measure
from arlib.data import load_binarized_mnist
from benchmarks.common import Row


def run(quick: bool = False) -> list[Row]:

    n = 100 if quick else 500
    repeats = 1 if quick else 3
    rows: list[Row] = []
    setting = f"{n} test images, one batch"
    for name in available():  # every shipped unconditional model of binarized MNIST
        model = load_model(name)
        if not (model.binary and not model.conditional and model.D == 784):
            continue
        x = load_binarized_mnist("test", shape="image" if len(model.event_shape) == 3 else "flat", n=n)
        measure(model, x[:8], batch_size=n)  # warm-up
        runs = [measure(model, x, batch_size=n) for _ in range(repeats)]
        r = runs[0]
        if not all(run.exact for run in runs):
            raise AssertionError(f"{name}: the decoded images differ from the originals")
        enc = statistics.median(run.encode_rate for run in runs)
        dec = statistics.median(run.decode_rate for run in runs)
        note = (f"NLL {r.ideal_bits:.2f} bits; code {r.payload_bits:.2f} ({100 * (r.payload_bits / r.ideal_bits - 1):+.3f}%)"
                f" + header {r.file_bits - r.payload_bits:.2f}; bit-exact")
        rows += [Row(f"compress {name}", setting, r.file_bits, "bits/image", note),
                 Row(f"compress {name}", setting, 784 / r.file_bits, "x smaller", "than the raw 784 bits"),
                 Row(f"compress {name}", setting, enc, "images/s encode", f"median of {repeats}"),
                 Row(f"compress {name}", setting, dec, "images/s decode", f"median of {repeats}")]
    x = load_binarized_mnist("test", n=n)
    for what, bits in baseline_bits(x).items():
        rows.append(Row(f"compress {what}", f"{n} test images", bits, "bits/image", "general-purpose baseline"))
    return rows
