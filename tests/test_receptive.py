"""Receptive fields by gradients and the blind spot (chapter 10)."""
import pytest
import torch

from arlib.models import IndependentBernoulli, PixelCNN
from arlib.receptive import blind_spot, masked_stack, receptive_field, stack_field, stack_mask_types


def _future(H, W, r, c):
    """Pixels at or after (r, c) in raster order."""
    rows = torch.arange(H)[:, None].expand(H, W)
    cols = torch.arange(W)[None, :].expand(H, W)
    return (rows > r) | ((rows == r) & (cols >= c))


@pytest.mark.parametrize("L, k, mask", [(1, 3, "AB"), (2, 3, "AB"), (4, 3, "AB"), (3, 5, "AB"),
                                        (3, 3, "A"), (3, 3, "B"), (2, 5, "B")])
def test_dilation_equals_gradients(L, k, mask):
    H, W = 9, 10
    stack = masked_stack(L, k, mask)
    for px in [(0, 0), (4, 5), (8, 9), (3, 0), (0, 9), (8, 1)]:
        assert torch.equal(stack_field(L, k, (H, W), px, mask), receptive_field(stack, (H, W), px)), px


def test_a_then_b_never_sees_the_current_or_later_pixels():
    H, W = 8, 9
    for L, k in [(1, 3), (3, 3), (2, 5), (6, 3)]:
        stack = masked_stack(L, k, "AB")
        for r in range(H):
            for c in range(W):
                f = receptive_field(stack, (H, W), (r, c))
                assert not (f & _future(H, W, r, c)).any(), (L, k, r, c)


def test_pixelcnn_field_is_strictly_in_the_past_and_matches_its_masks():
    torch.manual_seed(0)
    m = PixelCNN(channels=8, n_layers=4, first_kernel_size=5, height=12, width=12)
    for px in [(0, 0), (6, 6), (11, 3), (5, 11)]:
        f = receptive_field(m, (1, 12, 12), px)
        assert not (f & _future(12, 12, *px)).any()
        assert torch.equal(f, stack_field(4, 3, (12, 12), px, first_kernel_size=5))


def test_colour_pixelcnn_field_per_channel():
    torch.manual_seed(0)
    m = PixelCNN(in_channels=3, channels=24, n_layers=2, num_values=4, height=6, width=6)
    assert not receptive_field(m, (3, 6, 6), (0, 3, 3))[3, 3]  # R never sees its own pixel
    assert receptive_field(m, (3, 6, 6), (1, 3, 3))[3, 3]      # G sees this pixel's R
    assert receptive_field(m, (3, 6, 6), (3, 3))[3, 3]         # all channels together: yes


def test_type_b_everywhere_sees_the_pixel_itself():
    f = stack_field(3, 3, (7, 7), (3, 3), mask="B")
    assert f[3, 3]


@pytest.mark.parametrize("L, k", [(2, 3), (3, 3), (4, 3), (6, 3), (2, 5), (4, 5), (2, 7), (3, 7)])
def test_blind_spot_exists_from_two_layers(L, k):
    H, W = 32, 50
    r, c = 28, 20
    p = k // 2
    f = stack_field(L, k, (H, W), (r, c))
    b = blind_spot(f, (r, c))
    assert b.any()
    rows, cols = b.nonzero(as_tuple=True)
    assert torch.all(rows < r) and torch.all(cols > c)           # above and to the right
    assert torch.all(cols - c > p * (r - rows))                  # beyond the line one row up per p columns right
    assert int(b.sum()) == p * L * (L - 1) // 2                  # a triangle: L(L-1)/2 for 3x3 kernels
    assert torch.equal(f, receptive_field(masked_stack(L, k), (H, W), (r, c)))


def test_no_blind_spot_with_one_layer():
    f = stack_field(1, 5, (28, 28), (10, 10))
    assert not blind_spot(f, (10, 10)).any()
    assert int(f.sum()) == 12  # the 12 ones of the lecture's 5x5 type-A mask


def test_pixel_outside_the_image_raises():
    stack = masked_stack(2, 3)
    for px in [(-1, 0), (0, -1), (28, 0), (0, 28), (30, 30)]:
        with pytest.raises(ValueError, match="outside the 28x28 image"):
            receptive_field(stack, (28, 28), px)
        with pytest.raises(ValueError, match="outside the 28x28 image"):
            stack_field(2, 3, (28, 28), px)
        with pytest.raises(ValueError, match="outside the 28x28 image"):
            blind_spot(torch.zeros(28, 28, dtype=torch.bool), px)
    from arlib.book.plotting import layers_animation
    from arlib.receptive import field_categories

    for px in [(-1, 0), (0, 28)]:
        with pytest.raises(ValueError, match="outside the 28x28 image"):
            field_categories(torch.zeros(28, 28, dtype=torch.bool), px)
        with pytest.raises(ValueError, match="outside the 28x28 image"):
            layers_animation(max_layers=2, shape=(28, 28), pixel=px)
    with pytest.raises(ValueError, match="channel 3"):
        receptive_field(PixelCNN(in_channels=3, channels=3, n_layers=1, height=4, width=4), (3, 4, 4), (3, 0, 0))
    with pytest.raises(ValueError, match="pixel must be"):
        receptive_field(stack, (28, 28), (1,))


def test_other_errors():
    with pytest.raises(ValueError, match="shape"):
        receptive_field(masked_stack(1), (28,), (0, 0))
    with pytest.raises(ValueError, match="event shape"):
        receptive_field(PixelCNN(n_layers=1, channels=2), (14, 14), (0, 0))
    with pytest.raises(ValueError, match="'AB'"):
        stack_mask_types(3, "C")
    with pytest.raises(ValueError, match="n_layers"):
        stack_mask_types(0)


def _randomised(m):
    with torch.no_grad():  # FVSBN starts at zero weights, where no gradient reaches any input
        for p in m.parameters():
            p.normal_(0, 0.5)
    return m


@pytest.mark.parametrize("name", ["FVSBN", "NADE", "MADE", "PixelRNN"])
def test_other_arlib_models(name):
    """receptive_field works for the flat and recurrent models too: never the pixel or a later one;
    FVSBN, NADE and the RNN see the whole past (MADE only what its random degrees connect)."""
    from arlib.models import FVSBN, MADE, NADE, PixelRNN

    torch.manual_seed(0)
    build = {"FVSBN": lambda: _randomised(FVSBN(64)), "NADE": lambda: NADE(64, 8), "MADE": lambda: MADE(64, [32]),
             "PixelRNN": lambda: PixelRNN(hidden_size=8, image_size=8)}[name]
    m = build()
    for px in [(0, 0), (3, 4), (7, 7)]:
        f = receptive_field(m, (8, 8), px)
        assert not (f & _future(8, 8, *px)).any(), px
        if name != "MADE":
            assert torch.equal(f, ~_future(8, 8, *px)), px


def test_flat_models_and_plain_functions():
    assert not receptive_field(IndependentBernoulli(784), (28, 28), (5, 5)).any()
    # a function whose output at pixel i is the sum of all pixels before it: the whole past
    f = receptive_field(lambda x: torch.cumsum(x.flatten(1), 1).roll(1, 1), (6, 6), (2, 3))
    assert torch.equal(f, ~_future(6, 6, 2, 3))


# ------------------------------------------------------------------ the explorer (chapter 10)

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from arlib.widgets import ReceptiveFieldExplorer  # noqa: E402

SETTINGS = [(28, 28, 3, 3, "AB", 14, 14), (28, 28, 1, 3, "AB", 0, 0), (28, 28, 6, 5, "AB", 20, 3),
            (28, 28, 4, 7, "A", 27, 27), (28, 28, 5, 3, "B", 10, 25), (12, 9, 11, 3, "AB", 11, 8)]


def test_explorer_readout_matches_dilation_and_gradients():
    for H, W, L, k, mask, r, c in SETTINGS:
        got = ReceptiveFieldExplorer.field_readout(H, W, L, k, mask, r, c)
        f = stack_field(L, k, (H, W), (r, c), mask)
        assert got["field"] == f.flatten().nonzero().flatten().tolist()
        assert got["blind"] == blind_spot(f, (r, c)).flatten().nonzero().flatten().tolist()
        assert got["field_count"] == len(got["field"]) and got["blind_count"] == len(got["blind"])
        assert got["future_count"] == (0 if mask != "B" else 1)
        assert got["past_count"] == r * W + c


def test_explorer_state_and_errors():
    w = ReceptiveFieldExplorer(n_layers=4, kernel_size=5, mask="AB", row=3, col=7)
    state = w.get_state()
    assert len(json.dumps({k: v for k, v in state.items() if not k.startswith("_")})) < 2000
    assert w.readout()["n_layers"] == 4 and w.readout(n_layers=2)["n_layers"] == 2
    assert ReceptiveFieldExplorer.expected_readout(
        {"height": 28, "width": 28}, {"n_layers": 4, "kernel_size": 5, "mask": "AB", "row": 3, "col": 7}) == w.readout()
    for kwargs, match in [(dict(n_layers=0), "n_layers"), (dict(n_layers=12), "n_layers"),
                          (dict(kernel_size=4), "kernel_size"), (dict(mask="BA"), "mask"),
                          (dict(row=28), "outside the 28x28"), (dict(col=-1), "outside the 28x28"),
                          (dict(shape=(100, 100)), "4096")]:
        with pytest.raises(ValueError, match=match):
            ReceptiveFieldExplorer(**kwargs)
    with pytest.raises(ValueError, match="outside"):
        w.readout(row=40)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_dilation_equals_arlib(tmp_path):
    """Run receptive.js's own fieldOf/blindOf in node and compare with arlib's gradients."""
    src = (Path(__file__).resolve().parents[1] / "arlib" / "widgets" / "receptive.js").read_text()
    src = src.replace('import * as draw from "./draw.js";', "").replace("export default { render };", "")
    src += """
const cases = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map(([H, W, n, k, mask, row, col]) => {
  const f = fieldOf(H, W, n, k, mask, row, col);
  return { field: indices(f), blind: indices(blindOf(f, H, W, row, col)) };
})));
"""
    script = tmp_path / "field.mjs"
    script.write_text(src)
    out = subprocess.run(["node", str(script), json.dumps(SETTINGS)], capture_output=True, text=True, check=True)
    for setting, page in zip(SETTINGS, json.loads(out.stdout)):
        want = ReceptiveFieldExplorer.field_readout(*setting)
        assert page["field"] == want["field"], setting
        assert page["blind"] == want["blind"], setting


# ------------------------------------------------------------------ exercise checkers (chapter 10)

def test_ch10_checkers_accept_the_solutions_and_explain_wrong_answers():
    from arlib.exercises import ExerciseError, ch10

    ch10.check_blind_spot_count(lambda L: L * (L - 1) // 2)
    ch10.check_field_by_dilation(ch10.field_by_dilation_reference)
    ch10.check_reach_right(lambda d, k: d * (k // 2))
    ch10.check_no_blind_spot_columns([26, 27])
    wrong = [
        (lambda: ch10.check_blind_spot_count(lambda L: L * L), "hide 0 pixel"),
        (lambda: ch10.check_field_by_dilation(lambda L, k, s, p: ch10.field_by_dilation_reference(L + 1, k, s, p)),
         "NOT in the field"),
        (lambda: ch10.check_field_by_dilation(lambda L, k, s, p: torch.zeros(s, dtype=torch.bool)), "missing"),
        (lambda: ch10.check_field_by_dilation(lambda L, k, s, p: torch.zeros(3, 3)), "shape"),
        (lambda: ch10.check_reach_right(lambda d, k: d), "reaches 2 columns"),
        (lambda: ch10.check_no_blind_spot_columns([27]), "columns \\[26\\] have none"),
        (lambda: ch10.check_no_blind_spot_columns([0, 26, 27]), "columns \\[0\\] do have"),
    ]
    for call, match in wrong:
        with pytest.raises(ExerciseError, match=match):
            call()
