"""PixelCNN (chapter 9): shapes, parameter count, the autoregressive property (grey and colour),
and the three samplers drawing the same images for the same seed."""
import pytest
import torch
import torch.nn.functional as F

from arlib.layers import MaskedConv2d, channels_last
from arlib.lessons import counting
from arlib.masks import conv_mask
from arlib.models import PixelCNN
from arlib.models.pixelcnn import raster_channel_order
from arlib.sampling import ancestral_sample
from arlib.testing import (
    AutoregressiveViolation,
    assert_autoregressive,
    assert_dropout_in_training_only,
    dependency_matrix,
)

SMALL = [
    dict(channels=6, n_layers=3, height=6, width=5),
    dict(channels=4, n_layers=2, kernel_size=5, num_values=3, height=5, width=6),
    dict(in_channels=3, channels=6, n_layers=3, num_values=4, height=4, width=5),
    dict(in_channels=3, channels=6, n_layers=2, first_kernel_size=5, residual=True, height=4, width=4),
]


def _model(kw, seed=0):
    torch.manual_seed(seed)
    return PixelCNN(**kw)


@pytest.mark.parametrize("kw", [
    dict(), dict(channels=32, n_layers=8, first_kernel_size=7), dict(in_channels=3, channels=24, num_values=256),
    dict(channels=16, n_layers=1, head_channels=5, num_values=4), dict(in_channels=3, channels=12, kernel_size=5),
])
def test_parameter_count_matches_counting(kw):
    m = PixelCNN(**kw)
    keys = ("in_channels", "channels", "n_layers", "kernel_size", "first_kernel_size", "head_channels", "num_values")
    assert sum(p.numel() for p in m.parameters()) == counting.pixelcnn(**{k: m.config[k] for k in keys})


def test_recipe_builds_the_checkpoint_model():
    from arlib.recipes import pixelcnn as recipe

    m = recipe.build()
    assert isinstance(m, PixelCNN) and recipe.SHAPE == "image"
    assert sum(p.numel() for p in m.parameters()) == counting.pixelcnn(1, 32, 8, 3, 7, None, 2)
    assert m.receptive_rows == 3 + 7


def test_output_shapes_and_log_prob():
    x = (torch.rand(2, 1, 6, 5) < 0.5).float()
    m = _model(SMALL[0])
    assert m(x).shape == (2, 1, 6, 5)
    assert m.log_prob(x).shape == (2,)
    c = _model(SMALL[2])
    xc = torch.randint(0, 4, (2, 3, 4, 5)).float()
    assert c(xc).shape == (2, 4, 3, 4, 5)  # (B, K, C, H, W)
    lp = c.log_prob(xc)
    assert lp.shape == (2,) and torch.all(lp < 0)
    with pytest.raises(ValueError):
        c.log_prob(xc + 4)  # values must be 0 .. K-1


def test_colour_order_is_rows_columns_then_channels():
    assert raster_channel_order(3, 2, 2).tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    m = _model(dict(SMALL[2], channels=24))  # wide enough that ReLUs rarely cut a path for every input
    C, H, W = m.event_shape
    M = dependency_matrix(m, m.event_shape, n_inputs=6)
    idx = lambda c, r, s: c * H * W + r * W + s  # noqa: E731
    r, s = 2, 3
    # within one pixel: G depends on R, B on R and G, R on neither
    assert M[idx(1, r, s), idx(0, r, s)] and M[idx(2, r, s), idx(0, r, s)] and M[idx(2, r, s), idx(1, r, s)]
    assert not M[idx(0, r, s), idx(1, r, s)] and not M[idx(0, r, s), idx(2, r, s)]
    assert not M[idx(1, r, s), idx(2, r, s)]
    # every channel sees every channel of the pixel to the left
    assert all(M[idx(c, r, s), idx(d, r, s - 1)] for c in range(3) for d in range(3))


def test_broken_masks_are_caught():
    """A first layer of type B lets every pixel see itself: the test must say so."""
    m = _model(SMALL[0])
    m.layers[0].mask.copy_(conv_mask(3, "B", 1, 6))
    with pytest.raises(AutoregressiveViolation):
        assert_autoregressive(m, m.event_shape)
    c = _model(SMALL[2])  # colour: a type-A layer without colour groups would hide R from G; with
    c.layers[0].mask.copy_(conv_mask(3, "B", 3, 6, colour_groups=3))  # type B, R's logits see R itself
    with pytest.raises(AutoregressiveViolation):
        assert_autoregressive(c, c.event_shape)


@pytest.mark.parametrize("in_channels", [1, 3])
def test_256_way_softmax_for_8_bit_images(in_channels):
    """The 8-bit variant: 256 logits per pixel and channel, autoregressive over (channel, row, column),
    and the fast samplers draw the same 8-bit images as the naive one."""
    m = _model(dict(in_channels=in_channels, channels=6, n_layers=3, num_values=256, height=4, width=4))
    x = torch.randint(0, 256, (2, in_channels, 4, 4)).float()
    assert m(x).shape == (2, 256, in_channels, 4, 4)
    assert torch.isfinite(m.log_prob(x)).all()
    assert_autoregressive(m, m.event_shape)
    a = ancestral_sample(m, 3, generator=torch.Generator().manual_seed(1))
    assert a.min() >= 0 and a.max() <= 255 and torch.equal(a, a.round())
    assert torch.equal(m.sample(3, generator=torch.Generator().manual_seed(1)), a)
    assert torch.get_num_threads() == 1  # conftest's setting is restored after the cached sampler


def test_256_way_softmax_is_normalised():
    """On a 1x1 grey image p(x) is the first softmax: it sums to 1 over the 256 values."""
    m = _model(dict(channels=4, n_layers=2, num_values=256, height=1, width=1))
    with torch.no_grad():
        total = m.log_prob(torch.arange(256.0).view(256, 1, 1, 1)).double().exp().sum()
    assert abs(float(total) - 1.0) < 1e-5


def test_sample_errors():
    m = _model(SMALL[0])
    with pytest.raises(ValueError, match="method"):
        m.sample(2, method="fast")
    with pytest.raises(ValueError, match="positive"):
        m.sample(0)


def test_constructor_errors():
    with pytest.raises(ValueError, match="multiple of 3"):
        PixelCNN(in_channels=3, channels=8)
    with pytest.raises(ValueError, match="n_layers"):
        PixelCNN(n_layers=0)


def test_channels_last_gives_the_same_log_prob():
    m = _model(SMALL[2])
    x = torch.randint(0, 4, (3, 3, 4, 5)).float()
    want = m.log_prob(x)
    m = m.to(memory_format=torch.channels_last)
    torch.testing.assert_close(m.log_prob(x.contiguous(memory_format=torch.channels_last)), want)


@pytest.mark.parametrize("k, mask_type, groups", [(1, "B", 1), (1, "B", 3), (3, "B", 1), (5, "A", 3), (7, "A", 1)])
def test_masked_conv_fast_paths_equal_the_plain_masked_convolution(k, mask_type, groups):
    """Channels-last maps (a 1 x 1 kernel as a matrix product), the one-sided padding and the skipped
    all-ones mask give the values and gradients of a 'same' convolution with the full masked kernel."""
    torch.manual_seed(0)
    conv = MaskedConv2d(6, 9, k, mask_type, groups)
    x = torch.randn(2, 6, 7, 5)
    want = F.conv2d(x, conv.weight * conv.mask, conv.bias, padding=k // 2)
    want.square().sum().backward()
    grads = [p.grad.clone() for p in (conv.weight, conv.bias)]
    for maps in (x, channels_last(x)):
        conv.zero_grad()
        y = conv(maps)
        torch.testing.assert_close(y, want)
        y.square().sum().backward()
        for p, g in zip((conv.weight, conv.bias), grads):
            torch.testing.assert_close(p.grad, g)


def test_shipped_checkpoint_beats_uniform():
    from arlib.checkpoints import available, load_model
    from arlib.data import load_binarized_mnist
    from arlib.train import evaluate

    if "pixelcnn" not in available():
        pytest.skip("the pixelcnn checkpoint has not been trained yet")
    m = load_model("pixelcnn")
    assert isinstance(m, PixelCNN)
    ev = evaluate(m, load_binarized_mnist("test", shape="image", n=100))
    assert ev.nll < 120  # uniform: 784 ln 2 = 543.4 nats


# ------------------------------------------------------------------ exercise checkers (chapter 9)

def test_ch09_checkers_accept_the_solutions_and_explain_wrong_answers():
    import numpy as np

    from arlib.exercises import ExerciseError, ch09

    ch09.check_first_layer_counts(1600, 800)
    ch09.check_colour_mask(ch09.colour_mask_reference)
    ch09.check_all_a_row(3, [-3])
    ch09.check_output_layer(786432, 49920)
    wrong = [
        (lambda: ch09.check_first_layer_counts(1568, 800), "bias"),
        (lambda: ch09.check_first_layer_counts(1600, 25), "per filter"),
        (lambda: ch09.check_first_layer_counts(1600, 700), "24 taps"),
        (lambda: ch09.check_all_a_row(3, [-1, -2, -3]), "sees the offsets \\[-3\\]"),
        (lambda: ch09.check_output_layer(3072, 49920), "256 logits per channel"),
        (lambda: ch09.check_output_layer(786432, 49152), "biases"),
        (lambda: ch09.check_colour_mask(lambda k, t, i, o: np.ones((o, i, k, k))), "expected 0"),
        (lambda: ch09.check_colour_mask(lambda k, t, i, o: np.zeros((i, o, k, k))), "shape"),
        (lambda: ch09.check_colour_mask(lambda k, t, i, o: 1 / 0), "ZeroDivisionError"),
    ]

    def no_groups(k, t, i, o):
        m = ch09.colour_mask_reference(k, t, i, o)
        m[:, :, k // 2, k // 2] = 1.0 if t == "B" else 0.0
        return m

    wrong.append((lambda: ch09.check_colour_mask(no_groups), "at the centre"))
    for call, match in wrong:
        with pytest.raises(ExerciseError, match=match):
            call()


# ------------------------------------------------------------------ coloured MNIST (chapter 9)

def test_colour_mnist_is_deterministic_and_quantised():
    from arlib.data import load_binarized_mnist
    from arlib.data.colour import colour_to_rgb, colours_of, load_colour_mnist

    x = load_colour_mnist("train", n=50)
    assert x.shape == (50, 3, 28, 28) and x.dtype == torch.float32
    assert torch.equal(x, load_colour_mnist("train", n=50))            # the same every time
    assert set(x.unique().tolist()) <= {0.0, 1.0, 2.0, 3.0}
    bits = load_binarized_mnist("train", shape="image", n=50)
    bg, fg = colours_of("train", 50)
    assert (bg < 2).all() and (fg >= 2).all()                           # strokes always lighter
    # every pixel is the image's background or stroke colour, as the bits say
    want = torch.where(bits.bool(), torch.tensor(fg, dtype=torch.float32)[:, :, None, None],
                       torch.tensor(bg, dtype=torch.float32)[:, :, None, None])
    assert torch.equal(x, want)
    small = load_colour_mnist("valid", n=10, size=14, levels=8)
    assert small.shape == (10, 3, 14, 14) and small.max() <= 7
    assert not torch.equal(load_colour_mnist("valid", n=10)[:, :, 0, 0], load_colour_mnist("train", n=10)[:, :, 0, 0])
    rgb = colour_to_rgb(x[:2])
    assert rgb.shape == (2, 28, 28, 3) and rgb.min() >= 0 and rgb.max() <= 1
    for kwargs, match in [(dict(size=20), "size"), (dict(levels=1), "levels"), (dict(split="dev"), "split")]:
        with pytest.raises(ValueError, match=match):
            load_colour_mnist(**{"n": 2, **kwargs})


def test_colour_recipe_builds_a_valid_model():
    from arlib.recipes import pixelcnn_colour as recipe

    m = recipe.build()
    assert m.event_shape == (3, 14, 14) and m.num_values == 4
    assert sum(p.numel() for p in m.parameters()) == counting.pixelcnn(3, 24, 5, 3, 5, num_values=4)


def test_ch09_bug_zoo_checker():
    from arlib.exercises import ExerciseError, ch09

    def leaks(model):
        try:
            assert_autoregressive(model, model.event_shape)
        except AutoregressiveViolation:
            return True
        return False

    buggy = ch09._small()
    buggy.layers[0].mask.copy_(conv_mask(5, "B", 1, 8))
    assert "5 specimens" in ch09.check_bug_zoo(buggy, leaks)
    for model, fn, msg in [(ch09._small(), leaks, "still has a type-A mask"),
                           (buggy, lambda m: True, "'type A in every layer' is autoregressive"),
                           (buggy, lambda m: False, "changes when dimension 1"),
                           (buggy, lambda m: 1 / 0, "ZeroDivisionError"),
                           (buggy, lambda m: "yes", "True or False")]:
        with pytest.raises(ExerciseError, match=msg):
            ch09.check_bug_zoo(model, fn)


# ---- dropout (the regularised runs) ----
@pytest.mark.parametrize("kw", [dict(residual=True), dict(bottleneck=True), dict()])
def test_dropout_acts_in_training_only_and_keeps_the_model_autoregressive(kw):
    build = lambda **d: PixelCNN(1, 8, 3, 3, 5, height=6, width=6, **kw, **d)  # noqa: E731
    assert_dropout_in_training_only(build(dropout=0.5), build(), torch.randint(0, 2, (3, 1, 6, 6)).float())
    with pytest.raises(ValueError, match="dropout"):
        build(dropout=1.0)
