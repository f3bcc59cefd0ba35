"""The one test of the model interface, over every model class that ``arlib.models`` exports.

Each class gives small instances through ``examples()``; a model added to ``arlib.models`` is
covered here without a test of its own.  What every model must do:

* the autoregressive property: the conditional of dimension i depends only on dimensions before
  it in ``model.order`` (measured by perturbation, ``arlib.testing.assert_autoregressive``);
* ``log_prob`` is the sum of the log-conditionals of one ``forward`` pass (for a mask ensemble:
  the mixture of its masks' densities);
* ``generate`` computes the same conditionals as ``forward`` when it is fed the true values, and
  the model's own sampler draws exactly what the generic D-pass sampler draws for the same seed;
* a checkpoint round trip gives the same model; the constructor's arguments are its ``config``;
* clear errors for bad input.
"""
from __future__ import annotations

import inspect
import math

import pytest
import torch

import arlib.models as models
from arlib.checkpoints import load_model, save
from arlib.models.base import AutoregressiveModel
from arlib.sampling import ancestral_sample
from arlib.testing import assert_autoregressive

CLASSES = [c for name in models.__all__ if inspect.isclass(c := getattr(models, name))
           and issubclass(c, AutoregressiveModel) and c is not AutoregressiveModel]


def _examples():
    for cls in CLASSES:
        for k, _ in enumerate(cls.examples()):
            yield pytest.param(cls, k, id=f"{cls.__name__}-{k}")


EXAMPLES = list(_examples())
# the examples small enough to enumerate every input (K ** D of them)
ENUMERABLE = [p for p in EXAMPLES
              if (m := p.values[0].examples()[p.values[1]]).D * math.log2(m.num_values) <= 12]


def make(cls, k: int) -> AutoregressiveModel:
    """Example k of ``cls`` with random (not zero) weights, in eval mode, float64."""
    torch.manual_seed(k)
    m = cls.examples()[k].double()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.7)
    return m.eval()


def data(m: AutoregressiveModel, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, m.num_values, (n, *m.event_shape), generator=g).double()


def cond(m: AutoregressiveModel, n: int) -> dict:
    return {"y": torch.arange(n) % m.n_classes} if m.conditional else {}


def test_every_exported_model_is_covered():
    names = {c.__name__ for c in CLASSES}
    assert {"IndependentBernoulli", "FVSBN", "NADE", "MADE", "PixelRNN", "PixelCNN", "GatedPixelCNN"} <= names
    for cls in CLASSES:
        assert cls.examples(), f"{cls.__name__}.examples() is empty"
    # every model has an example small enough for the exact normalisation test
    assert {p.values[0] for p in ENUMERABLE} == set(CLASSES)


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_autoregressive(cls, k):
    m = make(cls, k)
    masks = range(getattr(m, "num_masks", 1))
    for mask in masks:
        if len(masks) > 1:
            m.set_mask(mask)
        assert_autoregressive(m, m.event_shape, **({"y": torch.tensor([1])} if m.conditional else {}))


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_log_prob_is_the_sum_of_the_log_conditionals(cls, k):
    m = make(cls, k)
    x = data(m, 5)
    c = cond(m, 5)
    lp = m.log_prob(x, **c)
    assert lp.shape == (5,) and torch.all(lp <= 0)
    K = getattr(m, "num_masks", 1)
    if K > 1 and getattr(m, "ensemble", False):        # a mixture: log (1/K) sum_k p_k(x)
        per_mask = []
        for mask in range(K):
            m.set_mask(mask)
            per_mask.append(m.log_conditionals_from_logits(m(x), x).sum(1))
        m.set_mask(0)
        want = torch.logsumexp(torch.stack(per_mask), 0) - math.log(K)
    else:
        want = m.log_conditionals_from_logits(m(x, **c), x).sum(1)
    torch.testing.assert_close(lp, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cls, k", ENUMERABLE)
def test_probabilities_sum_to_one_over_every_input(cls, k):
    m = make(cls, k)
    D, K = m.D, m.num_values
    idx = torch.arange(K ** D)
    x = torch.stack([(idx // K ** j) % K for j in range(D)], 1).double().view(-1, *m.event_shape)
    total = torch.logsumexp(m.log_prob(x, **({"y": torch.zeros(len(x), dtype=torch.long)} if m.conditional else {})), 0)
    assert abs(total.item()) < 1e-9


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_generate_computes_the_conditionals_of_forward(cls, k):
    m = make(cls, k)
    x = data(m, 4, seed=1)
    c = cond(m, 4)
    want = m(x, **c).reshape(4, -1) if m.binary else m(x, **c).reshape(4, m.num_values, -1)
    seen = []

    def teacher(i, logits):
        seen.append(i)
        got = want[:, i] if m.binary else want[:, :, i]
        torch.testing.assert_close(logits, got, rtol=1e-9, atol=1e-9)
        return x.reshape(4, -1)[:, i]

    out = m.generate(4, teacher, **c)
    assert seen == m.order.tolist()
    assert torch.equal(out, x)


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_fast_sampler_draws_what_the_generic_one_draws(cls, k):
    m = make(cls, k)
    c = cond(m, 6)
    a, pa = m.sample(6, generator=torch.Generator().manual_seed(3), return_probs=True, **c)
    b, pb = ancestral_sample(m, 6, generator=torch.Generator().manual_seed(3), return_probs=True, **c)
    assert a.shape == (6, *m.event_shape) and pa.shape == a.shape
    assert torch.equal(a, b)
    torch.testing.assert_close(pa, pb, rtol=1e-9, atol=1e-9)
    assert torch.all((a >= 0) & (a < m.num_values) & (a == a.round()))
    again = m.sample(6, generator=torch.Generator().manual_seed(3), **c)
    assert torch.equal(again, a)


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_checkpoint_round_trip(cls, k, tmp_path):
    m = make(cls, k).float()
    x = data(m, 3).float()
    c = cond(m, 3)
    save(m, "example", {"note": "test"}, directory=tmp_path)
    back = load_model("example", directory=tmp_path)
    assert type(back) is cls and back.config == m.config and not back.training
    assert torch.equal(back.order, m.order)
    torch.testing.assert_close(back.log_prob(x, **c), m.log_prob(x, **c))
    assert set(back.state_dict()) == set(m.state_dict())


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_config_holds_the_constructor_arguments(cls, k):
    m = cls.examples()[k]
    params = inspect.signature(cls.__init__).parameters
    assert set(m.config) == set(params) - {"self"}
    twin = cls(**m.config)
    assert [p.shape for p in twin.parameters()] == [p.shape for p in m.parameters()]


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_clear_errors_on_bad_input(cls, k):
    m = make(cls, k)
    x = data(m, 2)
    c = cond(m, 2)
    with pytest.raises(ValueError, match="shape"):
        m.log_prob(x.reshape(2, -1)[:, :-1], **c)
    bad = x.clone()
    bad.view(2, -1)[0, 0] = m.num_values + 0.5
    with pytest.raises(ValueError):
        m.log_prob(bad, **c)
    for n in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="positive int"):
            m.sample(n, **c)
    if not m.conditional:
        with pytest.raises(ValueError, match="unconditional"):
            m.log_prob(x, y=torch.zeros(2, dtype=torch.long))
        with pytest.raises(ValueError, match="unconditional"):
            m.sample(2, y=torch.zeros(2, dtype=torch.long))
    else:
        with pytest.raises(ValueError):
            m.log_prob(x, y=torch.tensor([0, m.n_classes]))
    with pytest.raises(TypeError):
        m.sample(2, torch.Generator())                  # the generator is keyword-only
    params = inspect.signature(cls.__init__).parameters
    for name in ("order", "ordering"):
        if name in params:
            with pytest.raises(ValueError, match="permutation"):
                cls(**{**m.config, name: [0] * m.D})


@pytest.mark.parametrize("cls, k", EXAMPLES)
def test_device_dtype_and_training_hook(cls, k):
    m = make(cls, k)
    assert m.device == torch.device("cpu") and m.dtype == torch.float64
    m.on_train_step(0)                                  # every model accepts the hook
    m.on_train_step(7)
    x = data(m, 2)
    m.train()
    out = m(x, **cond(m, 2))
    assert torch.isfinite(out).all()
