"""SoftmaxExplorer: a trained softmax regression's weight images, a digit you can edit, the softmax.

    from arlib.widgets import SoftmaxExplorer
    SoftmaxExplorer(model, images, labels)          # model: arlib.lessons.classify.SoftmaxRegression

The page shows the K weight images theta^(k) (red: ink there votes for class k, blue: against),
a digit x (pick one, click or drag on it to add or erase ink), the logits theta^(k)T x + b_k,
the softmax P(y = k | x) at a temperature T (a slider), and the loss -log P(y = label | x) in
nats. Click a class to see its evidence map theta^(k) * x, whose sum plus b_k is the logit.
Everything is computed in the page from the weights, so it responds without a kernel.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import traitlets

from .base import Explorer, as_float_array


class SoftmaxExplorer(Explorer):
    """Weight images, an editable digit, logits, softmax with temperature, cross-entropy."""

    _js_file = "classifier.js"

    weights = traitlets.List(traitlets.Float()).tag(sync=True)  # K*D, row k is theta^(k) (row-major image)
    bias = traitlets.List(traitlets.Float()).tag(sync=True)  # K
    images = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # n digits, D bits each
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    classes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    height = traitlets.Int(28).tag(sync=True)
    width = traitlets.Int(28).tag(sync=True)
    index = traitlets.Int(0).tag(sync=True)  # the digit shown (the page updates it)
    temperature = traitlets.Float(1.0).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)  # class whose evidence map is shown; -1: the prediction

    def __init__(self, model: Any = None, images: Any = None, labels: Sequence[int] | None = None, *,
                 weights: Any = None, bias: Any = None, shape: tuple[int, int] = (28, 28),
                 classes: Sequence[str] | None = None, index: int = 0, temperature: float = 1.0,
                 decimals: int = 3, **kwargs: Any) -> None:
        if model is not None:
            if weights is not None or bias is not None:
                raise ValueError("pass either a model or weights=/bias=, not both")
            linear = getattr(model, "linear", model)
            if not (hasattr(linear, "weight") and hasattr(linear, "bias")):
                raise ValueError("model must be a SoftmaxRegression (or an nn.Linear): it needs .weight and .bias")
            weights, bias = linear.weight, linear.bias
        if weights is None or images is None or labels is None:
            raise ValueError("SoftmaxExplorer needs weights (a model or weights=, bias=), images and labels")
        W = as_float_array("weights", weights)
        if W.ndim != 2:
            raise ValueError(f"weights must be a (K, D) matrix, got shape {W.shape}")
        K, D = W.shape
        b = np.zeros(K) if bias is None else as_float_array("bias", bias).reshape(-1)
        if b.shape != (K,):
            raise ValueError(f"bias must have K = {K} entries, got {b.size}")
        h, w = int(shape[0]), int(shape[1])
        if h * w != D:
            raise ValueError(f"weights have D = {D} inputs but shape {h}x{w} has {h * w} pixels")
        X = as_float_array("images", images)
        if X.size == 0 or X.size % D:
            raise ValueError(f"images must be n binary images of {D} pixels each, got {X.size} values")
        X = X.reshape(-1, D)
        if not np.isin(X, (0, 1)).all():
            raise ValueError("images must be binary (0s and 1s); binarize them first, e.g. (x > 0.5)")
        y = [int(v) for v in np.asarray(as_float_array("labels", labels)).reshape(-1)]
        if len(y) != X.shape[0]:
            raise ValueError(f"{X.shape[0]} images but {len(y)} labels")
        if any(not 0 <= v < K for v in y):
            raise ValueError(f"labels must lie in 0..{K - 1}")
        if not np.all(np.isfinite(W)) or not np.all(np.isfinite(b)):
            raise ValueError("weights and bias must be finite")
        if not 0 <= index < X.shape[0]:
            raise ValueError(f"index {index} is outside 0..{X.shape[0] - 1}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        classes = [str(k) for k in range(K)] if classes is None else [str(c) for c in classes]
        if len(classes) != K:
            raise ValueError(f"{len(classes)} class names for K = {K} classes")
        super().__init__(
            weights=[round(float(v), decimals) for v in W.reshape(-1)],
            bias=[round(float(v), decimals) for v in b],
            images=X.astype(np.int64).tolist(), labels=y, classes=classes,
            height=h, width=w, index=int(index), temperature=float(temperature), **kwargs)

    # ------------------------------------------------------------------ exact numbers

    @staticmethod
    def compute(weights: Sequence[float], bias: Sequence[float], x: Sequence[int], label: int,
                temperature: float) -> dict:
        """Logits theta^(k)T x + b_k, softmax(logits / T), prediction and -log P(label | x), as the page does."""
        K, D = len(bias), len(x)
        logits = []
        for k in range(K):
            s = bias[k]
            row = weights[k * D:(k + 1) * D]
            for j in range(D):  # in index order, as the page sums
                if x[j]:
                    s += row[j]
            logits.append(s)
        z = [v / temperature for v in logits]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        probs = [v / total for v in e]
        predicted = max(range(K), key=lambda k: (logits[k], -k))
        loss = -(z[label] - top - math.log(total))
        return {"logits": logits, "probs": probs, "predicted": predicted, "loss_nats": loss}

    def readout(self, x: Sequence[int] | None = None, index: int | None = None,
                temperature: float | None = None) -> dict:
        """What the page shows for digit ``index`` (edited to ``x`` if given) at ``temperature``."""
        index = self.index if index is None else index
        x = self.images[index] if x is None else [int(v) for v in x]
        t = self.temperature if temperature is None else temperature
        out = self.compute(self.weights, self.bias, x, self.labels[index], t)
        return {"index": index, "label": self.labels[index], "temperature": t, **out}

    @staticmethod
    def summary(r: dict, label: int) -> dict:
        """The scalar readout fields (what the browser test compares, to a relative tolerance)."""
        k = r["predicted"]
        return {"predicted": k, "p_label": r["probs"][label], "p_predicted": r["probs"][k],
                "logit_label": r["logits"][label], "logit_predicted": r["logits"][k],
                "loss_nats": r["loss_nats"]}

    @classmethod
    def expected_readout(cls, state: dict, readout: dict) -> dict:
        x = [int(c) for c in readout["x"]]
        index = int(readout["index"])
        label = state["labels"][index]
        t = float(readout["temperature"])
        r = cls.compute(state["weights"], state["bias"], x, label, t)
        return {"index": index, "label": label, "temperature": t, "n_on": sum(x), **cls.summary(r, label)}
