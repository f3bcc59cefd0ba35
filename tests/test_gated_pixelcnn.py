"""Chapter 11: the stack masks, the gated block, GatedPixelCNN (no blind spot, autoregressive, sampling)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from arlib.layers import GatedBlock, StackConv2d, channels_last, gated_activation
from arlib.lessons import counting
from arlib.masks import horizontal_mask, stack_mask_offsets, vertical_mask
from arlib.models import GatedPixelCNN
from arlib.receptive import gated_stack_field, receptive_field
from arlib.testing import AutoregressiveViolation, assert_autoregressive, assert_dropout_in_training_only

# The lecture's slide "Convolution stack - option 2", typed in.
LECTURE_V_FIRST = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
LECTURE_V_OTHER = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
LECTURE_H_FIRST = [[1, 1, 0, 0, 0]]
LECTURE_H_OTHER = [[1, 1, 1, 0, 0]]


def test_masks_are_the_lectures():
    assert vertical_mask(5, True).tolist() == LECTURE_V_FIRST
    assert vertical_mask(5, False).tolist() == LECTURE_V_OTHER
    assert horizontal_mask(5, True).tolist() == LECTURE_H_FIRST
    assert horizontal_mask(5, False).tolist() == LECTURE_H_OTHER


@pytest.mark.parametrize("k", [3, 5, 7])
def test_mask_offsets(k):
    c = k // 2
    assert set(stack_mask_offsets("vertical", k, True)) == {(dr, dc) for dr in range(-c, 0) for dc in range(-c, c + 1)}
    assert set(stack_mask_offsets("vertical", k, False)) == {(dr, dc) for dr in range(-c, 1) for dc in range(-c, c + 1)}
    assert set(stack_mask_offsets("horizontal", k, True)) == {(0, dc) for dc in range(-c, 0)}
    assert set(stack_mask_offsets("horizontal", k, False)) == {(0, dc) for dc in range(-c, 1)}


@pytest.mark.parametrize("bad", [1, 2, 4, 0, -3, 3.0, True])
def test_mask_kernel_size_errors(bad):
    with pytest.raises(ValueError, match="kernel_size"):
        vertical_mask(bad, True)


def test_stack_mask_names():
    with pytest.raises(ValueError, match="vertical"):
        StackConv2d(1, 2, 3, "diagonal", True)


@pytest.mark.parametrize("stack", ["vertical", "horizontal"])
@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("k", [3, 5])
def test_stack_conv_equals_full_masked_convolution(stack, first, k):
    torch.manual_seed(0)
    conv = StackConv2d(3, 4, k, stack, first).double()
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64)
    pad = (k // 2, k // 2) if stack == "vertical" else (0, k // 2)
    ref = F.conv2d(x, conv.weight * conv.mask, conv.bias, padding=pad)  # the plain 'same' masked convolution
    torch.testing.assert_close(conv(x), ref)
    torch.testing.assert_close(conv(channels_last(x)), ref)        # channels-last maps, channels-last kernel


def test_channels_last_forward_equals_the_plain_layout():
    """GatedPixelCNN runs channels-last inside; the logits and gradients are those of the plain layout."""
    torch.manual_seed(0)
    model = GatedPixelCNN(channels=4, n_layers=3, kernel_size=3, first_kernel_size=5, height=6, width=5).double()
    x = torch.bernoulli(torch.full((3, 1, 6, 5), 0.5, dtype=torch.float64))
    got = model(x)
    got.sum().backward()
    params = [p for p in model.parameters() if p.grad is not None]
    grads = [p.grad.clone() for p in params]
    model.zero_grad()
    v = h = x * 2.0 - 1.0           # the forward pass again, on (B, C, H, W) maps throughout
    skip = 0.0
    for block in model.blocks:
        v, h, s = block(v, h)
        skip = skip + s
    want = model.head(skip)
    torch.testing.assert_close(got, want)
    want.sum().backward()
    for p, g in zip(params, grads):
        torch.testing.assert_close(p.grad, g)


def test_first_vertical_layer_is_a_shifted_convolution():
    # rows above only == a convolution over rows r - c .. r (the centre row included) shifted down one row
    torch.manual_seed(1)
    first = StackConv2d(1, 2, 5, "vertical", True).double()
    x = torch.randn(1, 1, 8, 8, dtype=torch.float64)
    w = torch.zeros_like(first.weight)
    w[:, :, 1:3] = first.weight[:, :, 0:2]  # the same taps, one row lower in the kernel: rows r - 1 .. r
    y = F.conv2d(x, w, first.bias, padding=2)
    shifted = F.pad(y, (0, 0, 1, 0))[:, :, :8]
    shifted[:, :, 0] = first.bias[None, :, None]  # the top row sees only padding
    torch.testing.assert_close(first(x), shifted)


def test_gated_activation():
    """tanh(a_f) sigma(a_g) on maps (computed through one sigmoid), channels-last maps, per-position
    vectors (the sampler's), and its gradient."""
    a = torch.randn(2, 6, 3, 3, dtype=torch.float64)
    expected = torch.tanh(a[:, :3]) * torch.sigmoid(a[:, 3:])
    torch.testing.assert_close(gated_activation(a), expected)
    torch.testing.assert_close(gated_activation(a.contiguous(memory_format=torch.channels_last)), expected)
    v = a[:, :, 0, 0]
    torch.testing.assert_close(gated_activation(v), torch.tanh(v[:, :3]) * torch.sigmoid(v[:, 3:]))
    assert torch.autograd.gradcheck(gated_activation, (a.clone().requires_grad_(),))


def test_gated_block_shapes_and_residual():
    blk = GatedBlock(4, 4, 3, first=False, skip_channels=5)
    v, h = torch.randn(2, 4, 6, 6), torch.randn(2, 4, 6, 6)
    v2, h2, s = blk(v, h)
    assert v2.shape == h2.shape == (2, 4, 6, 6) and s.shape == (2, 5, 6, 6)
    with torch.no_grad():
        blk.res.weight.zero_()
        blk.res.bias.zero_()
    torch.testing.assert_close(blk(v, h)[1], h)  # residual: h' = h + res * g


def test_param_count_matches_counting():
    for kw in [dict(), dict(channels=8, n_layers=3, kernel_size=5, first_kernel_size=7),
               dict(channels=6, n_layers=4, skip_channels=5, head_channels=9, n_classes=10)]:
        m = GatedPixelCNN(**kw)
        assert sum(p.numel() for p in m.parameters()) == counting.gated_pixelcnn(**kw)


def small(n_classes=None, **kw):
    torch.manual_seed(0)
    cfg = dict(channels=6, n_layers=3, kernel_size=3, first_kernel_size=5, height=7, width=7, n_classes=n_classes)
    cfg.update(kw)
    return GatedPixelCNN(**cfg).double()


def test_autoregressive_test_catches_a_leak():
    m = small()
    conv = m.blocks[0].h_conv  # make the first horizontal layer a 'later' one: it sees the pixel itself
    conv.first = False
    conv.mask[0, 2] = 1.0
    with pytest.raises(AutoregressiveViolation):
        assert_autoregressive(m, (1, 7, 7))


@pytest.mark.parametrize("n_layers,k,k0", [(3, 3, 5), (6, 3, 3), (2, 5, 5)])
@pytest.mark.parametrize("pixel", [(4, 4), (6, 6), (0, 3), (5, 0), (2, 6)])
def test_receptive_field_by_gradients_equals_the_dilation(n_layers, k, k0, pixel):
    m = small(n_layers=n_layers, kernel_size=k, first_kernel_size=k0)
    assert torch.equal(receptive_field(m, (1, 7, 7), pixel), gated_stack_field(n_layers, k, (7, 7), pixel, k0))


@pytest.mark.parametrize("pixel", [(9, 9), (9, 0), (5, 7), (0, 9), (9, 5)])
def test_no_blind_spot_at_sufficient_depth(pixel):
    # 10 x 10 image, 3 x 3 kernels: the vertical stack climbs one row per layer; 10 layers reach every row
    torch.manual_seed(0)  # 8 channels: some ReLU of the head is alive for the random inputs
    m = GatedPixelCNN(channels=8, n_layers=10, kernel_size=3, height=10, width=10).double()
    field = receptive_field(m, (1, 10, 10), pixel)
    r, c = pixel
    rows, cols = torch.meshgrid(torch.arange(10), torch.arange(10), indexing="ij")
    past = (rows < r) | ((rows == r) & (cols < c))
    assert torch.equal(field, past), f"field misses {(past & ~field).nonzero().tolist()}"


def test_conditional_label_changes_the_output_and_needs_y():
    m = small(n_classes=10)
    x = torch.randint(0, 2, (3, 1, 7, 7)).double()
    assert not torch.allclose(m(x, y=torch.tensor([0, 0, 0])), m(x, y=torch.tensor([1, 1, 1])))
    with pytest.raises(ValueError, match="class-conditional"):
        m(x)
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        m(x, y=torch.tensor([0, 10, 1]))
    with pytest.raises(ValueError, match="unconditional"):
        small()(x, y=torch.tensor([1, 2, 3]))


def test_marginal_log_prob_is_the_sum_over_classes():
    m = small(n_classes=3)
    m.set_class_prior(torch.tensor([1.0, 2.0, 7.0]))
    x = torch.randint(0, 2, (4, 1, 7, 7)).double()
    lp = torch.stack([m.log_prob(x, y=torch.full((4,), c)) for c in range(3)], 1)
    ref = torch.logsumexp(lp + torch.tensor([0.1, 0.2, 0.7], dtype=torch.float64).log(), 1)
    torch.testing.assert_close(m.log_prob(x), ref)
    # it is a distribution: summing p(x) over all 2^D images would give 1; check on a 2 x 2 model instead
    tiny = GatedPixelCNN(channels=3, n_layers=2, n_classes=2, height=2, width=2).double()
    allx = torch.tensor([[int(b) for b in f"{i:04b}"] for i in range(16)], dtype=torch.float64).view(16, 1, 2, 2)
    assert math.isclose(tiny.log_prob(allx).exp().sum().item(), 1.0, rel_tol=1e-9)


def test_sample_probs_are_the_models_conditionals():
    m = small(n_classes=10)
    x, p = m.sample(2, y=4, generator=torch.Generator().manual_seed(0), return_probs=True)
    torch.testing.assert_close(p, torch.sigmoid(m(x, y=torch.tensor([4, 4]))))
    assert set(x.unique().tolist()) <= {0.0, 1.0}


def test_sample_draws_labels_from_the_prior_and_validates():
    m = small(n_classes=10)
    m.set_class_prior(torch.eye(10)[6])  # all mass on 6
    x = m.sample(2, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    torch.multinomial(m.log_prior.exp(), 2, replacement=True, generator=g)
    assert torch.equal(x, m.sample(2, y=6, generator=g))
    with pytest.raises(ValueError, match="labels"):
        m.sample(2, y=torch.tensor([1, 2, 3]))


def test_conditioning_is_inside_the_gates():
    # with V = 0 the label has no effect; the label terms are V's rows, one (2p) pair per layer
    m = small(n_classes=4)
    x = torch.randint(0, 2, (2, 1, 7, 7)).double()
    terms = m.label_terms(torch.tensor([1, 3]))
    assert len(terms) == 3 and terms[0][0].shape == (2, 12)
    with torch.no_grad():
        m.V.weight.zero_()
    torch.testing.assert_close(m(x, y=torch.tensor([0, 0])), m(x, y=torch.tensor([3, 1])))


# ---- the class-conditional sampling explorer (arlib.widgets.ClassSamplingExplorer) ----
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from arlib.widgets import ClassSamplingExplorer  # noqa: E402


def _explorer():
    m = small(n_classes=10)
    return m, ClassSamplingExplorer.from_model(m, classes=[1, 4, 7], seeds=[0, 5], step=10)


def test_explorer_records_the_runs_by_class_and_seed():
    m, w = _explorer()
    state = w.get_state()
    assert state["_anywidget_id"] == "arlib.widgets.gated_stacks.ClassSamplingExplorer"
    assert len(state["x"]) == 6 and len(state["x"][0]) == 49
    # run (class 4, seed 5) is image 1 of the batch sampled with seed 5
    g = torch.Generator().manual_seed(5)
    x, p = m.sample(3, y=torch.tensor([1, 4, 7]), generator=g, return_probs=True)
    assert state["x"][1 * 2 + 1] == x[1].flatten().long().tolist()
    assert state["probs"][1 * 2 + 1] == pytest.approx(p[1].flatten().tolist(), abs=1e-4)
    r = w.readout(label=1, seed=1, step=20)
    assert r["label"] == 4 and r["seed"] == 5 and (r["row"], r["col"]) == (2, 6)
    assert r["value"] == int(x[1, 0, 2, 6]) and r["field_count"] > 0
    assert r == ClassSamplingExplorer.expected_readout(state, {"label": 4, "seed": 5, "step": 20})
    assert len(json.dumps({k: v for k, v in state.items() if not isinstance(v, bytes)})) < 1_000_000


@pytest.mark.parametrize("kwargs, msg", [
    (dict(x=np.zeros((2, 49)), probs=np.zeros((2, 49)), classes=[0, 1], seeds=[0, 1]), "4 runs"),
    (dict(x=np.full((1, 49), 0.5), probs=np.zeros((1, 49)), classes=[0], seeds=[0]), "binary"),
    (dict(x=np.zeros((1, 49)), probs=np.full((1, 49), 2.0), classes=[0], seeds=[0]), "probabilities"),
    (dict(x=np.zeros((1, 49)), probs=np.zeros((1, 49)), classes=[0], seeds=[0], label=1), "label"),
    (dict(x=np.zeros((1, 49)), probs=np.zeros((1, 49)), classes=[0], seeds=[0], step=48), "step"),
    (dict(x=np.zeros((1, 49)), probs=np.zeros((1, 49)), classes=[0], seeds=[0], kernel_size=4), "kernel_size"),
])
def test_explorer_input_checks(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        ClassSamplingExplorer(shape=(7, 7), **kwargs)


def test_explorer_needs_a_conditional_model():
    with pytest.raises(ValueError, match="class-conditional"):
        ClassSamplingExplorer.from_model(small())


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_explorer_js_field_is_the_gated_stack_field(tmp_path):
    esm = ClassSamplingExplorer._esm
    (tmp_path / "bundle.mjs").write_text(esm + "\nexport { gatedField };\n")
    cases = [(7, 9, 3, 3, 5, 4, 6), (10, 10, 10, 3, 3, 9, 9), (8, 8, 2, 5, 5, 5, 1), (28, 28, 12, 3, 5, 14, 20)]
    (tmp_path / "main.mjs").write_text(
        'import { gatedField } from "./bundle.mjs";\n'
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([H, W, L, k, k0, r, c]) => Array.from(gatedField(H, W, L, k, k0, r, c)))));\n")
    out = subprocess.run(["node", str(tmp_path / "main.mjs")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for (H, W, L, k, k0, r, c), got in zip(cases, json.loads(out.stdout)):
        ref = gated_stack_field(L, k, (H, W), (r, c), k0).flatten().int().tolist()
        assert got == ref, (H, W, L, k, k0, r, c)


# ---- exercise checkers (arlib.exercises.ch11) ----
from arlib.exercises import ExerciseError, ch11  # noqa: E402


def test_check_layer_params():
    ch11.check_layer_params(lambda p, k: 2 * p * p * k * k + 2 * p + 2 * p * p * k + 2 * p + 4 * p * p + 2 * p + 2 * (p * p + p))
    with pytest.raises(ExerciseError, match="skip|residual"):
        ch11.check_layer_params(lambda p, k: 2 * p * p * k * k + 2 * p + 2 * p * p * k + 2 * p + 4 * p * p + 2 * p + p * p + p)


def test_check_gated_field():
    ch11.check_gated_field(ch11.gated_field_reference)
    ch11.check_gated_field(lambda L, k, shape, pixel, k0: gated_stack_field(L, k, shape, pixel, k0))
    from arlib.receptive import stack_field

    with pytest.raises(ExerciseError, match="misses|includes"):  # the option-1 field has a blind spot
        ch11.check_gated_field(lambda L, k, shape, pixel, k0: stack_field(L, k, shape, pixel, first_kernel_size=k0))


def test_check_reach_rows():
    ch11.check_reach_rows(lambda L, k, k0: k0 // 2 + (L - 1) * (k // 2))
    with pytest.raises(ExerciseError, match="k0 // 2"):
        ch11.check_reach_rows(lambda L, k, k0: L * (k // 2))


def test_check_leak_columns():
    ch11.check_leak_columns([-2, -1, 0, 1, 2])
    with pytest.raises(ExerciseError, match="itself"):
        ch11.check_leak_columns([-2, -1])


def test_check_marginal():
    m = small(n_classes=3)
    with torch.no_grad():
        m.V.weight.mul_(30)  # make the classes disagree, so that wrong answers differ from the truth
    x = torch.randint(0, 2, (2, 1, 7, 7)).double()
    ch11.check_marginal(lambda model, x: torch.logsumexp(model.log_joint(x), 1), m, x)
    with pytest.raises(ExerciseError, match="best class"):
        ch11.check_marginal(lambda model, x: model.log_joint(x).max(1).values, m, x)
    with pytest.raises(ExerciseError, match="averaged"):
        ch11.check_marginal(lambda model, x: (model.log_joint(x) - model.log_prior.log_softmax(0)).mean(1), m, x)


# ---- recipes ----
def test_recipes_build_the_book_models():
    from arlib import recipes

    r = recipes.get("gated_pixelcnn")
    m = r.build()
    assert r.SHAPE == "image" and not m.conditional
    assert sum(p.numel() for p in m.parameters()) == counting.gated_pixelcnn(16, 12, 3, 5) == 88_801
    rc = recipes.get("gated_pixelcnn_cond")
    mc = rc.build()
    assert mc.n_classes == 10 and mc.conditional
    assert math.isclose(mc.log_prior.exp().sum().item(), 1.0, rel_tol=1e-6)
    assert mc.log_prior.exp().max().item() < 0.12  # the training labels' frequencies, not all on one class


def test_check_bug_zoo():
    def leaks(model):
        try:
            assert_autoregressive(model, model.event_shape)
        except AutoregressiveViolation:
            return True
        return False

    buggy = GatedPixelCNN(**ch11.ZOO_CONFIG)
    buggy.blocks[0].v_conv.first = False
    buggy.blocks[0].v_conv.mask.copy_(vertical_mask(5, first=False))
    assert "6 specimens" in ch11.check_bug_zoo(buggy, leaks)
    half = GatedPixelCNN(**ch11.ZOO_CONFIG)
    half.blocks[0].v_conv.mask.copy_(vertical_mask(5, first=False))
    for model, fn, msg in [(GatedPixelCNN(**ch11.ZOO_CONFIG), leaks, "should keep the rows above and the centre row"),
                           (half, leaks, "first = False"),
                           (buggy, lambda m: True, "'the link cut \\(weights zero\\)' is autoregressive"),
                           (buggy, lambda m: False, "the first horizontal layer keeps the centre"),
                           (buggy, lambda m: None, "True or False")]:
        with pytest.raises(ExerciseError, match=msg):
            ch11.check_bug_zoo(model, fn)


# ---- dropout (the regularised 32-channel run) ----
def test_dropout_acts_in_training_only_and_keeps_the_model_autoregressive():
    assert_dropout_in_training_only(small(dropout=0.5), small(), torch.randint(0, 2, (3, 1, 7, 7)).double())
    with pytest.raises(ValueError, match="dropout"):
        small(dropout=1.0)
