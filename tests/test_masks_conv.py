"""Masked convolutions (chapter 9): conv masks A/B, colour groups, MaskedConv2d."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from arlib.layers import MaskedConv2d
from arlib.masks import channel_groups, conv_mask, conv_mask_offsets

# The lecture's two 5x5 masks ("Convolution stack - option 1").
LECTURE_A = torch.tensor([[1, 1, 1, 1, 1],
                          [1, 1, 1, 1, 1],
                          [1, 1, 0, 0, 0],
                          [0, 0, 0, 0, 0],
                          [0, 0, 0, 0, 0]], dtype=torch.float32)
LECTURE_B = LECTURE_A.clone()
LECTURE_B[2, 2] = 1


def test_lecture_masks():
    assert torch.equal(conv_mask(5, "A")[0, 0], LECTURE_A)
    assert torch.equal(conv_mask(5, "B")[0, 0], LECTURE_B)
    assert conv_mask(5, "A").shape == (1, 1, 5, 5)
    assert conv_mask(5, "A").dtype == torch.float32


@given(k=st.sampled_from([1, 3, 5, 7, 9]), t=st.sampled_from(["A", "B"]),
       cin=st.integers(1, 4), cout=st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_raster_structure_one_group(k, t, cin, cout):
    m = conv_mask(k, t, cin, cout)
    assert m.shape == (cout, cin, k, k)
    c = k // 2
    assert torch.all(m[:, :, :c] == 1)           # rows above
    assert torch.all(m[:, :, c + 1:] == 0)       # rows below
    assert torch.all(m[:, :, c, :c] == 1)        # left in the centre row
    assert torch.all(m[:, :, c, c + 1:] == 0)    # right in the centre row
    assert torch.all(m[:, :, c, c] == (1 if t == "B" else 0))
    assert len(conv_mask_offsets(k, t)) == int(m[0, 0].sum())


def test_colour_groups_centre():
    gin = channel_groups(3, 3)
    assert gin.tolist() == [0, 1, 2]
    assert channel_groups(6, 3).tolist() == [0, 0, 1, 1, 2, 2]
    a = conv_mask(3, "A", 3, 6, colour_groups=3)[:, :, 1, 1]
    b = conv_mask(3, "B", 6, 6, colour_groups=3)[:, :, 1, 1]
    # type A, image -> features: R features see nothing at the centre, G see R, B see R and G
    assert a.tolist() == [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 0]]
    # type B, features -> features: a group sees itself and the groups before it
    g = channel_groups(6, 3)
    assert torch.equal(b, (g[:, None] >= g[None, :]).float())
    # outside the centre every channel sees every channel
    m = conv_mask(3, "A", 3, 6, colour_groups=3)
    assert torch.all(m[:, :, 0] == 1) and torch.all(m[:, :, 1, 0] == 1)


@pytest.mark.parametrize("args, match", [
    ((4, "A"), "odd"), ((0, "B"), "odd"), ((3, "C"), "'A' or 'B'"),
    ((3, "A", 4, 6, 3), "multiple of 3"), ((3, "B", 3, 5, 3), "multiple of 3"),
])
def test_conv_mask_errors(args, match):
    with pytest.raises(ValueError, match=match):
        conv_mask(*args)


@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize("t", ["A", "B"])
def test_masked_conv_equals_full_masked_convolution(k, t):
    torch.manual_seed(k)
    layer = MaskedConv2d(3, 6, k, t, colour_groups=3)
    x = torch.randn(2, 3, 9, 8)
    want = F.conv2d(x, layer.weight * layer.mask, layer.bias, padding=k // 2)
    got = layer(x)
    assert got.shape == want.shape == (2, 6, 9, 8)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    got_cl = layer.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got_cl, want, atol=1e-5, rtol=1e-5)


def test_masked_weights_get_no_gradient_and_mask_is_not_saved():
    layer = MaskedConv2d(2, 4, 5, "A")
    layer(torch.randn(3, 2, 7, 7)).square().sum().backward()
    assert torch.all(layer.weight.grad[layer.mask == 0] == 0)
    assert torch.any(layer.weight.grad[layer.mask == 1] != 0)
    assert set(layer.state_dict()) == {"weight", "bias"}
    assert "mask_type='A'" in repr(layer)


@pytest.mark.parametrize("t", ["A", "B"])
def test_masked_conv_sees_only_the_past(t):
    """Output (r, c) changes with input (r', c') only if (r', c') is before (r, c) (or equal, for B)."""
    torch.manual_seed(0)
    layer = MaskedConv2d(1, 2, 3, t)
    H = W = 5
    x = torch.randn(1, 1, H, W)
    base = layer(x)
    for j in range(H * W):
        xj = x.clone()
        xj.view(-1)[j] += 1.0
        changed = (layer(xj) - base).abs().amax(1)[0].flatten() > 1e-6
        for i in changed.nonzero().flatten().tolist():
            assert j < i or (t == "B" and j == i), (t, i, j)
