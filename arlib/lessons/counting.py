"""Exact parameter counts of every factorisation in the lecture, as Python ints.

Every function returns a Python ``int`` (arbitrary precision), so ``tabular(784)`` is the exact
2**784 - 1 (a 237-digit number) with no float overflow.  Counts are of *free* parameters: a
Bernoulli (d = 2) has one, a categorical distribution over d values has d - 1.

Symbols are the lecture's: n variables x_1, ..., x_n, each taking d values; k the size of the
Markov window; |h| the number of values of a discrete latent variable; H hidden units.

The functions with an arlib model are tied to it by ``tests/test_counting.py``:
``counting.fvsbn(n) == sum(p.numel() for p in FVSBN(n).parameters())`` for several n, and so on.
Chapters that add a model append its count at the end of this file.
"""
from __future__ import annotations

import operator
from typing import Sequence

__all__ = ["tabular", "markov", "latent", "fvsbn", "nade", "made"]


def _check_int(name: str, value: int, minimum: int) -> int:
    """``value`` as a Python int (NumPy ints are fine), or a TypeError/ValueError naming it."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got a bool ({value!r})")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def tabular(n: int, d: int = 2) -> int:
    """Free parameters of a full table over n variables with d values each: d**n - 1.

    The lecture's derivation through the chain rule
    p(x_1, ..., x_n) = p(x_1) p(x_2 | x_1) ... p(x_n | x_1, ..., x_{n-1}):
    the factor p(x_i | x_<i) needs one distribution (d - 1 free numbers) for each of the
    d**(i-1) values of x_<i, so in all

        sum_{i=1}^{n} (d - 1) d**(i-1) = d**n - 1,

    for d = 2 the lecture's 1 + 2 + ... + 2**(n-1) = 2**n - 1.  It equals the count of a table
    of the joint distribution (d**n probabilities that sum to one): the chain rule alone buys
    nothing.
    """
    n = _check_int("n", n, 1)
    d = _check_int("d", d, 2)
    return d**n - 1


def markov(n: int, k: int, d: int = 2, exact: bool = False) -> int:
    """Free parameters when x_i depends only on the k variables before it, x_{[i-k:i-1]}.

    ``exact=False`` gives the lecture's count d**k (d - 1) n: every one of the n conditionals
    is a table with d**k contexts of d - 1 free numbers each.  That over-counts: the first k
    variables have fewer than k predecessors (x_1 has none), so ``exact=True`` counts
    x_i with min(i - 1, k) parents:

        sum_{i=1}^{n} (d - 1) d**min(i-1, k) = (d**m - 1) + (n - m) d**k (d - 1),  m = min(k, n),

    which is d**n - 1 (the full table) when k >= n - 1, and n (d - 1) (independent variables)
    when k = 0.
    """
    n = _check_int("n", n, 1)
    k = _check_int("k", k, 0)
    d = _check_int("d", d, 2)
    if not exact:
        return d**k * (d - 1) * n
    m = min(k, n)
    return (d**m - 1) + (n - m) * d**k * (d - 1)


def latent(n: int, h: int, d: int = 2, include_prior: bool = True) -> int:
    """Free parameters of p(x) = sum_z p(z) prod_i p(x_i | z) with a latent z of |h| values.

    Given z the n variables are independent, so each of the |h| values of z needs n
    distributions of d - 1 free numbers: the lecture's |h| (d - 1) n.  The prior p(z) over
    |h| values adds |h| - 1 more (``include_prior=True``; the lecture leaves it out).
    This is a mixture of |h| product distributions (for d = 2, a mixture of Bernoullis).
    """
    n = _check_int("n", n, 1)
    h = _check_int("h", h, 1)
    d = _check_int("d", d, 2)
    return h * (d - 1) * n + ((h - 1) if include_prior else 0)


def fvsbn(n: int) -> int:
    """Parameters of FVSBN (logistic-regression conditionals): n (n + 1) / 2.

    p(x_i = 1 | x_<i) = sigma(theta_i^T [1, x_<i]): theta_i has i entries, a bias and
    i - 1 weights, so in all 1 + 2 + ... + n = n (n + 1) / 2, about n**2 / 2
    (307,720 for n = 784).  ``arlib.models.FVSBN`` stores exactly these.
    """
    n = _check_int("n", n, 1)
    return n * (n + 1) // 2


def nade(n: int, H: int) -> int:
    """Parameters of NADE with H hidden units: W (H x n), c (H), V (n x H), b (n) = 2nH + H + n.

    The hidden layer h_i = sigma(W_{:, <i} x_<i + c) shares one matrix W among all n
    conditionals, and p(x_i = 1 | x_<i) = sigma(V_i h_i + b_i): O(nH) instead of FVSBN's O(n**2).
    (The last column of W is never used by any conditional; the count includes it, as the
    model stores it.)
    """
    n = _check_int("n", n, 1)
    H = _check_int("H", H, 1)
    return 2 * n * H + H + n


def made(n: int, hidden: Sequence[int]) -> int:
    """Parameters of MADE: a dense MLP n -> hidden[0] -> ... -> hidden[-1] -> n, with biases.

    Each layer from a units to b units stores an a x b weight matrix and b biases; the masks
    zero some weights but the model stores (and this counts) the full matrices.  With one
    hidden layer of H units this is n H + H + H n + n = 2nH + H + n, the same as NADE.
    """
    n = _check_int("n", n, 1)
    sizes = [n, *[_check_int(f"hidden[{j}]", h, 1) for j, h in enumerate(hidden)], n]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


# Chapters append the counts of their models below (one function each, added to __all__).


def pixelrnn(H: int, num_layers: int = 1, cell: str = "lstm") -> int:
    """Parameters of ``arlib.models.PixelRNN`` (chapter 7): a gated RNN over the pixels, input size 1.

    Each layer has g gates (g = 4 for an LSTM, 3 for a GRU), each an H x (inputs + H) weight
    matrix and two bias vectors (PyTorch's b_ih and b_hh): g H (inputs + H + 2); inputs = 1 for
    the first layer, H above.  Plus the learned initial summary b_0 (h_0, and c_0 for an LSTM,
    per layer) and the output layer W_hy, c (H + 1).  None of it depends on the number of pixels n.
    """
    H = _check_int("H", H, 1)
    L = _check_int("num_layers", num_layers, 1)
    if cell not in ("lstm", "gru"):
        raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
    g, states = (4, 2) if cell == "lstm" else (3, 1)
    return g * H * (1 + H + 2) + (L - 1) * g * H * (2 * H + 2) + states * L * H + H + 1


__all__ += ["pixelrnn"]


def pixelcnn(in_channels: int = 1, channels: int = 64, n_layers: int = 8, kernel_size: int = 3,
             first_kernel_size: int | None = None, head_channels: int | None = None, num_values: int = 2) -> int:
    """Parameters of ``arlib.models.PixelCNN`` (option 1: a type-A k1 x k1 layer, n_layers - 1
    type-B k x k layers, then two 1 x 1 layers), C = in_channels, h = channels, h' = head_channels:

        (C k1^2 h + h) + (n_layers - 1)(h^2 k^2 + h) + (h h' + h') + (h' o + o),

    with o = C outputs for binary images (one logit each) or C K for K values (a softmax each).
    The masks zero about half of every kernel, but the model stores (and this counts) full kernels;
    the colour groups change the masks, not the count.
    """
    C = _check_int("in_channels", in_channels, 1)
    h = _check_int("channels", channels, 1)
    L = _check_int("n_layers", n_layers, 1)
    k = _check_int("kernel_size", kernel_size, 1)
    k1 = k if first_kernel_size is None else _check_int("first_kernel_size", first_kernel_size, 1)
    hh = h if head_channels is None else _check_int("head_channels", head_channels, 1)
    K = _check_int("num_values", num_values, 2)
    o = C if K == 2 else C * K
    return (C * k1 * k1 * h + h) + (L - 1) * (h * h * k * k + h) + (h * hh + hh) + (hh * o + o)


__all__ += ["pixelcnn"]


def gated_pixelcnn(channels: int = 32, n_layers: int = 8, kernel_size: int = 3, first_kernel_size: int | None = None,
                   skip_channels: int | None = None, head_channels: int | None = None,
                   n_classes: int | None = None) -> int:
    """Parameters of ``arlib.models.GatedPixelCNN`` (chapter 11), p = channels, s = skip_channels,
    h' = head_channels, L = n_layers, k0 = first_kernel_size, k = kernel_size.

    A layer reading C channels stores a vertical k x k convolution and a horizontal 1 x k one, each
    to the 2p pre-activations of a gate (2p C k^2 + 2p and 2p C k + 2p), the 1 x 1 link from the
    vertical to the horizontal stack (4p^2 + 2p), the residual 1 x 1 (p^2 + p) and the skip 1 x 1
    (s p + s).  The first layer reads the image (C = 1, k0), the others C = p.  The head adds
    (s h' + h') + (h' + 1); a class-conditional model adds V, n_classes x L x 4p (V_f^T y and
    V_g^T y for both stacks of every layer).  Full kernels are counted, masked taps included.
    """
    p = _check_int("channels", channels, 1)
    L = _check_int("n_layers", n_layers, 1)
    k = _check_int("kernel_size", kernel_size, 1)
    k0 = k if first_kernel_size is None else _check_int("first_kernel_size", first_kernel_size, 1)
    s = p if skip_channels is None else _check_int("skip_channels", skip_channels, 1)
    hh = p if head_channels is None else _check_int("head_channels", head_channels, 1)

    def layer(C: int, kk: int) -> int:
        return (2 * p * C * kk * kk + 2 * p) + (2 * p * C * kk + 2 * p) + (4 * p * p + 2 * p) + (p * p + p) + (s * p + s)

    total = layer(1, k0) + (L - 1) * layer(p, k) + (s * hh + hh) + (hh + 1)
    if n_classes is not None:
        total += _check_int("n_classes", n_classes, 2) * L * 4 * p
    return total


__all__ += ["gated_pixelcnn"]
