"""The live results table of chapter 12: every model of the book, evaluated from its shipped checkpoint.

    results = results_table(n_test=1000)       # evaluates every checkpoint that exists, skips the others
    print(results_markdown(results))            # a Markdown table beside the lecture's Table 4

Nothing in the table is typed in for our models: the test NLL (nats per image, on the first
``n_test`` images of the binarized-MNIST test set) and the sampling time are measured when the table
is made; the parameter count comes from the model; the training time and epochs from the checkpoint's
metadata (what ``scripts/train.py`` recorded).  A model whose checkpoint is not shipped yet gets a
row that says so (and how to make it) instead of an error.  ``scripts/results.py`` rebuilds the table
from the command line on the whole test set.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

__all__ = ["LECTURE_TABLE4", "BookModel", "BOOK_MODELS", "Result", "results_table", "results_markdown",
           "evaluate_model", "sampling_seconds", "default_n_test", "block_grey", "binarize", "noise_floor",
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
    """One row of the book's table: a checkpoint and how to evaluate it.

    ``how``: ``"log_prob"`` (the model's own ``log_prob``), ``"made_single"`` (MADE with one mask,
    mask 0) or ``"made_ensemble"`` (MADE's mixture over all its masks).  ``lecture``: the closest row
    of Table 4 and its number, or why there is none.
    """

    name: str
    checkpoint: str
    lecture: str
    how: str = "log_prob"


BOOK_MODELS: tuple[BookModel, ...] = (
    BookModel("Independent Bernoulli", "bernoulli", "not in Table 4 (the baseline)"),
    BookModel("FVSBN", "fvsbn", "not in Table 4"),
    BookModel("NADE", "nade", "NADE [3]: 88.33"),
    BookModel("MADE, one mask", "made", "not in Table 4 (one mask)", "made_single"),
    BookModel("MADE, mask ensemble", "made", "MADE 2hl (32 masks) [8]: 86.64", "made_ensemble"),
    BookModel("PixelRNN (LSTM over the pixel sequence)", "pixelrnn",
              "Row LSTM: 80.54; Diagonal BiLSTM (1 layer): 80.75"),
    BookModel("PixelCNN", "pixelcnn", "PixelCNN: 81.30"),
    BookModel("Gated PixelCNN", "gated_pixelcnn", "not in Table 4"),
)


@dataclass
class Result:
    """One evaluated (or skipped) row of the table."""

    model: BookModel
    status: str  # "ok", "missing" (no checkpoint shipped) or "error" (it would not load/evaluate)
    note: str = ""
    params: int | None = None
    nll: float | None = None  # nats per image
    bits_per_dim: float | None = None
    n_test: int | None = None
    eval_seconds: float | None = None
    sample_seconds: float | None = None  # one image
    train_seconds: float | None = None
    epochs: int | None = None
    info: dict = field(default_factory=dict)


def default_n_test() -> int:
    """Test images the notebook evaluates: all 10,000 with ``ARLIB_FULL=1``, else the first 500."""
    from arlib.config import full_run

    return 10_000 if full_run() else 500


@torch.no_grad()
def evaluate_model(model, x: torch.Tensor, how: str = "log_prob", batch_size: int = 500) -> float:
    """Average NLL (nats per image) of the binary images ``x`` (any shape with 784 values per image)."""
    model.eval()
    xs = x.reshape(x.shape[0], *model.event_shape).to(model._dtype())
    total = 0.0
    for i in range(0, xs.shape[0], batch_size):
        b = xs[i : i + batch_size]
        if how == "log_prob":
            lp = model.log_prob(b)
        elif how == "made_single":
            lp = model.ensemble_log_prob(b, num_masks=1)
        elif how == "made_ensemble":
            lp = model.ensemble_log_prob(b)
        else:
            raise ValueError(f"how must be 'log_prob', 'made_single' or 'made_ensemble', got {how!r}")
        total += -lp.double().sum().item()
    return total / xs.shape[0]


def sampling_seconds(model, n: int = 1, seed: int = 0) -> float:
    """Wall-clock seconds to draw ``n`` images with the model's own (fastest) sampler."""
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    model.sample(n, generator=g)
    return time.perf_counter() - t0


def _recipe_for(checkpoint: str) -> str | None:
    from arlib import recipes

    for name in recipes.names():
        try:
            if getattr(recipes.get(name), "CHECKPOINT", None) == checkpoint:
                return name
        except Exception:  # a recipe that does not import yet must not break the table
            continue
    return None


def results_table(n_test: int | None = None, models: tuple[BookModel, ...] = BOOK_MODELS, sample: bool = True,
                  progress: bool = True) -> list[Result]:
    """Evaluate every model of ``models`` from its shipped checkpoint on the first ``n_test`` test images.

    Models whose checkpoint is not shipped get ``status="missing"`` and a note saying how to train it;
    a checkpoint that fails to load or evaluate gets ``status="error"`` and the error in its note.
    """
    from tqdm.auto import tqdm

    from arlib.checkpoints import available, load, load_model
    from arlib.data import load_binarized_mnist

    n_test = default_n_test() if n_test is None else int(n_test)
    if not 1 <= n_test <= 10_000:
        raise ValueError(f"n_test must be in [1, 10000], got {n_test}")
    x = load_binarized_mnist("test", n=n_test)
    shipped = set(available())
    loaded: dict[str, tuple] = {}
    out: list[Result] = []
    for bm in tqdm(models, disable=not progress, desc="models", leave=False):
        if bm.checkpoint not in shipped:
            recipe = _recipe_for(bm.checkpoint) or bm.checkpoint
            out.append(Result(bm, "missing", f"no checkpoint '{bm.checkpoint}' shipped yet: "
                                             f"python scripts/train.py --model {recipe}"))
            continue
        try:
            if bm.checkpoint not in loaded:
                model = load_model(bm.checkpoint)
                info = load(bm.checkpoint)[1].get("info", {})
                loaded[bm.checkpoint] = (model, info, sampling_seconds(model) if sample else None)
            model, info, sample_s = loaded[bm.checkpoint]
            t0 = time.perf_counter()
            nll = evaluate_model(model, x, bm.how)
            eval_s = time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001 - the table shows what went wrong instead of stopping
            out.append(Result(bm, "error", f"{type(err).__name__}: {err}"))
            continue
        note = ""
        if bm.how == "made_ensemble":
            note = f"mixture of {model.num_masks} masks ({model.num_masks} passes per image)"
        elif bm.how == "made_single":
            note = f"mask 0 of {model.num_masks}"
        out.append(Result(bm, "ok", note, params=sum(p.numel() for p in model.parameters()), nll=nll,
                          bits_per_dim=nll / (model.D * math.log(2)), n_test=n_test, eval_seconds=eval_s,
                          sample_seconds=sample_s, train_seconds=info.get("train_seconds"),
                          epochs=info.get("epochs_run"), info=info))
    return out


def _fmt(v, spec: str, dash: str = "–") -> str:
    return dash if v is None else format(v, spec)


def results_markdown(results: list[Result]) -> str:
    """The table as Markdown: ours (measured now) beside the lecture's Table 4 number."""
    head = ("| model | test NLL (nats) | bits/dim | lecture's Table 4 | parameters | training | "
            "sampling, 1 image | evaluation | note |\n|---|---:|---:|---|---:|---|---:|---:|---|")
    rows = [head]
    for r in results:
        if r.status != "ok":
            rows.append(f"| {r.model.name} | – | – | {r.model.lecture} | – | – | – | – | **{r.status}**: {r.note} |")
            continue
        train = "–" if r.train_seconds is None else f"{r.train_seconds / 60:.0f} min, {_fmt(r.epochs, 'd')} epoch(s)"
        rows.append(f"| {r.model.name} | {r.nll:.2f} | {r.bits_per_dim:.4f} | {r.model.lecture} | {r.params:,} | "
                    f"{train} | {_fmt(r.sample_seconds, '.2f')} s | {r.eval_seconds:.1f} s | {r.note} |")
    return "\n".join(rows)


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
