"""Store a shipped checkpoint again in a smaller precision, if the test NLL allows it.

    python scripts/restore.py made_order_agnostic --store float16

Loads ``arlib/checkpoints/NAME.safetensors``, evaluates the weights as shipped and as the smaller
precision would give them back, on all 10,000 test images of the recipe's data, and rewrites the
checkpoint (and its manifest entry: ``stored``, ``test_nll_nats``, ``restored_from``) only when the
test NLL moves by under 0.05 nat, the book's rule for stored precision.  Training is not repeated:
the weights are the shipped ones, rounded.  The checkpoint's check figures (the check subset, and the
papers' test file) are then recorded again, as ``scripts/results.py --record-check NAME`` does.
"""
from __future__ import annotations

import argparse

import torch
from results import record_check  # scripts/results.py, beside this file

from arlib import recipes
from arlib.checkpoints import fixed_masks, load_model, manifest, save, stored_state
from arlib.train import evaluate

DTYPES = {"float16": torch.float16, "int8": torch.int8}
TOLERANCE = 0.05
"""Largest change of the test NLL (nats) that a smaller stored precision may cause."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", help="a shipped checkpoint")
    ap.add_argument("--store", choices=sorted(DTYPES), required=True)
    ap.add_argument("--threads", type=int, help="torch.set_num_threads")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(args.name)
    info = manifest()[args.name]["info"]
    test = recipes.load_data(info.get("recipe", args.name), "test", labels=model.conditional)
    before = evaluate(model, test).nll
    shipped = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(stored_state(shipped, DTYPES[args.store], fixed_masks(model)))   # what load() gives
    after = evaluate(model, test)
    print(f"{args.name}: test NLL {before:.4f} as shipped ({info.get('stored', 'float32')}), "
          f"{after.nll:.4f} as {args.store}")
    if abs(after.nll - before) >= TOLERANCE:
        raise SystemExit(f"{args.name}: {args.store} moves the test NLL by {after.nll - before:+.4f} nat "
                         f"(the rule allows under {TOLERANCE}); not rewritten")
    info.update(restored_from=info.get("stored", "float32"), stored=args.store,
                test_nll_nats=round(after.nll, 4), test_bits_per_dim=round(after.bits_per_dim, 5))
    model.load_state_dict(shipped)
    print(f"{args.name}: rewritten -> {save(model, args.name, info, dtype=DTYPES[args.store])}")
    print(f"{args.name}: check figures recorded again: {record_check([args.name])[args.name]}")


if __name__ == "__main__":
    main()
