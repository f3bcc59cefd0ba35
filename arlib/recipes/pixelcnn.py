"""PixelCNN on binarized MNIST: option 1 of the lecture (a 7x7 type-A layer, then 3x3 type-B layers).

Smaller than the networks of the paper (van den Oord et al. 2016): 32 feature maps and 8 masked
layers (67,425 parameters, 0.27 MB), so that its shipped checkpoint can be trained on one CPU core.

The module also holds the recipe of chapter 9's small colour PixelCNN on coloured MNIST
(``arlib.data.colour``, 14 x 14, 4 levels per channel), which ``arlib.recipes.run`` cannot train
(it feeds binarized MNIST); train it with ``train_colour`` or

    python -m arlib.recipes.pixelcnn --colour --threads 1 --max-minutes 15

which saves the ``pixelcnn_colour`` checkpoint.
"""
from __future__ import annotations

from arlib.models import PixelCNN

CHECKPOINT = "pixelcnn"
SHAPE = "image"


def build() -> PixelCNN:
    return PixelCNN(in_channels=1, channels=32, n_layers=8, kernel_size=3, first_kernel_size=7, num_values=2)


# The notebook's default run: a few dozen steps on a subset, to see the NLL fall (seconds).
SHORT = dict(epochs=1, max_steps=30, batch_size=32, lr=2e-3, seed=0, n_train=2000, n_valid=200)
# The run behind the shipped checkpoint and ARLIB_FULL=1: to convergence with early stopping.
FULL = dict(epochs=60, batch_size=64, lr=1e-3, seed=0, patience=4)

# ---------------------------------------------------------------- colour (chapter 9, section 8)

COLOUR_CHECKPOINT = "pixelcnn_colour"
COLOUR_DATA = dict(levels=4, size=14)


def build_colour() -> PixelCNN:
    """A small colour PixelCNN: R -> G -> B groups, a 4-way softmax per channel, residual type-B layers."""
    return PixelCNN(in_channels=3, channels=24, n_layers=5, kernel_size=3, first_kernel_size=5,
                    num_values=COLOUR_DATA["levels"], residual=True,
                    height=COLOUR_DATA["size"], width=COLOUR_DATA["size"])


COLOUR_SHORT = dict(epochs=1, max_steps=60, batch_size=32, lr=5e-3, seed=0, n_train=2000, n_valid=500)
COLOUR_FULL = dict(epochs=30, batch_size=32, lr=3e-3, seed=0, patience=3, n_train=None, n_valid=2000)


def train_colour(full: bool | None = None, progress: bool = True, **overrides):
    """Build the colour PixelCNN and train it on coloured MNIST; returns ``(model, history)``."""
    from arlib.config import device, full_run
    from arlib.data.colour import load_colour_mnist
    from arlib.train import fit

    full = full_run() if full is None else full
    settings = {**(COLOUR_FULL if full else COLOUR_SHORT), **overrides}
    train = load_colour_mnist("train", n=settings.pop("n_train"), **COLOUR_DATA)
    valid = load_colour_mnist("valid", n=settings.pop("n_valid"), **COLOUR_DATA)
    model = build_colour().to(device())
    return model, fit(model, train, valid, progress=progress, **settings)


def _main() -> None:
    import argparse
    import platform
    import time

    import torch

    from arlib.checkpoints import save
    from arlib.data.colour import load_colour_mnist
    from arlib.train import evaluate

    ap = argparse.ArgumentParser(description="train the colour PixelCNN of chapter 9 and save its checkpoint")
    ap.add_argument("--colour", action="store_true", required=True)
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--max-minutes", type=float)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out", help="directory for the checkpoint (default: arlib/checkpoints)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {"max_seconds": args.max_minutes * 60} if args.max_minutes else {}
    t0 = time.perf_counter()
    model, hist = train_colour(full=not args.short, **overrides)
    seconds = time.perf_counter() - t0
    ev = evaluate(model, load_colour_mnist("test", **COLOUR_DATA))
    info = {"recipe": "pixelcnn (colour)", "run": "short" if args.short else "full",
            "settings": {**(COLOUR_SHORT if args.short else COLOUR_FULL), **overrides}, "data": COLOUR_DATA,
            "epochs_run": len(hist.epoch), "best_epoch": hist.best_epoch, "stopped_early": hist.stopped_early,
            "valid_nll": hist.valid_nll, "train_nll": hist.train_nll,
            "test_nll_nats": round(ev.nll, 4), "test_bits_per_dim": round(ev.bits_per_dim, 5),
            "train_seconds": round(seconds, 1), "device": str(model._device()), "threads": torch.get_num_threads(),
            "machine": platform.processor() or platform.machine(), "torch": torch.__version__}
    path = save(model, COLOUR_CHECKPOINT, info, directory=args.out)
    print(f"colour PixelCNN: {ev} after {len(hist.epoch)} epochs, {seconds:.0f} s -> {path}")


if __name__ == "__main__":
    _main()
