"""Make the landing page's teaser figure, ``chapters/images/teaser.png``.

    python scripts/make_teaser.py

It shows what the live explorers of chapters 3, 5, 6, 9 and 12 compute in the page: a test digit,
the shipped PixelCNN's conditionals p(x_i = 1 | x_<i) for it, and the nats -log p(x_i | x_<i) that
each pixel costs, with their sum, -log p(x). Everything comes from the shipped checkpoint and test
set; the figure is drawn in the book's style (arlib.book.plotting) at the width of the page column.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from arlib.book.plotting import COLUMN_PX, smallest_text_px  # noqa: E402  (applies the style)
from arlib.checkpoints import load_model  # noqa: E402
from arlib.data import load_binarized_mnist  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "chapters" / "images" / "teaser.png"
DIGIT = 0  # the first test digit, as the explorers open on it


def make(path: Path = OUT) -> Path:
    model = load_model("pixelcnn")
    x = load_binarized_mnist("test", shape="image", n=DIGIT + 1)[DIGIT : DIGIT + 1]
    with torch.no_grad():
        logits = model(x)
    probs = torch.sigmoid(logits)[0, 0]
    nats = F.binary_cross_entropy_with_logits(logits, x, reduction="none")[0, 0]
    fig, axes = plt.subplots(1, 3, figsize=(COLUMN_PX / 100, 2.7), dpi=100)
    axes[0].imshow(x[0, 0], cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("a digit x")
    im1 = axes[1].imshow(probs, cmap="viridis", vmin=0, vmax=1)
    axes[1].set_title("p(x_i = 1 | x_<i)")
    im2 = axes[2].imshow(nats, cmap="magma", vmin=0)
    axes[2].set_title(f"nats per pixel: {nats.sum():.1f} in all")
    fig.colorbar(im1, ax=axes[1], fraction=0.046, pad=0.03)
    fig.colorbar(im2, ax=axes[2], fraction=0.046, pad=0.03)
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle("The shipped PixelCNN reads a digit, one conditional per pixel")
    fig.tight_layout()
    assert smallest_text_px(fig) >= 10
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(make())
