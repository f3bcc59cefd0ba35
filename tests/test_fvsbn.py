"""FVSBN: autoregressive, parameter count, evaluation, sampling, order, checkpoint round trip."""
import math

import pytest
import torch

from arlib.lessons import counting
from arlib.models import FVSBN
from arlib.sampling import ancestral_sample
from arlib.testing import assert_autoregressive


def _random_model(n, order=None, seed=0, dtype=torch.float32):
    m = FVSBN(n, order=order).to(dtype)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        m.b.copy_(torch.randn(n, generator=g))
        m.w.copy_(torch.randn(m.w.shape, generator=g))
    return m


def test_autoregressive_at_mnist_size():
    # float64: in float32 a batched and a one-row matmul round differently (~1e-5 at |logit| ~ 50),
    # which the perturbation test would read as a dependence
    order = torch.randperm(784, generator=torch.Generator().manual_seed(1))
    assert_autoregressive(_random_model(784, order=order, dtype=torch.float64), (784,), n_inputs=1)


@pytest.mark.parametrize("n", [1, 3, 10, 784])
def test_parameter_count_is_n_n_plus_1_over_2(n):
    assert sum(p.numel() for p in FVSBN(n).parameters()) == counting.fvsbn(n) == n * (n + 1) // 2


def test_mask_and_W_are_strictly_lower_triangular_in_the_order():
    order = torch.tensor([2, 0, 3, 1])
    m = _random_model(4, order)
    P = m.mask[order][:, order]  # rows and columns in generation order
    assert torch.equal(P, torch.tril(torch.ones(4, 4), -1))
    assert torch.equal(m.W != 0, m.mask.bool())
    assert not m.mask.requires_grad and "mask" not in m.state_dict()  # a buffer, not saved


def test_theta_i_has_i_entries_and_gives_the_conditional():
    order = [2, 0, 3, 1]
    m = _random_model(4, order, dtype=torch.float64)
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
    logits = m(x)
    for k, i in enumerate(order):
        th = m.theta(i)
        assert th.shape == (k + 1,)
        feats = torch.cat([torch.ones(1, dtype=torch.float64), x[0, order[:k]]])
        assert torch.allclose(th @ feats, logits[0, i])


def test_log_prob_equals_the_sequential_product():
    m = _random_model(6, [5, 4, 3, 2, 1, 0], dtype=torch.float64)
    x = torch.randint(0, 2, (8, 6), generator=torch.Generator().manual_seed(0)).double()
    lp = torch.zeros(8, dtype=torch.float64)
    for i in m.order.tolist():
        p = torch.sigmoid(m(x * (m.mask[i] > 0))[:, i])  # only x_<i visible
        lp += torch.log(torch.where(x[:, i] == 1, p, 1 - p))
    assert torch.allclose(m.log_prob(x), lp)


def test_log_prob_is_a_distribution():
    m = _random_model(5)
    xs = torch.tensor([[(v >> j) & 1 for j in range(5)] for v in range(32)], dtype=torch.float32)
    assert math.isclose(m.log_prob(xs).exp().sum().item(), 1.0, rel_tol=1e-5)


def test_zero_model_is_uniform():
    x = torch.randint(0, 2, (3, 784)).float()
    assert torch.allclose(FVSBN(784).log_prob(x), torch.full((3,), -784 * math.log(2)))


def test_incremental_sampler_matches_the_generic_one():
    m = _random_model(12, torch.randperm(12, generator=torch.Generator().manual_seed(3)), dtype=torch.float64)
    x1, p1 = m.sample(64, generator=torch.Generator().manual_seed(0), return_probs=True)
    x2, p2 = ancestral_sample(m, 64, generator=torch.Generator().manual_seed(0), return_probs=True)
    assert torch.equal(x1, x2) and torch.allclose(p1, p2)
    # the recorded probabilities are the model's conditionals given the sample
    assert torch.allclose(p1, m.conditionals(x1))


def test_sampling_frequencies_match_the_model():
    m = _random_model(3, [1, 2, 0], seed=2)
    x = m.sample(40_000, generator=torch.Generator().manual_seed(0))
    values = (x * torch.tensor([1.0, 2.0, 4.0])).sum(1).long()
    freq = torch.bincount(values, minlength=8).float() / len(values)
    xs = torch.tensor([[(v >> j) & 1 for j in range(3)] for v in range(8)], dtype=torch.float32)
    assert torch.allclose(freq, m.log_prob(xs).exp(), atol=0.01)


def test_sample_shapes_and_errors():
    m = FVSBN(10)
    assert m.sample(3).shape == (3, 10)
    with pytest.raises(ValueError, match="positive int"):
        m.sample(0)
    with pytest.raises(ValueError, match="order must be a permutation"):
        FVSBN(4, order=[0, 1, 1, 2])
    with pytest.raises(ValueError, match="binary"):
        m.log_prob(torch.full((1, 10), 0.5))
    with pytest.raises(ValueError, match="expects a batch of shape"):
        m.log_prob(torch.zeros(1, 11))


def test_gradients_flow_only_to_free_parameters():
    m = _random_model(5)
    m.log_prob(torch.ones(2, 5)).sum().backward()
    assert m.w.grad.shape == (10,) and m.b.grad.shape == (5,)
    assert torch.all(m.w.grad != 0)  # every stored weight is used


def test_recipe_builds_the_book_model():
    from arlib import recipes

    r = recipes.get("fvsbn")
    m = r.build()
    assert isinstance(m, FVSBN) and m.D == 784 and r.SHAPE == "flat"
    assert r.SHORT["epochs"] <= r.FULL["epochs"]


# ---- the chapter-3 exercise checkers
def _good_log_prob(x, b, W_full, order):
    n = len(order)
    pos = torch.empty(n, dtype=torch.long)
    pos[order] = torch.arange(n)
    W = W_full * (pos[None, :] < pos[:, None])
    logits = x @ W.T + b
    return (x * torch.nn.functional.logsigmoid(logits) + (1 - x) * torch.nn.functional.logsigmoid(-logits)).sum(1)


def test_ch03_log_prob_checker():
    from arlib.exercises import ExerciseError, ch03

    ch03.check_log_prob(_good_log_prob)
    with pytest.raises(ExerciseError, match="negative log-likelihood"):
        ch03.check_log_prob(lambda *a: -_good_log_prob(*a))
    with pytest.raises(ExerciseError, match="without a mask"):
        ch03.check_log_prob(lambda x, b, W, o: _good_log_prob(x, b, W, o) * 0 + ch03._bernoulli_log_prob(x @ W.T + b, x))
    with pytest.raises(ExerciseError, match="lower-triangular in pixel indices"):
        ch03.check_log_prob(lambda x, b, W, o: _good_log_prob(x, b, W, torch.arange(len(o))))
    with pytest.raises(ExerciseError, match="one log-probability per row"):
        ch03.check_log_prob(lambda *a: _good_log_prob(*a).sum())


def _good_sampler(b, W, order, u, flip=False):
    logits = b.expand(u.shape[0], -1).clone()
    x = torch.zeros_like(u)
    for i in order.tolist():
        p = torch.sigmoid(logits[:, i])
        x[:, i] = ((u[:, i] > p) if flip else (u[:, i] < p)).double()
        logits += x[:, i : i + 1] * W[:, i]
    return x


def test_ch03_sampler_checker():
    from arlib.exercises import ExerciseError, ch03

    ch03.check_sampler(_good_sampler)
    with pytest.raises(ExerciseError, match="flipped"):
        ch03.check_sampler(lambda b, W, o, u: _good_sampler(b, W, o, u, flip=True))
    with pytest.raises(ExerciseError, match="first differ at step"):
        ch03.check_sampler(lambda b, W, o, u: _good_sampler(b, W, torch.arange(len(o)), u))
    with pytest.raises(ExerciseError, match="0 or 1"):
        ch03.check_sampler(lambda b, W, o, u: u)


# ---- the sampling explorer's Python side
def test_sampling_explorer():
    from arlib.widgets import SamplingExplorer

    m = _random_model(12, torch.randperm(12, generator=torch.Generator().manual_seed(0)))
    x, p = m.sample(3, generator=torch.Generator().manual_seed(1), return_probs=True)
    w = SamplingExplorer(x, p, order=m.order, shape=(3, 4), n_show=2)
    assert len(w.x) == 2 and len(w.probs[0]) == 12 and w.order == m.order.tolist()
    r = w.readout(5)
    i = int(m.order[5])
    assert r == {"step": 5, "pixel": i, "row": i // 4, "col": i % 4, "p": round(float(p[0, i]), 5),
                 "value": int(x[0, i])}
    assert SamplingExplorer.expected_readout(w.get_state(), {"step": 5}) == r
    frames = w.frames([0, 11])
    assert frames[0][0].shape == (2, 3, 4) and torch.isnan(torch.as_tensor(frames[0][0])).sum() == 2 * 11
    assert not torch.isnan(torch.as_tensor(frames[1][1])).any()
    w2 = SamplingExplorer.from_model(m, n_show=2, shape=(3, 4))
    assert len(w2.x) == 2
    with pytest.raises(ValueError, match="permutation"):
        SamplingExplorer(x, p, order=[0] * 12, shape=(3, 4))
    with pytest.raises(ValueError, match="multiple of 25"):
        SamplingExplorer(x, p, shape=(5, 5))
    with pytest.raises(ValueError, match="binary"):
        SamplingExplorer(p, p, shape=(3, 4))
    with pytest.raises(ValueError, match="n_show"):
        SamplingExplorer(x, p, shape=(3, 4), n_show=4)
