"""Autoregressive models as lossless compressors: an entropy coder driven by p(x_i | x_<i).

    from arlib.compress import encode, decode
    data = encode(model, images)          # bytes
    back = decode(model, data, n)         # the images, bit for bit

An autoregressive model gives every conditional p(x_i | x_<i) exactly; a range coder (an
arithmetic coder in fixed-point arithmetic, from the ``constriction`` library) turns a value of
probability p into about -log2 p bits. So the file for an image is about -log2 p(x) bits long:
the model's NLL in bits, plus a few bits of rounding and a flush at the end of the stream.

**Same code path on both sides.** The decoder can only compute p(x_i | x_<i) one pixel at a time,
from the pixels it has decoded so far: its probabilities come from the model's incremental
ancestral loop (``model.generate``). A teacher-forced forward pass gives the same numbers only up to
float rounding, and a decoder fed a probability that differs in the last bit from the encoder's may
decode a different value and go wrong from there on. So the encoder runs the very same loop, on the
same batches, with ``choose`` returning the true pixels instead of samples: decoding *is* sampling,
with the random draws replaced by reading the code.

**One stream per file.** At step i the loop holds the conditionals of pixel i for all images of a
batch; they are coded with one call, interleaved (pixel 0 of every image, then pixel 1, ...), and
the batches follow one another in the same range-coder stream. One call per step (784 per batch)
instead of one per pixel and image keeps the Python overhead small, and the stream is flushed once
per file (at most 64 bits). The price: a file decodes whole; there is no random access to one image
(``encode`` it alone for that).

**One thread.** Both loops run with one torch thread (``one_thread``): a parallel reduction may add floats
in an order that depends on the number of threads, so fixing it makes the probabilities independent of the
machine's thread setting; and the loop's steps are too small to gain from a second thread anyway.

**A header** (``read_header``) names the model's class and a fingerprint of its configuration,
ordering and weights, the number of images, the batch size, a digest of the images and a CRC-32 of the
whole file. ``decode`` refuses data written by another model (or with other labels), a corrupt file,
and, as a last line of defence, a decoded result whose digest differs from the original's: it raises
``CompressionError``, never returns a silently wrong image.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import math
import struct
import time
import zlib
from dataclasses import dataclass
from typing import Callable

import constriction
import numpy as np
import torch
from PIL import Image

from arlib.layers import one_thread

__all__ = ["encode", "decode", "read_header", "fingerprint", "ideal_bits", "encode_stream", "decode_stream",
           "measure", "CodingResult", "baseline_bits", "CompressionError", "MAGIC", "VERSION", "DEFAULT_BATCH"]

MAGIC = b"ARLC"
VERSION = 1
DEFAULT_BATCH = 500
_FIXED = struct.Struct("<4sBBB")  # magic, version, num_values, len(class name)
_TAIL = struct.Struct("<8s8sIII8sI")  # fingerprint, cond digest, n, batch, D, image digest, payload words


class CompressionError(ValueError):
    """The data cannot be decoded with this model (wrong model, wrong labels, corrupt bytes)."""


# ---------------------------------------------------------------------------------------- helpers
def _family(num_values: int):

    if num_values == 2:
        return constriction.stream.model.Bernoulli(perfect=False)
    return constriction.stream.model.Categorical(perfect=False)


def _probs(logits: torch.Tensor, binary: bool) -> np.ndarray:
    """The probabilities handed to the coder, computed in float64 from the model's logits, the same way on
    both sides: p(x_i = 1) per row (binary) or the K-way softmax per row. The coder quantizes them to 24-bit
    fixed point and gives every value a probability of at least 2^-24 (so no value is ever uncodable)."""
    lg = logits.detach().to("cpu", torch.float64)
    p = torch.sigmoid(lg) if binary else lg.softmax(-1)
    return np.ascontiguousarray(p.numpy())


def generate(model, n: int, choose: Callable, **cond) -> torch.Tensor:
    """``model.generate(n, choose, **cond)``, or for a model without one the plain ancestral loop (one full
    forward pass per dimension, in ``model.order``): slow, but the same loop on both sides."""
    if hasattr(model, "generate"):
        return model.generate(n, choose, **cond)
    x = torch.zeros(n, *model.event_shape, dtype=model.dtype, device=model.device)
    xf = x.view(n, -1)
    for i in model.order.tolist():
        logits = model(x, **cond)
        li = logits.reshape(n, -1)[:, i] if model.binary else logits.reshape(n, model.num_values, -1)[:, :, i]
        xf[:, i] = choose(i, li)
    return x


def fingerprint(model) -> bytes:
    """8 bytes that change with the model's class, configuration, ordering or any weight."""
    h = hashlib.sha256()
    h.update(type(model).__name__.encode())
    h.update(json.dumps(getattr(model, "config", None), sort_keys=True, default=str).encode())
    h.update(np.asarray(model.order.detach().cpu(), dtype=np.int64).tobytes())
    for name, t in model.state_dict().items():
        h.update(name.encode())
        t = t.detach().cpu().contiguous()
        h.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.digest()[:8]


def _digest(*arrays) -> bytes:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()[:8]


def _cond_digest(cond: dict) -> bytes:
    if not cond:
        return bytes(8)
    return _digest(*[np.asarray(torch.as_tensor(cond[k]).cpu(), dtype=np.int64) for k in sorted(cond)],
                   np.frombuffer(",".join(sorted(cond)).encode(), dtype=np.uint8))


def _values(model, images) -> torch.Tensor:
    """images as a (N, *event_shape) tensor of the model's dtype (a flat (N, D) batch is reshaped)."""
    x = torch.as_tensor(images)
    if x.dim() >= 1 and x.shape[0] == 0:
        return x.new_zeros((0, *model.event_shape), dtype=model.dtype)
    if tuple(x.shape[1:]) != tuple(model.event_shape) and x.dim() >= 2 and x[0].numel() == model.D:
        x = x.reshape(x.shape[0], *model.event_shape)
    model.check_input(x)
    return x.to(model.dtype)


def _batches(n: int, batch: int):
    for start in range(0, n, batch):
        yield start, min(n, start + batch)


def _slice_cond(cond: dict, a: int, b: int) -> dict:
    return {k: (v[a:b] if torch.is_tensor(v) and v.dim() > 0 else v) for k, v in cond.items()}


# ------------------------------------------------------------------------------ the raw coder
@torch.no_grad()
def encode_stream(model, images, batch_size: int = DEFAULT_BATCH, **cond) -> np.ndarray:
    """The range-coder words (uint32) of ``images`` under ``model``, with no header and no checks."""

    x = _values(model, images)
    n = x.shape[0]
    fam = _family(model.num_values)
    enc = constriction.stream.queue.RangeEncoder()
    for a, b in _batches(n, batch_size):
        xb = x[a:b].reshape(b - a, -1)
        sym = xb.to(torch.int32).cpu().numpy()

        def choose(i, logits, xb=xb, sym=sym):
            enc.encode(np.ascontiguousarray(sym[:, i]), fam, _probs(logits, model.binary))
            return xb[:, i].to(logits.device)

        with one_thread():
            out = generate(model, b - a, choose, **_slice_cond(cond, a, b))
        if not torch.equal(out.reshape(b - a, -1).to(xb.dtype), xb.to(out.device)):  # the loop fed back the truth
            raise RuntimeError(f"{type(model).__name__}.generate did not return the values its choose gave")
    return enc.get_compressed()


@torch.no_grad()
def decode_stream(model, words: np.ndarray, n: int, batch_size: int = DEFAULT_BATCH, on_invalid: str = "raise",
                  **cond) -> torch.Tensor:
    """Decode ``n`` images from range-coder ``words`` with ``model``: no header and no checks, so a wrong
    model or order gives wrong images (what the header of ``decode`` protects against).

    A decoder whose probabilities differ from the encoder's can also reach a state that no value fits (the
    range coder detects it). ``on_invalid="raise"`` raises ``CompressionError`` then; ``"stop"`` returns what
    was decoded before it, with -1 for every value not decoded.
    """

    if on_invalid not in ("raise", "stop"):
        raise ValueError(f"on_invalid must be 'raise' or 'stop', got {on_invalid!r}")
    fam = _family(model.num_values)
    dec = constriction.stream.queue.RangeDecoder(np.asarray(words, dtype=np.uint32))
    failed = {"step": None}
    out = []
    for a, b in _batches(n, batch_size):
        steps = {"t": 0}

        def choose(i, logits):
            t = steps["t"]
            steps["t"] += 1
            if failed["step"] is None:
                try:
                    v = dec.decode(fam, _probs(logits, model.binary))
                    return torch.as_tensor(np.asarray(v), dtype=logits.dtype, device=logits.device)
                except (AssertionError, ValueError, RuntimeError) as err:
                    if on_invalid == "raise":
                        raise CompressionError(f"the range decoder found invalid data at step {t} (dimension {i}) "
                                               f"of images {a}..{b - 1}: the stream does not fit this model ({err})"
                                               ) from err
                    failed["step"] = (a, t)
            return torch.zeros(logits.shape[0], dtype=logits.dtype, device=logits.device)

        with one_thread():
            xb = generate(model, b - a, choose, **_slice_cond(cond, a, b)).reshape(b - a, -1).clone()
        if failed["step"] is not None:
            start, t = failed["step"]
            undecoded = model.order[t:] if start == a else model.order
            xb[:, undecoded.to(xb.device)] = -1
        out.append(xb.reshape(b - a, *model.event_shape))
    if not out:
        return torch.zeros(0, *model.event_shape, dtype=model.dtype)
    return torch.cat(out).cpu()


# --------------------------------------------------------------------------- file with header
def encode(model, images, batch_size: int = DEFAULT_BATCH, **cond) -> bytes:
    """Compress ``images`` (N binary images of the model's event shape, or (N, D)) into bytes.

    ``batch_size`` images are coded per run of the model's loop (it is stored, and ``decode`` uses it: the
    batches must be the same on both sides). A conditional model's labels (``y=``) are side information:
    ``decode`` needs the same ones (the header checks that they are).
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    x = _values(model, images)
    n = x.shape[0]
    words = encode_stream(model, x, batch_size, **cond) if n else np.zeros(0, np.uint32)
    name = type(model).__name__.encode()[:255]
    img = _digest(x.reshape(n, model.D).to(torch.uint8).cpu().numpy())
    body = (_FIXED.pack(MAGIC, VERSION, model.num_values, len(name)) + name
            + _TAIL.pack(fingerprint(model), _cond_digest(cond), n, batch_size, model.D, img, len(words))
            + np.asarray(words, dtype="<u4").tobytes())
    return body + struct.pack("<I", zlib.crc32(body))


def read_header(data: bytes) -> dict:
    """The header of ``data`` as a dict (checks the magic, version and CRC-32 first)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _FIXED.size + _TAIL.size + 4 or data[:4] != MAGIC:
        raise CompressionError("not an arlib.compress stream (wrong magic bytes or too short)")
    body, (crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if zlib.crc32(body) != crc:
        raise CompressionError("the stream is corrupt: its CRC-32 does not match (a byte was changed or lost)")
    magic, version, K, ln = _FIXED.unpack_from(data)
    if version != VERSION:
        raise CompressionError(f"format version {version}; this arlib reads version {VERSION}")
    name = data[_FIXED.size:_FIXED.size + ln].decode()
    fp, cd, n, batch, D, img, nw = _TAIL.unpack_from(data, _FIXED.size + ln)
    start = _FIXED.size + ln + _TAIL.size
    if start + 4 * nw != len(body):
        raise CompressionError(f"the stream should hold {nw} payload words but has {(len(body) - start) / 4} of them")
    return {"version": version, "num_values": K, "model_class": name, "fingerprint": fp, "cond_digest": cd,
            "n": n, "batch_size": batch, "D": D, "image_digest": img, "payload_words": nw,
            "header_bytes": start + 4, "payload_offset": start, "total_bytes": len(data)}


def decode(model, data: bytes, n: int | None = None, **cond) -> torch.Tensor:
    """The images of ``data`` (bit-exact), shape (n, *event_shape), decoded with ``model`` (the same one,
    in the same state, that encoded them; a conditional model with the same labels).

    Raises ``CompressionError`` when the header does not match the model (class, configuration, ordering,
    weights), the labels, or ``n``; when the bytes are corrupt; and when the decoded images do not
    reproduce the encoder's digest (for instance after float rounding that differs between machines).
    """
    h = read_header(data)
    cls = type(model).__name__
    if h["model_class"] != cls:
        raise CompressionError(f"this stream was written by a {h['model_class']}, not by this {cls}")
    if h["num_values"] != model.num_values or h["D"] != model.D:
        raise CompressionError(f"this stream holds {h['D']} values in {h['num_values']} levels per image; "
                               f"this {cls} models {model.D} in {model.num_values}")
    if h["fingerprint"] != fingerprint(model):
        raise CompressionError(f"this stream was written by a {cls} with another configuration, ordering or "
                               "other weights: decoding needs exactly the encoder's model")
    if h["cond_digest"] != _cond_digest(cond):
        raise CompressionError("the labels (conditioning) given differ from the encoder's: decoding needs the same")
    if n is not None and int(n) != h["n"]:
        raise CompressionError(f"the stream holds {h['n']} images, not {n}")
    off, nw = h["payload_offset"], h["payload_words"]
    words = np.frombuffer(data, dtype="<u4", count=nw, offset=off).astype(np.uint32)
    if h["n"] == 0:
        return torch.zeros(0, *model.event_shape, dtype=model.dtype)
    x = decode_stream(model, words, h["n"], h["batch_size"], **cond)  # CompressionError on invalid data
    if _digest(x.reshape(h["n"], model.D).to(torch.uint8).numpy()) != h["image_digest"]:
        raise CompressionError("the decoded images do not match the encoder's digest: the decoder's conditionals "
                               "differed from the encoder's (another machine or library version rounding floats "
                               "differently?); nothing was returned")
    return x


@torch.no_grad()
def ideal_bits(model, images, **cond) -> torch.Tensor:
    """-log2 p(x) per image (float64), summed from the model's conditionals (one teacher-forced pass): the
    length the coder aims at. For MADE this is the current mask's density (the one its ``generate`` uses)."""
    x = _values(model, images)
    if x.shape[0] == 0:
        return torch.zeros(0, dtype=torch.float64)
    logits = model(x, **cond).double()
    return -model.log_conditionals_from_logits(logits, x.double()).sum(1) / math.log(2)


# ------------------------------------------------------------------------------- measurements
@dataclass
class CodingResult:
    """One model compressing ``n`` images: sizes in bits per image, speeds in images per second."""

    n: int
    file_bits: float  # the whole file (header included), per image
    payload_bits: float  # the range coder's words alone, per image
    ideal_bits: float  # the model's NLL -log2 p(x), per image (mean)
    encode_seconds: float
    decode_seconds: float
    exact: bool  # every decoded image equals its original, bit for bit

    @property
    def overhead(self) -> float:
        """(file - ideal) / ideal: what the coder adds to the NLL, as a fraction."""
        return self.file_bits / self.ideal_bits - 1

    @property
    def encode_rate(self) -> float:
        return self.n / self.encode_seconds

    @property
    def decode_rate(self) -> float:
        return self.n / self.decode_seconds


def measure(model, images, batch_size: int = DEFAULT_BATCH, **cond) -> CodingResult:
    """Encode and decode ``images`` with ``model`` (timed), check the round trip and compare with the NLL."""
    x = _values(model, images)
    n = x.shape[0]
    if n == 0:
        raise ValueError("measure needs at least one image")
    t0 = time.perf_counter()
    data = encode(model, x, batch_size, **cond)
    t1 = time.perf_counter()
    back = decode(model, data, n, **cond)
    t2 = time.perf_counter()
    h = read_header(data)
    return CodingResult(n=n, file_bits=8 * len(data) / n, payload_bits=32 * h["payload_words"] / n,
                        ideal_bits=float(ideal_bits(model, x, **cond).mean()), encode_seconds=t1 - t0,
                        decode_seconds=t2 - t1, exact=bool(torch.equal(back.to(x.dtype), x.cpu())))


def baseline_bits(images) -> dict[str, float]:
    """Bits per image of general-purpose compressors on the same binary images: gzip, bz2 and lzma (at their
    strongest settings) of the bits packed 8 to a byte, all images in one file; PNG at 1 bit per pixel (Pillow),
    one file per image and all images in one sheet (a column of digits). 'raw' is the packed bits themselves."""

    x = torch.as_tensor(images).reshape(len(images), -1).to(torch.uint8).cpu().numpy()
    n, D = x.shape
    side = math.isqrt(D)
    packed = np.packbits(x, axis=1).tobytes()
    out = {"raw (packed bits)": 8 * len(packed) / n,
           "gzip -9": 8 * len(gzip.compress(packed, 9, mtime=0)) / n,
           "bz2 -9": 8 * len(bz2.compress(packed, 9)) / n,
           "lzma (xz -9e)": 8 * len(lzma.compress(packed, preset=9 | lzma.PRESET_EXTREME)) / n}

    if side * side == D:
        def png(a):
            buf = io.BytesIO()
            Image.fromarray(a.astype(bool)).save(buf, format="PNG", optimize=True)
            return len(buf.getvalue())

        imgs = x.reshape(n, side, side)
        out["PNG 1-bit, one file per image"] = 8 * sum(png(a) for a in imgs) / n
        out["PNG 1-bit, one sheet of all"] = 8 * png(imgs.reshape(n * side, side)) / n
    return out
