"""arlib.compress: every model of the book as a lossless coder; round trips, sizes, and clear errors."""
import math

import pytest
import torch

from arlib import compress as C
from arlib.models import FVSBN, MADE, NADE, GatedPixelCNN, IndependentBernoulli, PixelCNN, PixelRNN


def _random_init(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return model.eval()


SMALL = {  # small configs: 6 x 6 images (36 values) or 36 flat values
    "bernoulli": lambda: IndependentBernoulli(36),
    "fvsbn": lambda: FVSBN(36),
    "fvsbn_random_order": lambda: FVSBN(36, order=torch.randperm(36, generator=torch.Generator().manual_seed(1))),
    "nade": lambda: NADE(36, H=8),
    "made": lambda: MADE(36, hidden_sizes=(16,), ordering="random"),
    "pixelcnn": lambda: PixelCNN(channels=4, n_layers=2, height=6, width=6),
    "pixelcnn_colour": lambda: PixelCNN(in_channels=3, channels=6, n_layers=2, num_values=4, height=4, width=4),
    "gated_pixelcnn": lambda: GatedPixelCNN(channels=4, n_layers=2, height=6, width=6),
    "pixelrnn": lambda: PixelRNN(hidden_size=8, image_size=6),
}


def _data(model, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    if model.binary:
        return (torch.rand(n, *model.event_shape, generator=g) < 0.3).float()
    return torch.randint(0, model.num_values, (n, *model.event_shape), generator=g).float()


@pytest.mark.parametrize("name", sorted(SMALL))
def test_round_trip_every_model(name):
    model = _random_init(SMALL[name]())
    x = _data(model, 13)
    data = C.encode(model, x, batch_size=5)  # three batches, the last one short
    back = C.decode(model, data, 13)
    assert back.shape == x.shape and torch.equal(back, x)
    # the payload is the model's NLL in bits, give or take the coder's rounding and its final flush
    h = C.read_header(data)
    ideal = C.ideal_bits(model, x).sum().item()
    assert ideal - 1 <= 32 * h["payload_words"] <= ideal * 1.01 + 64


def test_conditional_model_needs_its_labels():
    model = _random_init(GatedPixelCNN(channels=4, n_layers=2, height=5, width=5, n_classes=3))
    x = _data(model, 4)
    y = torch.tensor([0, 2, 1, 1])
    data = C.encode(model, x, y=y)
    assert torch.equal(C.decode(model, data, 4, y=y), x)
    with pytest.raises(C.CompressionError, match="labels"):
        C.decode(model, data, 4, y=torch.tensor([0, 2, 1, 0]))


def test_flat_input_is_reshaped_and_one_image():
    model = _random_init(PixelCNN(channels=4, n_layers=2, height=6, width=6))
    x = _data(model, 1)
    data = C.encode(model, x.reshape(1, 36))
    assert torch.equal(C.decode(model, data, 1), x)


def test_empty_input():
    model = _random_init(FVSBN(36))
    data = C.encode(model, torch.zeros(0, 36))
    assert C.read_header(data)["n"] == 0
    out = C.decode(model, data, 0)
    assert out.shape == (0, 36)


def test_size_tracks_the_nll_on_many_images():
    model = _random_init(FVSBN(36), seed=3)
    x = _data(model, 400)
    data = C.encode(model, x, batch_size=100)
    h = C.read_header(data)
    ideal = C.ideal_bits(model, x).sum().item()
    assert abs(32 * h["payload_words"] - ideal) / ideal < 0.005
    assert h["header_bytes"] < 80


def _fvsbn_and_data():
    model = _random_init(FVSBN(36))
    x = _data(model, 6)
    return model, x, C.encode(model, x)


def test_another_model_is_refused():
    model, x, data = _fvsbn_and_data()
    with pytest.raises(C.CompressionError, match="written by a FVSBN, not by this NADE"):
        C.decode(_random_init(NADE(36, H=8)), data, 6)
    other = _random_init(FVSBN(36))
    with torch.no_grad():
        other.b[3] += 1e-3  # one weight differs
    with pytest.raises(C.CompressionError, match="other weights"):
        C.decode(other, data, 6)
    reordered = _random_init(FVSBN(36, order=list(reversed(range(36)))))
    with pytest.raises(C.CompressionError, match="ordering"):
        C.decode(reordered, data, 6)
    with pytest.raises(C.CompressionError, match="holds 6 images, not 5"):
        C.decode(model, data, 5)


@pytest.mark.parametrize("where", ["payload", "header", "truncated", "magic"])
def test_corrupt_stream_raises(where):
    model, x, data = _fvsbn_and_data()
    b = bytearray(data)
    if where == "payload":
        b[C.read_header(data)["payload_offset"] + 1] ^= 0x10
    elif where == "header":
        b[10] ^= 0x01
    elif where == "truncated":
        b = b[:-5]
    else:
        b[0:4] = b"PNG!"
    with pytest.raises(C.CompressionError):
        C.decode(model, bytes(b), 6)


def test_corrupt_payload_with_a_fixed_crc_is_still_caught():
    """Even if a corruption slips past the CRC (recomputed here), the decoded digest catches it."""
    import struct
    import zlib

    model, x, data = _fvsbn_and_data()
    b = bytearray(data[:-4])
    b[C.read_header(data)["payload_offset"]] ^= 0xFF
    forged = bytes(b) + struct.pack("<I", zlib.crc32(bytes(b)))
    with pytest.raises(C.CompressionError, match="do not match|decoder failed"):
        C.decode(model, forged, 6)


def test_raw_stream_with_a_changed_weight_decodes_wrong_images():
    """Without the header's checks, a decoder whose model differs decodes garbage (what the header prevents)."""
    model, x, _ = _fvsbn_and_data()
    words = C.encode_stream(model, x)
    other = _random_init(FVSBN(36))
    with torch.no_grad():
        other.b[0] += 3.0
    assert torch.equal(C.decode_stream(model, words, 6), x)
    try:
        wrong = C.decode_stream(other, words, 6, on_invalid="stop")
    except C.CompressionError:  # pragma: no cover - "stop" never raises
        raise
    assert not torch.equal(wrong, x)
    assert set(wrong.unique().tolist()) <= {-1.0, 0.0, 1.0}


def test_invalid_data_raises_or_stops():
    """A decoder that cannot decode (here: the words of one model read by a very different one) raises a
    CompressionError, or with on_invalid="stop" marks what it did not decode with -1."""
    model = _random_init(FVSBN(36))
    x = torch.ones(4, 36)
    words = C.encode_stream(model, x)
    sure = IndependentBernoulli(36)
    with torch.no_grad():
        sure.logit_theta.fill_(-30.0)  # "certainly 0" everywhere: most streams do not fit it
    try:
        C.decode_stream(sure, words, 4)
    except C.CompressionError as err:
        assert "invalid data" in str(err)
    y = C.decode_stream(sure, words, 4, on_invalid="stop")
    assert y.shape == x.shape and not torch.equal(y, x)
    with pytest.raises(ValueError, match="on_invalid"):
        C.decode_stream(model, words, 4, on_invalid="ignore")


def test_invalid_inputs():
    model = _random_init(FVSBN(36))
    with pytest.raises(ValueError, match="0 or 1"):
        C.encode(model, torch.full((2, 36), 0.5))
    with pytest.raises(ValueError, match="batch_size"):
        C.encode(model, torch.zeros(2, 36), batch_size=0)
    with pytest.raises(TypeError):
        C.decode(model, "not bytes", 1)
    with pytest.raises(C.CompressionError, match="not an arlib.compress stream"):
        C.decode(model, b"hello", 1)


def test_baselines_and_measure():
    x = (torch.rand(20, 784, generator=torch.Generator().manual_seed(0)) < 0.1).float()
    b = C.baseline_bits(x)
    assert b["raw (packed bits)"] == 784
    assert {"gzip -9", "bz2 -9", "lzma (xz -9e)"} <= set(b)
    model = IndependentBernoulli(784)
    r = C.measure(model, x)
    assert r.exact and r.n == 20 and math.isclose(r.ideal_bits, 784, rel_tol=1e-9)
    assert r.payload_bits <= r.file_bits and r.encode_rate > 0 and r.decode_rate > 0


# ------------------------------------------------------------------ the chapter's explorer
from fractions import Fraction  # noqa: E402

from arlib.widgets import CodingExplorer  # noqa: E402
from arlib.widgets.coding import code_length, quantize  # noqa: E402


def _small_explorer():
    models = {"fvsbn": _random_init(FVSBN(36)), "bern": _random_init(IndependentBernoulli(36), seed=2)}
    x = _data(models["fvsbn"], 3, seed=5).reshape(3, 36)
    return CodingExplorer.from_models(models, x, step=10), x


def test_code_length_is_the_shortest_cell_inside():
    for low, width, S in [(0, 1, 0), (25, 3, 5), (3, 1, 2), (1000, 7, 12), (5, 200, 8)]:
        k = code_length(low, width, S)
        lo, hi = Fraction(low, 2 ** S), Fraction(low + width, 2 ** S)

        def fits(j):
            m = -((-lo.numerator * 2 ** j) // lo.denominator)
            return Fraction(m + 1, 2 ** j) <= hi

        assert fits(k) and (k == 0 or not fits(k - 1))


def test_explorer_matches_the_model_and_the_range_coder():
    w, x = _small_explorer()
    state = w.get_state()
    for m in range(2):
        for d in range(3):
            r = w.readout(model=m, digit=d, step=36)
            assert r["ideal_bits"] <= r["code_bits"] <= r["ideal_bits"] + 2
            assert r["settled_bits"] <= r["code_bits"]
    # the quantized probabilities are the model's loop's, so the bits are its NLL (16-bit rounding aside)
    model = _random_init(FVSBN(36))
    nll = C.ideal_bits(model, x[:1]).item()
    assert abs(CodingExplorer.compute(state, 0, 0, 36)["ideal_bits"] - nll) < 0.05
    assert CodingExplorer.expected_readout(state, {"model": "bern", "digit": 2, "step": 7}) == w.readout(1, 2, 7)
    assert w.readout(step=0)["pixel"] == -1 and quantize([0.0, 1.0], 4).tolist() == [1, 15]


def test_explorer_refuses_bad_input():
    with pytest.raises(ValueError, match="integers"):
        CodingExplorer(["a"], [[[0] * 4]], [[0, 1, 0, 1]], [[0, 1, 2, 3]], shape=(2, 2))
    with pytest.raises(ValueError, match="permutation"):
        CodingExplorer(["a"], [[[5] * 4]], [[0, 1, 0, 1]], [[0, 0, 2, 3]], shape=(2, 2))
    with pytest.raises(ValueError, match="binary"):
        CodingExplorer(["a"], [[[5] * 4]], [[0, 2, 0, 1]], [[0, 1, 2, 3]], shape=(2, 2))


HARNESS = r"""
import fs from "fs";
const ctx = new Proxy({}, { get: (t, k) => (k in t ? t[k] : () => {}), set: (t, k, v) => { t[k] = v; return true; } });
function mk(tag) {
  return { tag, children: [], attrs: {}, style: {}, dataset: {}, listeners: {},
    setAttribute(k, v) { this.attrs[k] = v; }, append(...c) { this.children.push(...c); },
    replaceChildren(...c) { this.children = c; }, addEventListener(e, f) { (this.listeners[e] ||= []).push(f); },
    getContext() { return ctx; }, getBoundingClientRect() { return { left: 0, top: 0, width: 1, height: 1 }; } };
}
globalThis.document = { createElement: mk, createElementNS: (_, t) => mk(t) };
const [bundle, statePath] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(statePath));
const on = {};
const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; }, save_changes() {}, on(e, f) { on[e] = f; }, off() {} };
const mod = await import(bundle);
const host = mk("div");
mod.default.render({ model, el: host });
const box = host.children[0];
const out = [box.dataset.readout];
for (const [k, v] of [["step", 1], ["step", 36], ["model", 1], ["digit", 2], ["step", 0], ["step", 17]]) {
  state[k] = v; on[`change:${k}`](); out.push(box.dataset.readout);
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(__import__("shutil").which("node") is None, reason="node is not installed")
def test_explorer_page_computes_what_python_computes(tmp_path):
    """Run coding.js in node (a stub DOM) and compare its readouts with CodingExplorer.expected_readout."""
    import json
    import subprocess

    w, _ = _small_explorer()
    state = {k: v for k, v in w.get_state().items() if not k.startswith("_")}
    (tmp_path / "bundle.mjs").write_text(CodingExplorer._esm)
    (tmp_path / "harness.mjs").write_text(HARNESS)
    (tmp_path / "state.json").write_text(json.dumps(state))
    run = subprocess.run(["node", str(tmp_path / "harness.mjs"), str(tmp_path / "bundle.mjs"), str(tmp_path / "state.json")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for text in json.loads(run.stdout):
        got = json.loads(text)
        want = CodingExplorer.expected_readout(state, got)
        for key, value in want.items():
            if isinstance(value, float):
                assert math.isclose(got[key], value, rel_tol=1e-9, abs_tol=1e-12), key
            else:
                assert got[key] == value, key
