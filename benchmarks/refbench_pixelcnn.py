"""refbench --extra specs for the PixelCNN family at the references' architectures (issue 15).

From the project's root, with its .venv:

    PYTHONPATH=.:../shared/refbench .venv/bin/python ../shared/refbench/refbench.py \
        --extra benchmarks/refbench_pixelcnn.py:specs --only pg_pixelcnn,arlib_pixelcnn_pg \
        --rounds 3 --skip sample --json /tmp/rb_pixelcnn.json --md /tmp/rb_pixelcnn.md

``arlib_pixelcnn_pg`` is arlib's PixelCNN with the paper's residual blocks at pytorch-generative's
configuration (a 7 x 7 type-A layer to 32 maps, 15 blocks 32 -> 16 -> 16 -> 32, a 32-map head:
53,569 parameters, the reference's exact count).  ``arlib_gated_pg`` is arlib's Gated PixelCNN at
the width and depth of ``pg_gated_pixelcnn`` (the Gated reference is slow: ``--rounds 2``,
``--only pg_gated_pixelcnn,arlib_gated_pg``).

Per image (torch.utils.flop_counter, as executed): pytorch-generative's PixelCNN 82.4 MFLOP forward,
245 forward + backward (full 3 x 3 and 7 x 7 kernels, masked taps multiplied too); arlib's 63.3 and
188 (kernels cropped to the rows a pixel sees).  Gated: the reference 5,435 and 16,146 MFLOP, arlib's
5,822 and 17,406.
"""
import dataclasses

import refbench  # provided by refbench.py, which imports this file

from arlib.models import GatedPixelCNN, PixelCNN
from arlib.train import training_autocast


def _bf16_logits(model, x):
    """The forward pass under bfloat16 autocast, as ``fit(precision="bf16")`` trains (the loss
    and the optimizer step stay float32)."""
    with training_autocast("bf16"):
        return model(x).float()


def _bf16(spec, settings: str):
    return dataclasses.replace(spec, name=spec.name + "_bf16", logits=_bf16_logits,
                               settings=f"{spec.settings}; {settings}")


def specs():
    def pg_shaped() -> PixelCNN:
        return PixelCNN(in_channels=1, channels=32, n_layers=16, kernel_size=3, first_kernel_size=7,
                        head_channels=32, bottleneck=True)

    def pg_gated_shaped() -> GatedPixelCNN:
        return GatedPixelCNN(channels=128, n_layers=11, kernel_size=3, first_kernel_size=7, head_channels=32)

    ours = [
        refbench.Spec(name="arlib_pixelcnn_pg", source="arlib",
                      settings="PixelCNN(channels=32, n_layers=16, first_kernel_size=7, head_channels=32, "
                               "bottleneck=True): 15 residual blocks as pytorch-generative's",
                      build=pg_shaped, input_kind="image", sampler=lambda m, n: m.sample(n),
                      sample_method="own sample() (cache)"),
        refbench.Spec(name="arlib_gated_pg", source="arlib",
                      settings="GatedPixelCNN(channels=128, n_layers=11, first_kernel_size=7, head_channels=32): "
                               "the reference's input layer + 10 gated layers, 128 channels, 32-map head. "
                               "Differs: a 2 x 3 masked vertical kernel (the reference: 1 x 3 then 2 x 1, "
                               "plus a 1 x 1 from the input), no vertical 1 x 1; 5,043,265 parameters "
                               "stored (3,724,353 unmasked) vs 3,364,161; 5.82 vs 5.43 GFLOP per image "
                               "forward (1.07x the reference's arithmetic)",
                      build=pg_gated_shaped, input_kind="image", sampler=lambda m, n: m.sample(n),
                      sample_method="own sample() (cache)"),
    ]
    refs = [s for s in refbench.reference_specs() if s.name in ("pg_pixelcnn", "pg_gated_pixelcnn")]
    return (ours + [_bf16(s, "bfloat16 autocast (fit(precision='bf16'))") for s in ours]
            + [_bf16(s, "run under bfloat16 autocast by this benchmark (the repository trains in "
                        "float32): the like-for-like ratio for arlib's bf16 rows") for s in refs])
