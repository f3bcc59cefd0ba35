"""Softmax regression, the MLP classifier, the SGD loop, and the chapter-4 checkers."""
import math

import numpy as np
import pytest
import torch

from arlib.data import load_binarized_mnist
from arlib.exercises import ExerciseError, ch04
from arlib.lessons.classify import (
    MLPClassifier,
    SoftmaxRegression,
    accuracy,
    cross_entropy,
    evaluate_classifier,
    minibatch_gradient_noise,
    next_pixel_dataset,
    sgd_step,
    softmax,
    train_classifier,
)


def test_softmax_is_stable_and_sums_to_one():
    logits = torch.tensor([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]])
    p = softmax(logits)
    assert torch.isfinite(p).all()
    torch.testing.assert_close(p.sum(1), torch.ones(2))
    torch.testing.assert_close(p, torch.softmax(logits, 1))
    # temperature: T -> large flattens, T -> small sharpens
    assert softmax(logits[:1], temperature=100.0).max() < 0.34
    assert softmax(logits[:1], temperature=0.01).max() > 0.999
    with pytest.raises(ValueError, match="temperature"):
        softmax(logits, temperature=0.0)


def test_cross_entropy_is_the_lectures_J():
    g = torch.Generator().manual_seed(0)
    theta = torch.randn(4, 6, generator=g, dtype=torch.float64)
    X = torch.randn(9, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (9,), generator=g)
    logits = X @ theta.T
    J = 0.0
    for i in range(9):  # the double sum, with the indicator
        for k in range(4):
            if y[i] == k:
                J -= math.log(math.exp(logits[i, k]) / sum(math.exp(logits[i, j]) for j in range(4)))
    assert cross_entropy(logits, y, "sum").item() == pytest.approx(J, rel=1e-12)
    assert cross_entropy(logits, y).item() == pytest.approx(J / 9, rel=1e-12)
    assert cross_entropy(logits, y, "none").shape == (9,)


@pytest.mark.parametrize("y, msg", [
    (torch.tensor([0, 1, 2]), "int64 labels of shape"),
    (torch.tensor([0.0, 1.0]), "int64"),
    (torch.tensor([0, 3]), "0..2"),
])
def test_cross_entropy_checks(y, msg):
    with pytest.raises(ValueError, match=msg):
        cross_entropy(torch.zeros(2, 3), y)


def test_two_class_softmax_is_logistic_regression():
    g = torch.Generator().manual_seed(1)
    theta = torch.randn(2, 5, generator=g, dtype=torch.float64)
    X = torch.randn(8, 5, generator=g, dtype=torch.float64)
    p1 = softmax(X @ theta.T)[:, 1]
    torch.testing.assert_close(p1, torch.sigmoid(X @ (theta[1] - theta[0])))


def test_models_shapes_and_param_counts():
    m = SoftmaxRegression(784, 10)
    assert m(torch.zeros(3, 784)).shape == (3, 10)
    assert sum(p.numel() for p in m.parameters()) == 10 * (784 + 1)
    mlp = MLPClassifier(784, (128, 64), 10)
    assert mlp(torch.zeros(2, 784)).shape == (2, 10)
    assert sum(p.numel() for p in mlp.parameters()) == 785 * 128 + 129 * 64 + 65 * 10
    assert mlp.config == {"D": 784, "hidden": [128, 64], "K": 10}
    with pytest.raises(ValueError):
        SoftmaxRegression(10, 1)
    with pytest.raises(ValueError):
        MLPClassifier(10, (0,), 2)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_step_is_torch_sgd(momentum):
    torch.manual_seed(0)
    a, b = MLPClassifier(6, (5,), 3), MLPClassifier(6, (5,), 3)
    b.load_state_dict(a.state_dict())
    x, y = torch.randn(10, 6), torch.randint(0, 3, (10,))
    opt = torch.optim.SGD(b.parameters(), lr=0.1, momentum=momentum)
    params = list(a.parameters())
    vel = [torch.zeros_like(p) for p in params]
    for _ in range(3):
        a.zero_grad()
        cross_entropy(a(x), y).backward()
        sgd_step(params, 0.1, momentum, vel)
        opt.zero_grad()
        cross_entropy(b(x), y).backward()
        opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


@pytest.fixture(scope="module")
def mnist_small():
    x, y = load_binarized_mnist("train", labels=True, n=3000)
    xv, yv = load_binarized_mnist("valid", labels=True, n=1000)
    return x, y, xv, yv


def test_training_learns_and_is_seeded(mnist_small):
    x, y, xv, yv = mnist_small
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = SoftmaxRegression()
        h = train_classifier(m, x, y, valid=(xv, yv), epochs=2, batch_size=50, lr=0.5, eval_every=30,
                             progress=False)
        runs.append((h, m))
    (h, m), (h2, _) = runs
    assert h.step_loss == h2.step_loss
    assert h.steps == 120 and h.epochs == pytest.approx(2.0)
    assert h.eval_step[0] == 0 and h.eval_step[-1] == 120
    assert h.valid_acc[0] < 0.3 and h.valid_acc[-1] > 0.8
    assert h.valid_loss[-1] < math.log(10)
    loss, acc = evaluate_classifier(m, xv, yv, batch_size=300)
    assert acc == pytest.approx(h.valid_acc[-1]) and loss == pytest.approx(h.valid_loss[-1])
    assert accuracy(m(xv), yv) == pytest.approx(acc)
    assert not m.training


def test_training_max_steps_and_checks(mnist_small):
    x, y, _, _ = mnist_small
    h = train_classifier(SoftmaxRegression(), x, y, epochs=5, max_steps=7, progress=False)
    assert h.steps == 7 and len(h.step_loss) == 7 and h.valid_acc == []
    with pytest.raises(ValueError, match="batch_size"):
        train_classifier(SoftmaxRegression(), x, y, batch_size=0, progress=False)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train_classifier(SoftmaxRegression(), x * 1e30, y, lr=1e30, max_steps=5, progress=False)


def test_gradient_noise_falls_like_one_over_B(mnist_small):
    x, y, _, _ = mnist_small
    torch.manual_seed(0)
    noise = minibatch_gradient_noise(SoftmaxRegression(), x[:2000], y[:2000], [1, 4, 16, 64], n_batches=30)
    B = np.array(list(noise))
    slope = np.polyfit(np.log(B), np.log(list(noise.values())), 1)[0]
    assert -1.3 < slope < -0.7
    assert "Correct" in ch04.check_gradient_noise(noise)


def test_next_pixel_dataset():
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    inputs, label = next_pixel_dataset(x, 2)
    torch.testing.assert_close(inputs, x[:, :2])
    assert label.tolist() == [1, 1] and label.dtype == torch.int64
    with pytest.raises(ValueError, match="pixel 0"):
        next_pixel_dataset(x, 0)


# ---------------------------------------------------------------- exercise checkers 1 and 3

def test_softmax_gradient_checker_accepts_reference():
    assert "Correct" in ch04.check_softmax_gradient(ch04.softmax_gradient_reference)


@pytest.mark.parametrize("wrong, msg", [
    (lambda t, X, y: -ch04.softmax_gradient_reference(t, X, y), "wrong sign"),
    (lambda t, X, y: ch04.softmax_gradient_reference(t, X, y) / X.shape[0], "divided by m"),
    (lambda t, X, y: ch04.softmax_gradient_reference(t, X, y).T, "transpose"),
    (lambda t, X, y: -torch.nn.functional.one_hot(y, t.shape[0]).double().T @ X, "denominator"),
    (lambda t, X, y: ch04.softmax_gradient_reference(t, X, y) + 0.1, "differs from autograd"),
    (lambda t, X, y: None, "must return a tensor"),
])
def test_softmax_gradient_checker_says_what_is_wrong(wrong, msg):
    with pytest.raises(ExerciseError, match=msg):
        ch04.check_softmax_gradient(wrong)


@pytest.mark.parametrize("args, msg", [
    (([1, 2, 4], [1.0, 0.5, 0.25]), "at least 4"),
    (([1, 2, 3, 4], [1.0, 0.5, 0.3, 0.25]), "factor 4"),
    (([1, 4, 16, 64], [1.0, 2.0, 4.0, 8.0]), "grows"),
    (([1, 4, 16, 64], [1.0, 0.5, 0.25, 0.125]), "square root"),
    (([1, 4, 16, 64], [1.0, 0.0, 0.2, 0.1]), "positive"),
    (([1, 4, 16], None), "one noise value"),
])
def test_gradient_noise_checker_says_what_is_wrong(args, msg):
    with pytest.raises(ExerciseError, match=msg):
        ch04.check_gradient_noise(*args)


def test_gradient_noise_checker_accepts_lists():
    B = [1, 4, 16, 64, 256]
    assert "Correct" in ch04.check_gradient_noise(B, [10.0 / b for b in B])


# ---------------------------------------------------------------- the explorer

import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from arlib.widgets import SoftmaxExplorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer(mnist_small):
    x, y, _, _ = mnist_small
    torch.manual_seed(0)
    m = SoftmaxRegression()
    train_classifier(m, x, y, epochs=1, lr=0.5, progress=False)
    return SoftmaxExplorer(m, x[:12], y[:12]), m, x[:12], y[:12]


def test_explorer_state_is_small_and_exact(explorer):
    w, m, x, y = explorer
    state = w.get_state()
    assert state["_anywidget_id"] == "arlib.widgets.classifier.SoftmaxExplorer"
    assert len(json.dumps({k: v for k, v in state.items() if not k.startswith("_")})) < 300_000
    assert len(w.weights) == 7840 and len(w.bias) == 10 and len(w.images) == 12
    r = w.readout()
    logits = m(x[:1]).double()[0]
    assert r["label"] == int(y[0])
    assert np.allclose(r["logits"], logits.tolist(), atol=784 * 5e-4)  # weights are rounded to 3 decimals
    assert r["predicted"] == int(np.argmax(r["logits"]))
    assert sum(r["probs"]) == pytest.approx(1.0)
    assert r["loss_nats"] == pytest.approx(-math.log(r["probs"][r["label"]]))
    # temperature flattens the softmax but keeps the prediction
    hot = w.readout(temperature=5.0)
    assert max(hot["probs"]) < max(r["probs"]) and hot["predicted"] == r["predicted"]
    blank = w.readout(x=[0] * 784)
    assert blank["logits"] == pytest.approx(w.bias)


def test_explorer_expected_readout(explorer):
    w, *_ = explorer
    state = w.get_state()
    x = list(w.images[3])
    x[400] = 1 - x[400]
    page = {"index": 3, "temperature": 2.0, "x": "".join(map(str, x))}
    exp = SoftmaxExplorer.expected_readout(state, page)
    assert exp["n_on"] == sum(x) and exp["label"] == w.labels[3]
    r = w.readout(x=x, index=3, temperature=2.0)
    assert exp["p_label"] == pytest.approx(r["probs"][r["label"]])
    assert exp["logit_predicted"] == max(r["logits"]) and exp["predicted"] == r["predicted"]
    assert exp["loss_nats"] == pytest.approx(r["loss_nats"])
    assert all(isinstance(v, (int, float)) for v in exp.values())  # scalars: compared to a tolerance


@pytest.mark.parametrize("kwargs, msg", [
    (dict(weights=np.zeros((10, 784)), bias=np.zeros(10), images=np.full((2, 784), 0.5), labels=[0, 1]), "binary"),
    (dict(weights=np.zeros((10, 784)), bias=np.zeros(9), images=np.zeros((2, 784)), labels=[0, 1]), "K = 10"),
    (dict(weights=np.zeros((10, 784)), images=np.zeros((2, 784)), labels=[0]), "2 images but 1 labels"),
    (dict(weights=np.zeros((10, 784)), images=np.zeros((2, 784)), labels=[0, 10]), r"0\.\.9"),
    (dict(weights=np.zeros((10, 700)), images=np.zeros((2, 700)), labels=[0, 1]), "28x28"),
    (dict(weights=np.zeros((10, 784)), images=np.zeros((2, 784)), labels=[0, 1], temperature=0), "temperature"),
    (dict(images=np.zeros((2, 784)), labels=[0, 1]), "needs weights"),
])
def test_explorer_input_checks(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        SoftmaxExplorer(**kwargs)


JS = Path(__file__).resolve().parents[1] / "arlib" / "widgets" / "classifier.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_explorer_bundle_is_valid_and_js_math_matches_python(explorer, tmp_path):
    w, *_ = explorer
    bundle = tmp_path / "bundle.mjs"
    bundle.write_text(SoftmaxExplorer._esm)
    out = subprocess.run(["node", "--check", str(bundle)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    src = JS.read_text()
    compute = re.search(r"^function compute\(.*?^}\n", src, re.S | re.M).group(0)
    x = list(w.images[5])
    x[300] = 1 - x[300]
    script = tmp_path / "run.mjs"
    script.write_text(compute + f"\nconsole.log(JSON.stringify(compute({json.dumps(w.weights)}, "
                      f"{json.dumps(w.bias)}, {json.dumps(x)}, {w.labels[5]}, 0.7)));\n")
    out = subprocess.run(["node", str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    py = SoftmaxExplorer.compute(w.weights, w.bias, x, w.labels[5], 0.7)
    assert js["logits"] == py["logits"]  # same additions in the same order: bit for bit
    assert js["predicted"] == py["predicted"]
    assert js["probs"] == pytest.approx(py["probs"], rel=1e-12)
    assert js["loss_nats"] == pytest.approx(py["loss_nats"], rel=1e-12)
