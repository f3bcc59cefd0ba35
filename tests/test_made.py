"""MADE: autoregressive for every mask, parameter count, the mask ensemble as a true mixture,
mask cycling in training, the fast sampler, MaskedLinear."""

import pytest
import torch

from arlib.layers import MaskedLinear
from arlib.lessons import counting
from arlib.models import MADE
from arlib.testing import assert_autoregressive


def _model(D=8, hidden=(16, 12), K=4, ordering="random", seed=0):
    m = MADE(D, list(hidden), num_masks=K, ordering=ordering, seed=seed).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.7)
    return m.eval()


def _all_binary(D):
    return torch.tensor([[(k >> j) & 1 for j in range(D)] for k in range(2**D)], dtype=torch.float64)


def test_random_orderings_differ_between_masks():
    m = _model(10, (20,), K=4)
    orders = []
    for k in range(4):
        m.set_mask(k)
        orders.append(m.order.clone())
    assert len({tuple(o.tolist()) for o in orders}) == 4


def test_autoregressive_at_mnist_size():
    m = MADE(784, [64, 64], num_masks=2, ordering="random").double().eval()
    for k in range(2):
        m.set_mask(k)
        assert_autoregressive(m, (784,), n_inputs=1)


@pytest.mark.parametrize("hidden", [[500], [500, 500], [3, 4, 5]])
def test_parameter_count(hidden):
    m = MADE(784, hidden)
    assert sum(p.numel() for p in m.parameters()) == counting.made(784, hidden)
    assert "layers.0.mask" not in m.state_dict()  # masks are buffers rebuilt from the seed
    if hidden == [500]:
        assert counting.made(784, hidden) == 785_284


def test_each_mask_is_a_normalised_distribution():
    m = _model(5, (9, 7), K=3)
    xs = _all_binary(5)
    for k in range(3):
        m.set_mask(k)
        lp = super(MADE, m).log_prob(xs)
        assert lp.exp().sum().item() == pytest.approx(1.0, abs=1e-12)


def test_ensemble_is_the_mean_of_the_per_mask_probabilities():
    m = _model(5, (9, 7), K=4)
    xs = _all_binary(5)
    per_mask = []
    for k in range(4):
        m.set_mask(k)
        p = torch.sigmoid(m(xs))
        per_mask.append(torch.where(xs == 1, p, 1 - p).prod(1))  # p_k(x), explicitly
    want = torch.stack(per_mask).mean(0)
    m.set_mask(2)
    got = m.log_prob(xs).exp()  # eval mode + ensemble=True: the mixture
    assert torch.allclose(got, want, rtol=1e-10)
    assert got.sum().item() == pytest.approx(1.0, abs=1e-12)  # a mixture is normalised
    assert m.mask_index == 2  # the ensemble puts the current mask back
    # averaging the logits instead is NOT this density (and is not even normalised)
    logits = []
    for k in range(4):
        m.set_mask(k)
        logits.append(m(xs))
    p = torch.sigmoid(torch.stack(logits).mean(0))
    avg_logit = torch.where(xs == 1, p, 1 - p).prod(1)
    assert not torch.allclose(avg_logit, want, rtol=1e-3)
    assert abs(avg_logit.sum().item() - 1.0) > 1e-6  # its "probabilities" do not sum to 1


def test_ensemble_subsets_and_single_mask():
    m = _model(6, (10,), K=4)
    xs = _all_binary(6)[:20]
    m.set_mask(0)
    assert torch.allclose(m.ensemble_log_prob(xs, 1), super(MADE, m).log_prob(xs))
    m.ensemble = False
    assert torch.allclose(m.log_prob(xs), super(MADE, m).log_prob(xs))
    with pytest.raises(ValueError, match="num_masks"):
        m.ensemble_log_prob(xs, 5)


def test_training_cycles_through_the_masks_and_forward_has_no_side_effect():
    m = _model(6, (10,), K=3).train()
    seen = []
    for step in range(6):
        m.on_train_step(step)                      # what fit calls before every gradient step
        m(torch.zeros(1, 6, dtype=torch.float64))
        seen.append(m.mask_index)
    assert seen == [0, 1, 2, 0, 1, 2]
    m(torch.zeros(1, 6, dtype=torch.float64))
    assert m.mask_index == 2


@pytest.mark.parametrize("ordering", ["natural", "random"])
def test_fast_sampler_draws_from_the_model(ordering):
    m = _model(4, (12, 8), K=2, ordering=ordering)
    m.ensemble = False
    for k in range(2):
        m.set_mask(k)
        x, p = m.sample(30, generator=torch.Generator().manual_seed(0), return_probs=True)
        assert torch.allclose(p, m.conditionals(x), atol=1e-12)  # the probabilities it drew from
    m.set_mask(1)
    xs = _all_binary(4)
    p_exact = super(MADE, m).log_prob(xs).exp()
    s = m.sample(20000, generator=torch.Generator().manual_seed(1))
    codes = (s * torch.tensor([1.0, 2, 4, 8], dtype=torch.float64)).sum(1).long()
    freq = torch.bincount(codes, minlength=16).double() / 20000
    assert torch.allclose(freq, p_exact, atol=0.015)
    assert m.mask_index == 1


def test_masked_linear():
    layer = MaskedLinear(3, 2)
    M = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    layer.set_mask(M)
    x = torch.randn(4, 3)
    assert torch.allclose(layer(x), x @ (layer.weight * M).T + layer.bias)
    layer(x).sum().backward()
    assert torch.all(layer.weight.grad[M == 0] == 0)  # masked weights get no gradient
    layer.eval()
    with torch.no_grad():
        y1 = layer(x)
        layer.weight.add_(1.0)  # the cached M * W must notice the change
        assert not torch.allclose(layer(x), y1)
    with pytest.raises(ValueError, match="shape"):
        layer.set_mask(torch.ones(3, 2))
    assert sum(p.numel() for p in layer.parameters()) == 3 * 2 + 2


def test_arguments():
    with pytest.raises(ValueError, match="ordering"):
        MADE(4, [3], ordering="backwards")
    with pytest.raises(ValueError, match="num_masks"):
        MADE(4, [3], num_masks=0)


# ---------------------------------------------------------------- exercise checkers (chapter 6)

from arlib.exercises import ExerciseError, ch06  # noqa: E402


def test_check_small_masks():
    ch06.check_small_masks([[1, 0, 0], [1, 1, 0]], [[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ExerciseError, match="transposed"):
        ch06.check_small_masks([[1, 1], [0, 1], [0, 0]], [[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ExerciseError, match=">="):
        ch06.check_small_masks([[0, 0, 0], [1, 0, 0]], [[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ExerciseError, match="strict|m\\^0\\(d\\) > m\\^1"):
        ch06.check_small_masks([[1, 0, 0], [1, 1, 0]], [[1, 0], [1, 1], [1, 1]])
    with pytest.raises(ExerciseError, match="0s and 1s"):
        ch06.check_small_masks([[2, 0, 0], [1, 1, 0]], [[0, 0], [1, 0], [1, 1]])


def _masks(degrees, out_op=torch.gt, hid_op=torch.ge, transpose=False):
    hidden = [hid_op(b[:, None], a[None, :]).float() for a, b in zip(degrees[:-1], degrees[1:])]
    out = hidden + [out_op(degrees[0][:, None], degrees[-1][None, :]).float()]
    return [m.T for m in out] if transpose else out


def test_check_masks_fn():
    ch06.check_masks_fn(_masks)
    with pytest.raises(ExerciseError, match="output mask uses >="):
        ch06.check_masks_fn(lambda d: _masks(d, out_op=torch.ge))
    with pytest.raises(ExerciseError, match="uses >;"):
        ch06.check_masks_fn(lambda d: _masks(d, hid_op=torch.gt))
    with pytest.raises(ExerciseError, match="transposed"):
        ch06.check_masks_fn(lambda d: _masks(d, transpose=True))
    with pytest.raises(ExerciseError, match="need"):
        ch06.check_masks_fn(lambda d: _masks(d)[:-1])


def test_check_ensemble():
    ch06.check_ensemble(ch06.ensemble_reference)
    with pytest.raises(ExerciseError, match="geometric"):
        ch06.check_ensemble(lambda lp: lp.mean(0))
    with pytest.raises(ExerciseError, match="subtract log K"):
        ch06.check_ensemble(lambda lp: torch.logsumexp(lp, 0))
    with pytest.raises(ExerciseError, match="underflows"):
        ch06.check_ensemble(lambda lp: lp.exp().mean(0).log())
    with pytest.raises(ExerciseError, match="shape"):
        ch06.check_ensemble(lambda lp: torch.logsumexp(lp, 1))


# ---------------------------------------------------------------- every ordering, every mask, any size

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from arlib.masks import made_masks, made_order  # noqa: E402
from arlib.testing import AutoregressiveViolation  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(D=st.integers(2, 10), hidden=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       ordering=st.sampled_from(["natural", "random"]), seed=st.integers(0, 2**32 - 1), K=st.integers(1, 3))
def test_autoregressive_for_any_size_ordering_seed_and_mask(D, hidden, ordering, seed, K):
    m = _model(D, hidden, K=K, ordering=ordering, seed=seed)
    for k in range(K):
        m.set_mask(k)
        assert torch.equal(m.order, made_order(D, ordering, seed + k))
        assert_autoregressive(m, (D,))


def test_the_autoregressive_test_catches_an_unmasked_output_layer():
    m = _model(6, (16,), K=1, ordering="random", seed=2)
    assert_autoregressive(m, (6,))
    m.layers[-1].set_mask(torch.ones_like(m.layers[-1].mask))  # every output sees every hidden unit
    with pytest.raises(AutoregressiveViolation):
        assert_autoregressive(m, (6,))


def test_made_refuses_masks_that_are_not_autoregressive(monkeypatch):
    """MADE checks every mask it draws: masks with >= at the output (a hidden unit of degree d
    feeding output d, so output d sees x_d) stop the model before it is ever used."""
    import arlib.models.made as made_module

    def wrong_masks(degrees, out=None):
        masks = made_masks(degrees, out)
        masks[-1] = (degrees[0][:, None] >= degrees[-1][None, :]).float()
        return masks

    monkeypatch.setattr(made_module, "made_masks", wrong_masks)
    with pytest.raises(ValueError, match="not autoregressive"):
        MADE(6, [10, 10], num_masks=2, ordering="random")


@settings(max_examples=25, deadline=None)
@given(D=st.integers(2, 6), hidden=st.lists(st.integers(1, 10), min_size=1, max_size=2),
       ordering=st.sampled_from(["natural", "random"]), seed=st.integers(0, 1000), K=st.integers(1, 5))
def test_ensemble_equals_the_explicit_mean_of_per_mask_probabilities(D, hidden, ordering, seed, K):
    m = _model(D, hidden, K=K, ordering=ordering, seed=seed)
    xs = _all_binary(D)
    per_mask = []
    for k in range(K):
        m.set_mask(k)
        p = torch.sigmoid(m(xs))                                   # p_k(x_d = 1 | ...) for every d
        per_mask.append(torch.where(xs == 1, p, 1 - p).prod(1))   # p_k(x) = prod_d p_k(x_d | x_<d)
    want = torch.stack(per_mask).mean(0)                           # (1/K) sum_k p_k(x)
    m.set_mask(K - 1)
    got = m.log_prob(xs).exp()
    assert torch.allclose(got, want, rtol=1e-10, atol=0)
    assert got.sum().item() == pytest.approx(1.0, abs=1e-12)
    assert torch.allclose(m.ensemble_log_prob(xs), want.log(), rtol=1e-10)


def test_mask_log_probs_rows_are_the_masks_own_densities_and_leave_the_state_alone():
    m = _model(6, (10,), K=3, ordering="random", seed=4)
    xs = _all_binary(6)[:20]
    m.set_mask(2)
    m.train()
    lps = m.mask_log_probs(xs)
    assert lps.shape == (3, 20)
    assert m.mask_index == 2 and m.training                      # what it found, it leaves
    for k in range(3):
        m.set_mask(k)
        assert torch.allclose(lps[k], super(MADE, m).log_prob(xs))
    assert torch.allclose(m.mask_log_probs(xs, 2), lps[:2])
    assert not torch.allclose(lps[0], lps[1])                     # different orderings differ
    with pytest.raises(ValueError, match="num_masks"):
        m.mask_log_probs(xs, 0)


def test_free_masked_entries_change_nothing_but_their_own_gradient():
    """``masked_entries_free``: same output and same gradients of everything that reaches the output;
    the masked entries get their unmasked gradient (no product, no exact zeros for Adam)."""
    torch.manual_seed(0)
    M = (torch.rand(5, 7) < 0.5).float()
    a, b = MaskedLinear(7, 5), MaskedLinear(7, 5)
    b.load_state_dict(a.state_dict())
    for layer in (a, b):
        layer.set_mask(M)
    b.masked_entries_free = True
    x = torch.randn(2, 3, 7, requires_grad=True)     # leading dims are flattened in the backward pass
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb)
    g = torch.randn(ya.shape)
    ga = torch.autograd.grad(ya, [x, a.weight, a.bias], g)
    gb = torch.autograd.grad(yb, [x, b.weight, b.bias], g)
    assert torch.allclose(ga[0], gb[0], atol=1e-6) and torch.allclose(ga[2], gb[2], atol=1e-6)
    assert torch.allclose(ga[1], gb[1] * M, atol=1e-6)
    assert torch.all(ga[1][M == 0] == 0) and torch.all(gb[1][M == 0] != 0)
    assert torch.equal(a.masked_weight(), b.masked_weight())
    b.set_mask(M)                                     # the same mask: still free
    assert b.masked_entries_free
    b.set_mask(1 - M)                                 # another mask: the masked entries come alive
    assert not b.masked_entries_free
    b.set_mask(M)
    b.masked_entries_free = True
    b.mask.copy_(1 - M)                               # a mask drawn into the buffer in place...
    b.set_mask(b.mask)                                # ...is taken as it is, and may have changed
    assert torch.equal(b.mask, 1 - M) and not b.masked_entries_free


@pytest.mark.parametrize("fused", [False, True])
def test_one_mask_made_trains_the_same_with_free_masked_entries(fused):
    assert all(layer.masked_entries_free for layer in MADE(9, [12], direct=True).masked_layers())
    assert not any(layer.masked_entries_free for layer in MADE(9, [12], num_masks=2).masked_layers())
    x = (torch.rand(16, 9, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    nets = [MADE(9, [12, 10], direct=True) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    for layer in nets[1].masked_layers():
        layer.masked_entries_free = False
    for net in nets:
        opt = torch.optim.Adam(net.parameters(), lr=1e-2, fused=fused)
        for _ in range(5):
            opt.zero_grad()
            (-net.log_prob(x).mean()).backward()
            opt.step()
    for la, lb in zip(nets[0].masked_layers(), nets[1].masked_layers()):
        assert torch.allclose(la.masked_weight(), lb.masked_weight(), atol=1e-5)
    assert torch.allclose(nets[0].log_prob(x), nets[1].log_prob(x), atol=1e-4)
    # a state dict gives the same model back
    again = MADE(9, [12, 10], direct=True)
    again.load_state_dict(nets[0].state_dict())
    assert torch.equal(again.log_prob(x), nets[0].log_prob(x))
