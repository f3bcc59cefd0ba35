"""The lecture's NumPy LinearSigmoidLayer, the finite-difference checker, and the torch twin."""
import numpy as np
import pytest
import torch

from arlib.exercises import ExerciseError, ch04
from arlib.lessons.autodiff import (
    LinearSigmoidLayer,
    NumpySequential,
    gradient_check,
    numerical_gradient,
    parameter_names,
    relative_error,
    to_torch,
)


def _data(seed=0, B=4, D=5, H=3):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(B, D)), rng.normal(size=(B, H))


def test_forward_is_sigmoid_of_xW():
    rng, x, _ = _data()
    layer = LinearSigmoidLayer(5, 3, rng=rng)
    y = layer.forward(x)
    assert y.shape == (4, 3)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x @ layer.W)))
    assert parameter_names(layer) == ["W"]


def test_seeded_init_and_scale():
    a = LinearSigmoidLayer(784, 10, rng=np.random.default_rng(1))
    b = LinearSigmoidLayer(784, 10, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.W, b.W)
    c = LinearSigmoidLayer(784, 10, rng=np.random.default_rng(1), init_std=0.01)
    np.testing.assert_allclose(c.W, 0.01 * a.W)
    assert abs(a.W.std() - 1) < 0.05


def test_backward_matches_autograd():
    rng, x, g = _data(1)
    layer = LinearSigmoidLayer(5, 3, rng=rng)
    layer.forward(x)
    grad_in = layer.backward(g)
    W = torch.tensor(layer.W, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    torch.sigmoid(xt @ W).backward(torch.tensor(g))
    assert relative_error(layer.W_grad, W.grad) < 1e-12
    assert relative_error(grad_in, xt.grad) < 1e-12


def test_gradient_check_is_tiny_for_the_lecture_layer():
    rng, x, g = _data(2)
    layer = LinearSigmoidLayer(5, 3, rng=rng)
    errors = gradient_check(layer, x, g)
    assert set(errors) == {"x", "W"}
    assert max(errors.values()) < 1e-7


def test_gradient_check_catches_a_wrong_backward():
    class Wrong(LinearSigmoidLayer):
        def backward(self, grad_out):  # forgets the sigmoid's derivative y(1 - y)
            self.W_grad = self.x.T @ grad_out
            return grad_out @ self.W.T

    rng, x, g = _data(3)
    errors = gradient_check(Wrong(5, 3, rng=rng), x, g)
    assert errors["W"] > 0.1 and errors["x"] > 0.1


def test_numerical_gradient_of_a_quadratic_and_restores_input():
    a = np.array([1.0, -2.0, 3.0])
    before = a.copy()
    grad = numerical_gradient(lambda: float(np.sum(a ** 2)), a)
    np.testing.assert_allclose(grad, 2 * before, rtol=1e-8)
    np.testing.assert_array_equal(a, before)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, a.astype(np.float32))


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


def test_sequential_chain_rule_matches_torch_modules():
    rng, x, _ = _data(4, B=6, D=5)
    net = NumpySequential(LinearSigmoidLayer(5, 4, rng=rng), LinearSigmoidLayer(4, 2, rng=rng))
    g = rng.normal(size=(6, 2))
    y = net.forward(x)
    grad_in = net.backward(g)
    tnet = to_torch(net)
    assert [type(m).__name__ for m in tnet] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    xt = torch.tensor(x, requires_grad=True)
    yt = tnet(xt)
    assert relative_error(y, yt) < 1e-14
    yt.backward(torch.tensor(g))
    assert relative_error(grad_in, xt.grad) < 1e-12
    assert relative_error(net.layers[0].W_grad, tnet[0].weight.grad.T) < 1e-12
    assert relative_error(net.layers[1].W_grad, tnet[2].weight.grad.T) < 1e-12
    # finite differences through the whole chain (input gradient)
    assert gradient_check(net, x, g)["x"] < 1e-7


def test_to_torch_rejects_other_layers():
    with pytest.raises(TypeError, match="LinearSigmoidLayer"):
        to_torch([ch04.ReLULayerReference()])


# ---------------------------------------------------------------- exercise 2 checker

def test_relu_checker_accepts_reference():
    assert "Correct" in ch04.check_relu_layer(ch04.ReLULayerReference)


class _MaskOnly(ch04.ReLULayerReference):
    def backward(self, grad_out):
        return (self.x > 0).astype(float)


class _Identity(ch04.ReLULayerReference):
    def backward(self, grad_out):
        return grad_out


class _Inverted(ch04.ReLULayerReference):
    def backward(self, grad_out):
        return grad_out * (self.x < 0)


class _NoReturn(ch04.ReLULayerReference):
    def backward(self, grad_out):
        self.grad = grad_out * (self.x > 0)


class _BadForward(ch04.ReLULayerReference):
    def forward(self, x):
        self.x = x
        return np.abs(x)


@pytest.mark.parametrize("cls, msg", [
    (_MaskOnly, "multiply it by grad_out"),
    (_Identity, "must be 0"),
    (_Inverted, "inverted"),
    (_NoReturn, "returned None"),
    (_BadForward, r"max\(0, x\)"),
])
def test_relu_checker_says_what_is_wrong(cls, msg):
    with pytest.raises(ExerciseError, match=msg):
        ch04.check_relu_layer(cls)


def test_relu_checker_needs_no_arg_constructor():
    class NeedsArgs(ch04.ReLULayerReference):
        def __init__(self, n):
            self.n = n

    with pytest.raises(ExerciseError, match="no parameters"):
        ch04.check_relu_layer(NeedsArgs)
