"""NADE: the fused O(nH) evaluation equals the running-sum loop and the naive O(n^2 H) formula
(values and gradients), autoregressive in its order, parameter count, sampling."""
import math

import pytest
import torch

from arlib.lessons import counting
from arlib.models import NADE
from arlib.models.nade import _NADEFunction
from arlib.testing import assert_autoregressive


def _model(n=12, H=7, order=None, block=16, seed=0):
    m = NADE(n, H, order=order, block=block).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return m


def naive_logits(x, W, c, V, b):
    """The definition, one conditional at a time: O(n^2 H)."""
    out = []
    for i in range(x.shape[1]):
        h = torch.sigmoid(c + x[:, :i] @ W[:, :i].T)
        out.append(b[i] + h @ V[i])
    return torch.stack(out, 1)


@pytest.mark.parametrize("block", [1, 2, 5, 16, 100])
@pytest.mark.parametrize("random_order", [False, True])
def test_fused_equals_running_sum_and_naive_values_and_gradients(block, random_order):
    n = 12
    order = torch.randperm(n, generator=torch.Generator().manual_seed(3)).tolist() if random_order else None
    m = _model(n, order=order, block=block)
    x = (torch.rand(9, n, generator=torch.Generator().manual_seed(1)) < 0.5).double().requires_grad_()
    fused, loop = m(x), m.forward_running_sum(x)
    W, c, V, b = m._ordered()
    o = m.order
    naive = torch.empty_like(fused)
    naive[:, o] = naive_logits(x[:, o], W, c, V, b)
    assert torch.allclose(fused, loop, atol=1e-12) and torch.allclose(fused, naive, atol=1e-12)
    g = torch.randn(fused.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    params = [x, *m.parameters()]
    g_fused = torch.autograd.grad((fused * g).sum(), params)
    g_naive = torch.autograd.grad((naive * g).sum(), params)
    for name, a, b_ in zip(["x", "W", "c", "V", "b"], g_fused, g_naive):
        assert torch.allclose(a, b_, atol=1e-10), f"gradient of {name} differs"


def test_gradcheck_of_the_hand_written_backward():
    m = _model(6, 3, block=4)
    x = (torch.rand(3, 6, generator=torch.Generator().manual_seed(0)) < 0.5).double().requires_grad_()
    params = tuple(p.detach().clone().requires_grad_() for p in m.parameters())
    assert torch.autograd.gradcheck(lambda x, W, c, V, b: _NADEFunction.apply(x, W, c, V, b, 4), (x, *params))


def test_log_likelihood_by_hand():
    m = _model(5, 2)
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0, 0.0]], dtype=torch.float64)
    with torch.no_grad():
        p = torch.sigmoid(naive_logits(x, m.W, m.c, m.V, m.b))[0]
    want = sum(math.log(p[i] if x[0, i] == 1 else 1 - p[i]) for i in range(5))
    assert m.log_prob(x).item() == pytest.approx(want, rel=1e-12)


def test_autoregressive_at_mnist_size():
    m = NADE(784, 20).double()
    assert_autoregressive(m, (784,), n_inputs=1)


@pytest.mark.parametrize("n, H", [(1, 1), (5, 3), (784, 500)])
def test_parameter_count(n, H):
    m = NADE(n, H)
    assert sum(p.numel() for p in m.parameters()) == counting.nade(n, H) == 2 * n * H + H + n
    assert (m.W.shape, m.c.shape, m.V.shape, m.b.shape) == ((H, n), (H,), (n, H), (n,))


@pytest.mark.parametrize("order", [None, [2, 0, 3, 1, 4]])
def test_sampling_probs_are_the_models_conditionals(order):
    m = _model(5, 4, order=order)
    x, p = m.sample(50, generator=torch.Generator().manual_seed(0), return_probs=True)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(p, m.conditionals(x), atol=1e-12)
    x2 = m.sample(50, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)


def test_sampling_matches_the_exact_distribution():
    m = _model(3, 4, seed=5)
    xs = torch.tensor([[(k >> j) & 1 for j in range(3)] for k in range(8)], dtype=torch.float64)
    p_exact = m.log_prob(xs).exp()
    assert p_exact.sum().item() == pytest.approx(1.0, abs=1e-12)  # a normalised distribution
    s = m.sample(20000, generator=torch.Generator().manual_seed(1))
    codes = (s * torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)).sum(1).long()
    freq = torch.bincount(codes, minlength=8).double() / 20000
    assert torch.allclose(freq, p_exact, atol=0.015)


def test_input_checks_and_arguments():
    with pytest.raises(ValueError, match="0 or 1"):
        NADE(4, 2).log_prob(torch.full((1, 4), 0.5))
    with pytest.raises(ValueError, match="permutation"):
        NADE(3, 2, order=[0, 0, 1])
    with pytest.raises(ValueError, match="H and block"):
        NADE(3, 0)
    with pytest.raises(ValueError, match="positive int"):
        NADE(3, 2).sample(0)


# ---------------------------------------------------------------- exercise checkers (chapter 5)

from arlib.exercises import ExerciseError, ch05  # noqa: E402


def test_check_break_even():
    ch05.check_break_even(195)
    with pytest.raises(ExerciseError, match="not smaller"):
        ch05.check_break_even(196)
    with pytest.raises(ExerciseError, match="break-even"):
        ch05.check_break_even(150)
    with pytest.raises(ExerciseError, match="whole number"):
        ch05.check_break_even(195.6)


def test_check_running_sum_backward():
    ch05.check_running_sum_backward(ch05.running_sum_backward_reference)
    ref = ch05.running_sum_backward_reference

    def after(delta, inclusive=False):  # sum of delta_i over i > j (or i >= j)
        s = delta.flip(1).cumsum(1).flip(1)
        return s if inclusive else s - delta

    mistakes = {
        "included delta_j": lambda x, d: (torch.einsum("bjh,bj->hj", after(d, True), x), d.sum((0, 1))),
        "before": lambda x, d: (torch.einsum("bjh,bj->hj", d.cumsum(1) - d, x), d.sum((0, 1))),
        "multiply by x_j": lambda x, d: (after(d).sum(0).T, d.sum((0, 1))),
        "averaged": lambda x, d: (ref(x, d)[0] / x.shape[0], ref(x, d)[1]),
        "transposed": lambda x, d: (ref(x, d)[0].T, ref(x, d)[1]),
        "sum over the batch": lambda x, d: (torch.einsum("bjh,bj->bhj", after(d), x), ref(x, d)[1]),
        "every a_i": lambda x, d: (ref(x, d)[0], d[:, 0].sum(0)),
        "pair": lambda x, d: ref(x, d)[0],
        "raised": lambda x, d: 1 / 0,
    }
    for message, fn in mistakes.items():
        with pytest.raises(ExerciseError, match=message):
            ch05.check_running_sum_backward(fn)


def test_running_sum_backward_reference_is_nades_gradient():
    m = ch05.random_nade(7, 4, seed=2)
    x = torch.randint(0, 2, (5, 7), generator=torch.Generator().manual_seed(0)).double()
    m.log_prob(x).sum().backward()
    with torch.no_grad():
        steps = x[:, :, None] * m.W.T
        h = torch.sigmoid(m.c + steps.cumsum(1) - steps)                 # h_i = sigma(c + W[:, <i] x_<i)
        x_hat = torch.sigmoid((h * m.V).sum(-1) + m.b)
        delta = (x - x_hat)[:, :, None] * m.V * h * (1 - h)              # d log p / d a_i
        grad_W, grad_c = ch05.running_sum_backward_reference(x, delta)
    assert torch.allclose(grad_W, m.W.grad) and torch.allclose(grad_c, m.c.grad)
    assert torch.all(grad_W[:, -1] == 0)                                  # the last column is never used


def _logits_inclusive(x, W, c, V, b):
    a = c.expand(x.shape[0], -1)
    out = []
    for i in range(x.shape[1]):
        a = a + x[:, i:i + 1] * W[:, i]
        out.append(torch.sigmoid(a) @ V[i] + b[i])
    return torch.stack(out, 1)


def test_check_running_sum():
    ch05.check_running_sum(ch05.running_sum_reference)
    with pytest.raises(ExerciseError, match="used x_i itself"):
        ch05.check_running_sum(_logits_inclusive)
    with pytest.raises(ExerciseError, match="hidden bias c"):
        ch05.check_running_sum(lambda x, W, c, V, b: ch05.running_sum_reference(x, W, torch.zeros_like(c), V, b))
    with pytest.raises(ExerciseError, match="probabilities"):
        ch05.check_running_sum(lambda *a: torch.sigmoid(ch05.running_sum_reference(*a)))
    with pytest.raises(ExerciseError, match="shape"):
        ch05.check_running_sum(lambda *a: ch05.running_sum_reference(*a).T)
    with pytest.raises(ExerciseError, match="raised"):
        ch05.check_running_sum(lambda *a: 1 / 0)


def test_check_completion():
    ch05.check_completion(ch05.complete_reference)

    def overwrites(model, x_top, g):
        x, p = ch05.complete_reference(model, x_top, g)
        x[:, 0] = 1 - x[:, 0]
        return x, p

    with pytest.raises(ExerciseError, match="first k pixels changed"):
        ch05.check_completion(overwrites)

    def stale_sum(model, x_top, g):  # never updates the running sum after the given pixels
        B, k = x_top.shape
        x = torch.zeros(B, model.D, dtype=x_top.dtype)
        x[:, :k] = x_top
        a = model.c + x_top @ model.W[:, :k].T
        probs = torch.zeros_like(x)
        for i in range(k, model.D):
            p = torch.sigmoid(torch.sigmoid(a) @ model.V[i] + model.b[i]).detach()
            x[:, i] = (torch.rand(B, generator=g, dtype=x.dtype) < p).to(x.dtype)
            probs[:, i] = p
        return x, probs

    with pytest.raises(ExerciseError, match="running sum"):
        ch05.check_completion(stale_sum)
    with pytest.raises(ExerciseError, match="pair"):
        ch05.check_completion(lambda m, x, g: ch05.complete_reference(m, x, g)[0])


# ---------------------------------------------------------------- naive O(n^2 H) = O(nH), any size and order

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 20), H=st.integers(1, 9), block=st.integers(1, 25), seed=st.integers(0, 10_000),
       data=st.data())
def test_naive_and_running_sum_give_the_same_log_likelihood(n, H, block, seed, data):
    order = data.draw(st.one_of(st.none(), st.permutations(range(n))), label="order")
    m = _model(n, H, order=None if order is None else list(order), block=block, seed=seed)
    x = (torch.rand(6, n, generator=torch.Generator().manual_seed(seed)) < 0.5).double()
    W, c, V, b = m._ordered()
    naive = torch.empty(6, n, dtype=torch.float64)
    naive[:, m.order] = naive_logits(x[:, m.order], W, c, V, b)
    with torch.no_grad():
        ll_naive = m.log_prob_from_logits(naive, x)
        ll = m.log_prob(x)                                   # the fused O(nH) forward
        ll_loop = m.log_prob_from_logits(m.forward_running_sum(x), x)
    assert torch.allclose(ll, ll_naive, rtol=1e-12, atol=1e-10)
    assert torch.allclose(ll_loop, ll_naive, rtol=1e-12, atol=1e-10)
