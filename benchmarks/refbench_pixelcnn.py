"""refbench --extra specs for the PixelCNN family at the references' architectures (issue 15).

From the project's root, with its .venv:

    PYTHONPATH=.:../shared/refbench .venv/bin/python ../shared/refbench/refbench.py \
        --extra benchmarks/refbench_pixelcnn.py:specs --only pg_pixelcnn,arlib_pixelcnn_pg \
        --rounds 3 --skip sample --json /tmp/rb_pixelcnn.json --md /tmp/rb_pixelcnn.md

``arlib_pixelcnn_pg`` is arlib's PixelCNN with the paper's residual blocks at pytorch-generative's
configuration (a 7 x 7 type-A layer to 32 maps, 15 blocks 32 -> 16 -> 16 -> 32, a 32-map head:
53,569 parameters, the reference's exact count).
"""
import refbench  # provided by refbench.py, which imports this file

from arlib.models import PixelCNN


def specs():
    def pg_shaped() -> PixelCNN:
        return PixelCNN(in_channels=1, channels=32, n_layers=16, kernel_size=3, first_kernel_size=7,
                        head_channels=32, bottleneck=True)

    return [
        refbench.Spec(name="arlib_pixelcnn_pg", source="arlib",
                      settings="PixelCNN(channels=32, n_layers=16, first_kernel_size=7, head_channels=32, "
                               "bottleneck=True): 15 residual blocks as pytorch-generative's",
                      build=pg_shaped, input_kind="image", sampler=lambda m, n: m.sample(n),
                      sample_method="own sample() (cache)"),
    ]
