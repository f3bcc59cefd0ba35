"""What the live explorers put in a page, and what the rounding to 8 bits costs.

    python scripts/page_weights.py [--n-test N]

For each model the page runs (FVSBN, NADE, the 1000-unit MADE, the order-agnostic MADE, PixelCNN):
the size of its weights in the page (JSON, and gzip-compressed as a server sends it), and the
test NLL of the checkpoint and of ``arlib.widgets.live.page_model`` (the page's int8 weights) on
the first N test images (default: all 10,000).
"""
from __future__ import annotations

import argparse
import gzip
import json

import torch

from arlib import recipes
from arlib.checkpoints import load_model
from arlib.train import evaluate
from arlib.widgets.live import page_model, page_spec

MODELS = ["fvsbn", "nade", "made_small", "made_order_agnostic", "pixelcnn"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-test", type=int, default=None, help="first N test images (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"{'model':22s} {'JSON KB':>8s} {'gzip KB':>8s} {'float NLL':>10s} {'page NLL':>10s} {'diff':>7s}")
    for name in MODELS:
        model = load_model(name).eval()
        spec = page_spec(model, name)
        raw = json.dumps(spec).encode()
        x = recipes.load_data(name, "test", args.n_test)
        full = evaluate(model, x).nll
        page = evaluate(page_model(model, spec).float(), x).nll
        print(f"{name:22s} {len(raw) / 1024:8.0f} {len(gzip.compress(raw)) / 1024:8.0f} "
              f"{full:10.3f} {page:10.3f} {page - full:+7.3f}", flush=True)


if __name__ == "__main__":
    main()
