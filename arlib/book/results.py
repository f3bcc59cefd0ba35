"""The live results table of chapter 12: every model of the book, evaluated from its shipped checkpoint.

    results = results_table(n_test=1000)       # evaluates every checkpoint that exists, skips the others
    display(HTML(results_html(results)))        # an HTML table beside the lecture's Table 4

Nothing in the table is typed in for our models: the test NLL on a seeded random subset of
``n_test`` test images and the sampling time are measured when the table is made; the NLL on all
10,000 test images, the training time and the epochs come from the checkpoint's metadata (what
``scripts/train.py`` measured and recorded); the parameter count from the model.  A model whose checkpoint is not shipped yet gets a
row that says so (and how to make it) instead of an error.  ``scripts/results.py`` rebuilds the table
from the command line on the whole test set.
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from arlib.book.tables import html_table
from arlib.checkpoints import load_model, manifest
from arlib.config import full_run
from arlib.data import load_binarized_mnist
from arlib.recipes import load_data
from arlib.train import evaluate

__all__ = ["LECTURE_TABLE4", "BookModel", "BOOK_MODELS", "Result", "results_table", "results_html", "runs_html",
           "stopped_by",
           "sampling_seconds", "default_n_test", "CHECK", "check_nll", "on_papers_file", "block_grey", "binarize", "noise_floor",
           "BINARIZATIONS"]

# The lecture's Table 4 (from the PixelRNN paper, van den Oord et al. 2016): test NLL in nats on
# binarized MNIST, as printed on the slide ("Prior results taken from [1]").
LECTURE_TABLE4: list[tuple[str, str]] = [
    ("DBM 2hl [1]", "≈ 84.62"),
    ("DBN 2hl [2]", "≈ 84.55"),
    ("NADE [3]", "88.33"),
    ("EoNADE 2hl (128 orderings) [3]", "85.10"),
    ("EoNADE-5 2hl (128 orderings) [4]", "84.68"),
    ("DLGM [5]", "≈ 86.60"),
    ("DLGM 8 leapfrog steps [6]", "≈ 85.51"),
    ("DARN 1hl [7]", "≈ 84.13"),
    ("MADE 2hl (32 masks) [8]", "86.64"),
    ("DRAW [9]", "≤ 80.97"),
    ("PixelCNN", "81.30"),
    ("Row LSTM", "80.54"),
    ("Diagonal BiLSTM (1 layer, h = 32)", "80.75"),
    ("Diagonal BiLSTM (7 layers, h = 16)", "79.20"),
]


@dataclass(frozen=True)
class BookModel:
    """One row of the book's table: a shipped checkpoint, the closest row of Table 4 (or why there
    is none), and the published figure for this model on binarized MNIST (nats) where one exists."""

    name: str
    checkpoint: str
    lecture: str
    published: str = ""


BOOK_MODELS: tuple[BookModel, ...] = (
    BookModel("Independent Bernoulli", "bernoulli", "not in Table 4 (the baseline)"),
    BookModel("FVSBN", "fvsbn", "not in Table 4", "97.45 (Larochelle & Murray 2011)"),
    BookModel("NADE", "nade", "NADE [3]: 88.33", "88.86 (Larochelle & Murray 2011)"),
    BookModel("MADE, one mask", "made", "not in Table 4 (one mask)", "88.40 (1 hidden layer)"),
    BookModel("MADE, mask ensemble", "made_ensemble", "MADE 2hl (32 masks) [8]: 86.64",
              "88.04 (1 hidden layer, 32 masks)"),
    BookModel("MADE, order-agnostic (2 x 500, 32 orderings)", "made_order_agnostic",
              "MADE 2hl (32 masks) [8]: 86.64, at 2 x 8000 units"),
    BookModel("PixelRNN (LSTM over the pixel sequence)", "pixelrnn",
              "Row LSTM: 80.54; Diagonal BiLSTM (1 layer): 80.75"),
    BookModel("PixelCNN", "pixelcnn", "PixelCNN: 81.30", "81.30"),
    BookModel("PixelCNN, 16 residual layers", "pixelcnn_deep", "PixelCNN: 81.30", "81.30"),
    BookModel("PixelCNN, 16 residual layers, warm restart", "pixelcnn_deep_restart", "PixelCNN: 81.30", "81.30"),
    BookModel("Gated PixelCNN", "gated_pixelcnn", "not in Table 4"),
    BookModel("Gated PixelCNN, warm restart", "gated_pixelcnn_restart", "not in Table 4"),
    BookModel("Gated PixelCNN, 32 channels", "gated_pixelcnn_wide", "not in Table 4"),
    BookModel("Gated PixelCNN, 32 channels, weights averaged", "gated_pixelcnn_wide_avg", "not in Table 4"),
    BookModel("Gated PixelCNN, 32 channels, dropout", "gated_pixelcnn_wide_dropout", "not in Table 4"),
)


@dataclass
class Result:
    """One evaluated (or skipped) row of the table."""

    model: BookModel
    status: str  # "ok", "missing" (no checkpoint shipped) or "error" (it would not load/evaluate)
    note: str = ""
    params: int | None = None
    nll: float | None = None  # nats per image, on the live subset
    bits_per_dim: float | None = None
    n_test: int | None = None
    full_test_nll: float | None = None  # nats per image on all 10,000, from the checkpoint's metadata
    papers_file_nll: float | None = None  # on all 10,000 of the papers' test file, from the manifest
    eval_seconds: float | None = None
    sample_seconds: float | None = None  # one image
    train_seconds: float | None = None
    epochs: int | None = None
    info: dict = field(default_factory=dict)


def default_n_test() -> int:
    """Test images the notebook evaluates: all 10,000 with ``ARLIB_FULL=1``, else 1,000."""
    return 10_000 if full_run() else 1_000


# The check subset: what tests/test_checkpoints.py re-evaluates for every shipped checkpoint (the
# full 10,000 take minutes for the 32-mask ensembles on one thread).
CHECK = {"n": 1000, "seed": 1}


def on_papers_file(model) -> bool:
    """Whether ``model`` can be scored on the papers' test file (binarized MNIST bits, no labels)."""
    return model.event_shape in ((784,), (1, 28, 28)) and not model.conditional


def check_nll(name: str, directory=None, source: str = "book", n: int = CHECK["n"]) -> float:
    """NLL (nats per image) of checkpoint ``name`` on the seeded check subset of ``n`` test images
    (all of them for ``n=10_000``) of ``source`` (``"book"`` or ``"larochelle_murray"``, the papers'
    file, for an unconditional binarized-MNIST model), with labels for a conditional model (the
    recipe's data for a model not of binarized MNIST)."""
    model = load_model(name, directory)
    if model.event_shape not in ((784,), (1, 28, 28)):
        x = load_data(name, "test")
        x = x[torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(CHECK["seed"]))[:n]]
        return evaluate(model, x).nll
    if source != "book" and not on_papers_file(model):
        raise ValueError(f"{name} needs labels, which the {source!r} test file does not have")
    shape = "flat" if model.event_shape == (784,) else "image"
    if model.conditional:
        return evaluate(model, load_binarized_mnist("test", shape, labels=True, n=n, seed=CHECK["seed"])).nll
    return evaluate(model, load_binarized_mnist("test", shape, n=n, source=source, seed=CHECK["seed"])).nll


def sampling_seconds(model, n: int = 1, seed: int = 0) -> float:
    """Wall-clock seconds to draw ``n`` images with the model's own (fastest) sampler."""
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    model.sample(n, generator=g)
    return time.perf_counter() - t0


def results_table(n_test: int | None = None, models: tuple[BookModel, ...] = BOOK_MODELS, sample: bool = True,
                  progress: bool = True, directory=None) -> list[Result]:
    """Evaluate every model of ``models`` from its shipped checkpoint on a seeded random subset of
    ``n_test`` test images (``load_binarized_mnist("test", n=n_test, seed=0)``), with ``arlib.train.evaluate``.

    ``directory``: the checkpoints' folder (default: the shipped ones).  Models whose checkpoint is not shipped get ``status="missing"`` and a note saying how to train it;
    a checkpoint that fails to load or evaluate gets ``status="error"`` and the error in its note.
    """
    n_test = default_n_test() if n_test is None else int(n_test)
    if not 1 <= n_test <= 10_000:
        raise ValueError(f"n_test must be in [1, 10000], got {n_test}")
    x = load_binarized_mnist("test", n=n_test, seed=0)
    man = manifest(directory)
    out: list[Result] = []
    for bm in tqdm(models, disable=not progress, desc="models"):   # kept: a hidden bar leaves a blank gap in the page
        if bm.checkpoint not in man:
            out.append(Result(bm, "missing", f"no checkpoint '{bm.checkpoint}'; train it with "
                                             f"python scripts/train.py --model {bm.checkpoint}"))
            continue
        info = man[bm.checkpoint].get("info", {})
        papers = man[bm.checkpoint].get("larochelle_murray", {}).get("nll_nats")
        try:
            model = load_model(bm.checkpoint, directory)
            sample_s = sampling_seconds(model) if sample else None
            t0 = time.perf_counter()
            ev = evaluate(model, x.view(n_test, *model.event_shape))
            eval_s = time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001 - the table shows what went wrong instead of stopping
            out.append(Result(bm, "error", f"{type(err).__name__}: {err}"))
            continue
        note = f"mixture of {model.num_masks} masks" if getattr(model, "num_masks", 1) > 1 else ""
        out.append(Result(bm, "ok", note, params=sum(p.numel() for p in model.parameters()), nll=ev.nll,
                          bits_per_dim=ev.bits_per_dim, n_test=n_test, full_test_nll=info.get("test_nll_nats"),
                          papers_file_nll=papers,
                          eval_seconds=eval_s, sample_seconds=sample_s, train_seconds=info.get("train_seconds"),
                          epochs=info.get("epochs_run"), info=info))
    return out


def _fmt(v, spec: str, dash: str = "–") -> str:
    return dash if v is None else format(v, spec)


def _train_cell(r: Result) -> str:
    if r.train_seconds is None:
        return "–"
    t = r.train_seconds / 60
    return f"{t:.0f} min, {_fmt(r.epochs, 'd')} epoch(s)" if t < 120 else f"{t / 60:.1f} h, {_fmt(r.epochs, 'd')} epoch(s)"


#: how a row that was not evaluated is labelled in the page
_STATUS = {"missing": "not shipped yet", "error": "error"}


def results_html(results: list[Result]) -> str:
    """The table as HTML: ours (all 10,000 test images from the checkpoint, the same models on all
    10,000 of the papers' test file from the manifest, and the live subset measured now) beside the
    published figure and the lecture's Table 4 row."""
    n_live = next((r.n_test for r in results if r.status == "ok"), None)
    head = ["model", "test NLL, all 10,000", "papers' test file", f"live, {n_live or 0:,} random", "bits/dim",
            "published", "lecture's Table 4", "parameters", "training", "note"]
    rows = []
    for r in results:
        if r.status != "ok":
            cells = [r.model.name, "–", "–", "–", "–", r.model.published or "–", r.model.lecture, "–", "–",
                     f"<b>{_STATUS[r.status]}</b>: {html.escape(r.note)}"]
        else:
            cells = [r.model.name, _fmt(r.full_test_nll, ".2f"), _fmt(r.papers_file_nll, ".2f"), f"{r.nll:.2f}",
                     f"{r.bits_per_dim:.4f}", r.model.published or "–", r.model.lecture, f"{r.params:,}",
                     _train_cell(r), r.note]
        rows.append(cells)
    return html_table(head, rows, right={1, 2, 3, 4, 7}, escape=False,
                      note="NLL in nats per image. The papers' test file: the same 10,000 test digits, the bits of "
                           "Larochelle & Murray (2011), on which the published figures were measured.")


def stopped_by(info: dict) -> str:
    """What ended a run, from its checkpoint's metadata: "early stopping" (its validation NLL had not
    improved for ``patience`` epochs), "its epochs" (it ran all of them) or "a time budget".

    ``scripts/train.py`` records it (``stopped_by``); for a checkpoint written before it did, it is
    read off the epochs: a warm restart's ``epochs_run`` counts its parent's epochs (``init``) too,
    while its recipe's ``epochs`` are its own."""
    if info.get("stopped_by"):
        return info["stopped_by"].split(" (")[0]          # "a time budget (--finish)"
    settings = info.get("settings", {})
    patience, best, ran = settings.get("patience"), info.get("best_epoch"), info.get("epochs_run")
    if patience and best is not None and ran is not None and ran - best >= patience:
        return "early stopping"
    own = ran - (info.get("init") or {}).get("epochs", 0) if ran else ran
    if own and own >= settings.get("epochs", float("inf")):
        return "its epochs"
    return "a time budget"


def runs_html(infos: dict[str, dict]) -> str:
    """One row per training run (display name -> its checkpoint's ``info``): epochs run, the best
    epoch (the weights that ship), hours of training, what stopped it, and the machine it ran on."""
    rows = []
    for name, info in infos.items():
        seconds = info.get("train_seconds")
        rows.append([name, info.get("epochs_run", "–"), _fmt(info.get("best_epoch"), "d"),
                     _fmt(None if seconds is None else seconds / 3600, ".2f"), stopped_by(info),
                     info.get("machine", info.get("device", "?"))])
    return html_table(["model", "epochs", "best epoch", "hours", "stopped by", "machine"], rows,
                      right={1, 2, 3})


# ---- binarization: fixed once, re-sampled, thresholded (chapter 12) ----
#
# arlib ships binarized MNIST only (one fixed Bernoulli draw per pixel), not the grey levels, so the
# effect of the binarization is measured on a stand-in whose grey levels are known exactly: the
# average of each 2 x 2 block of our bits, a 14 x 14 image with grey levels 0, 1/4, 1/2, 3/4, 1.

BINARIZATIONS = ("sample", "threshold")


def block_grey(x: torch.Tensor, block: int = 2) -> torch.Tensor:
    """Grey images from binary 28 x 28 ones: the mean of every ``block`` x ``block`` block, ``(N, 28/block, 28/block)``."""
    x = torch.as_tensor(x, dtype=torch.float32).reshape(-1, 1, 28, 28)
    if 28 % block:
        raise ValueError(f"block must divide 28, got {block}")
    return torch.nn.functional.avg_pool2d(x, block)[:, 0]


def binarize(grey: torch.Tensor, scheme: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Binary images from grey levels in [0, 1]: ``"sample"``: x_i ~ Bernoulli(g_i) (stochastic, as
    Salakhutdinov & Murray 2008); ``"threshold"``: x_i = 1 where g_i > 1/2."""
    if scheme == "sample":
        return (torch.rand(grey.shape, generator=generator) < grey).float()
    if scheme == "threshold":
        return (grey > 0.5).float()
    raise ValueError(f"scheme must be one of {BINARIZATIONS}, got {scheme!r}")


def noise_floor(grey: torch.Tensor) -> torch.Tensor:
    """sum_i H(Bernoulli(g_i)) per image, in nats: the entropy that stochastic binarization adds.

    Given the grey levels the bits are independent coin flips, so no model can predict them better
    than this on average: it is part of every NLL measured on stochastically binarized data, and
    thresholding removes it.
    """
    g = torch.as_tensor(grey, dtype=torch.float64).flatten(1)
    h = -(torch.special.xlogy(g, g) + torch.special.xlogy(1 - g, 1 - g))
    return h.sum(1)
