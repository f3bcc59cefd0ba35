"""The blocked NADE evaluation (``_NADEFunction``) is exact: its logits and its hand-written backward
pass equal the plain running-sum loop and pass gradcheck, for every block size and a non-natural order."""
import pytest
import torch

from arlib.models import NADE
from arlib.models.nade import _NADEFunction, running_sum_logits

N, H = 13, 7
BLOCKS = [1, 2, 3, 5, 8, 13, 16]


def _params(dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    W, c, V, b = (torch.randn(*s, generator=g, dtype=dtype) for s in [(H, N), (H,), (N, H), (N,)])
    return [p.requires_grad_() for p in (W, c, V, b)]


def _x(B=6, dtype=torch.float64, seed=1):
    return (torch.rand(B, N, generator=torch.Generator().manual_seed(seed)) < 0.5).to(dtype)


@pytest.mark.parametrize("block", BLOCKS)
def test_values_and_gradients_equal_the_running_sum_loop(block):
    W, c, V, b = _params()
    x = _x().requires_grad_()
    fused, loop = _NADEFunction.apply(x, W, c, V, b, block), running_sum_logits(x, W, c, V, b)
    assert torch.allclose(fused, loop, atol=1e-12)
    g = torch.randn(fused.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    got = torch.autograd.grad((fused * g).sum(), [x, W, c, V, b])
    want = torch.autograd.grad((loop * g).sum(), [x, W, c, V, b])
    for name, a, w in zip(["x", "W", "c", "V", "b"], got, want):
        assert a.shape == w.shape and torch.allclose(a, w, atol=1e-11), f"gradient of {name} differs"


@pytest.mark.parametrize("block", BLOCKS)
def test_gradcheck(block):
    params = _params()
    x = _x(B=3).requires_grad_()
    assert torch.autograd.gradcheck(lambda *a: _NADEFunction.apply(*a, block), (x, *params))


@pytest.mark.parametrize("block", [1, 4, 5, 16])
def test_non_natural_order_through_the_model(block):
    order = torch.randperm(N, generator=torch.Generator().manual_seed(3)).tolist()
    m = NADE(N, H, order=order, block=block).double()
    with torch.no_grad():
        for p, q in zip(m.parameters(), _params(seed=4)):
            p.copy_(q)
    x = _x(B=5)
    fused, loop = m(x), m.forward_running_sum(x)
    assert torch.allclose(fused, loop, atol=1e-12)
    g1 = torch.autograd.grad(fused.sum(), list(m.parameters()))
    g2 = torch.autograd.grad(loop.sum(), list(m.parameters()))
    assert all(torch.allclose(a, w, atol=1e-11) for a, w in zip(g1, g2))
    params = tuple(p.detach().clone().requires_grad_() for p in m._ordered())
    xo = x[:, m.order].requires_grad_()
    assert torch.autograd.gradcheck(lambda *a: _NADEFunction.apply(*a, block), (xo, *params))


def test_float32_matches_float64_at_mnist_size():
    """In float32 (the training dtype) values and gradients stay at float32 round-off."""
    n, h, B = 784, 50, 4
    g = torch.Generator().manual_seed(0)
    P64 = [torch.randn(*s, generator=g, dtype=torch.float64) * k
           for s, k in [((h, n), n ** -0.5), ((h,), 1.0), ((n, h), h ** -0.5), ((n,), 1.0)]]
    x64 = (torch.rand(B, n, generator=g) < 0.3).double()
    out = {}
    for dt in (torch.float64, torch.float32):
        P = [p.to(dt).requires_grad_() for p in P64]
        lg = _NADEFunction.apply(x64.to(dt), *P, 8)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lg, x64.to(dt), reduction="sum")
        out[dt] = [lg.double()] + [q.double() for q in torch.autograd.grad(loss, P)]
    ref = running_sum_logits(x64, *P64)
    assert torch.allclose(out[torch.float64][0], ref, atol=1e-10)
    for a, w in zip(out[torch.float32], out[torch.float64]):
        assert (a - w).abs().max() <= 1e-5 * (1 + w.abs().max())


# ---- the fused likelihood gradient and the batch split over threads


@pytest.fixture
def threads():
    """Set torch's thread count for a test (the batch is split into one chunk per thread)."""
    old = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(old)


def _bce(logits, x, reduction):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction=reduction)


@pytest.mark.parametrize("nthreads", [1, 3])
@pytest.mark.parametrize("block", [1, 5, 16])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_likelihood_gradient_comes_from_the_forward_sweep_and_is_exact(threads, nthreads, block, reduction):
    threads(nthreads)
    W, c, V, b = _params()
    x = _x(B=30)                                              # 3 threads: chunks of 10 examples
    fused = _NADEFunction.apply(x, W, c, V, b, block, True)
    loop = running_sum_logits(x, W, c, V, b)
    assert torch.allclose(fused, loop, atol=1e-12)
    got = torch.autograd.grad(_bce(fused, x, reduction) / 7, [W, c, V, b])
    assert _NADEFunction.last_backward == "fused"
    want = torch.autograd.grad(_bce(loop, x, reduction) / 7, [W, c, V, b])
    for name, a, w in zip("WcVb", got, want):
        assert torch.allclose(a, w, atol=1e-12), f"gradient of {name} differs"


@pytest.mark.parametrize("loss", ["random weights", "per-example weights", "other target", "x needs grad"])
def test_any_other_loss_recomputes_and_is_exact(threads, loss):
    threads(2)
    W, c, V, b = _params()
    x = _x(B=20)
    if loss == "x needs grad":
        x.requires_grad_()
    fused, loop = _NADEFunction.apply(x, W, c, V, b, 4, True), running_sum_logits(x, W, c, V, b)
    g = torch.Generator().manual_seed(5)

    def L(lg):
        if loss == "random weights":
            return (lg * torch.randn(lg.shape, generator=g, dtype=lg.dtype)).sum()
        if loss == "per-example weights":
            return (_bce(lg, x, "none").sum(1) * torch.arange(1.0, 21, dtype=lg.dtype)).sum()
        if loss == "other target":
            return _bce(lg, 1 - x.detach(), "sum")
        return _bce(lg, x.detach(), "sum")

    inputs = [W, c, V, b] + ([x] if x.requires_grad else [])
    got = torch.autograd.grad(L(fused), inputs)
    assert _NADEFunction.last_backward == "recomputed"
    g = torch.Generator().manual_seed(5)
    want = torch.autograd.grad(L(loop), inputs)
    for a, w in zip(got, want):
        assert torch.allclose(a, w, atol=1e-11)


def test_results_do_not_depend_on_the_thread_count(threads):
    m = NADE(N, H, block=4).double()
    with torch.no_grad():
        for p, q in zip(m.parameters(), _params(seed=6)):
            p.copy_(q)
    x = _x(B=40)
    out = {}
    for t in (1, 2, 4):
        threads(t)
        with torch.no_grad():
            ev = m(x)
        lg = m(x)
        grads = torch.autograd.grad(_bce(lg, x, "sum"), list(m.parameters()))
        out[t] = [ev, lg.detach(), *grads]
    for t in (2, 4):
        assert all(torch.allclose(a, w, atol=1e-12) for a, w in zip(out[t], out[1]))
    assert torch.allclose(out[1][0], out[1][1], atol=1e-12)   # no_grad and grad paths: the same logits
