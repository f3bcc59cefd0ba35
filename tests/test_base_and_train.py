import math

import pytest
import torch
from torch import nn

from arlib.data import load_binarized_mnist
from arlib.models import AutoregressiveModel, IndependentBernoulli
from arlib.train import TrainingDiverged, evaluate, fit, nats_to_bits_per_dim


def test_log_prob_matches_hand_computation():
    m = IndependentBernoulli(4)
    with torch.no_grad():
        m.logit_theta.copy_(torch.logit(torch.tensor([0.1, 0.5, 0.8, 0.3])))
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    expected = math.log(0.1) + math.log(0.5) + math.log(0.8) + math.log(0.3)
    assert m.log_prob(x).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("x, msg", [
    (torch.zeros(2, 5), r"shape \(B, 4\)"),
    (torch.zeros(4), r"shape \(B, 4\)"),
    (torch.full((2, 4), 0.5), "0 or 1"),
])
def test_input_checks(x, msg):
    with pytest.raises(ValueError, match=msg):
        IndependentBernoulli(4).log_prob(x)


def test_order_must_be_a_permutation():
    with pytest.raises(ValueError, match="permutation"):
        AutoregressiveModel((3,), order=torch.tensor([0, 0, 1]))


def test_categorical_input_checks():
    class Cat(AutoregressiveModel):
        def __init__(self):
            super().__init__((2,), num_values=4)
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.zeros(x.shape[0], 4, 2) + self.w

    m = Cat()
    assert torch.allclose(m.log_prob(torch.tensor([[3.0, 0.0]])), torch.tensor([2 * math.log(0.25)]))
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        m.log_prob(torch.tensor([[4.0, 0.0]]))


def test_closed_form_and_sgd_agree_and_beat_uniform():
    x = load_binarized_mnist("train", n=1000)
    cf = IndependentBernoulli().fit_closed_form(x)
    sgd = IndependentBernoulli()
    fit(sgd, x, epochs=150, batch_size=1000, lr=0.3, progress=False)
    e_cf, e_sgd = evaluate(cf, x), evaluate(sgd, x)
    assert e_cf.nll < 784 * math.log(2)  # beats the uniform distribution
    assert abs(e_sgd.nll - e_cf.nll) < 0.5  # maximum likelihood by gradient reaches the closed form
    assert e_cf.bits_per_dim == pytest.approx(nats_to_bits_per_dim(e_cf.nll, 784))


def test_fit_is_deterministic_given_seed():
    x = load_binarized_mnist("train", n=1000)
    a, b = IndependentBernoulli(), IndependentBernoulli()
    fit(a, x, epochs=2, batch_size=100, lr=0.05, seed=3, progress=False)
    fit(b, x, epochs=2, batch_size=100, lr=0.05, seed=3, progress=False)
    assert torch.equal(a.logit_theta, b.logit_theta)


def test_diverged_loss_is_refused():
    class Exploding(IndependentBernoulli):
        def forward(self, x):
            return super().forward(x) * float("nan")

    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        fit(Exploding(), load_binarized_mnist("train", n=64), epochs=1, batch_size=32, progress=False)


def test_early_stopping_restores_best():
    x = load_binarized_mnist("train", n=500)
    v = load_binarized_mnist("valid", n=500)
    m = IndependentBernoulli()
    # a huge learning rate makes validation NLL bounce; patience stops and restores the best epoch
    h = fit(m, x, v, epochs=30, batch_size=500, lr=5.0, patience=2, progress=False)
    assert h.stopped_early and h.best_epoch is not None
    assert evaluate(m, v).nll == pytest.approx(min(h.valid_nll), rel=1e-6)


def test_max_steps_and_bad_epochs():
    x = load_binarized_mnist("train", n=1000)
    h = fit(IndependentBernoulli(), x, epochs=5, batch_size=100, max_steps=7, progress=False)
    assert len(h.step_nll) == 7
    with pytest.raises(ValueError, match="epochs"):
        fit(IndependentBernoulli(), x, epochs=0)


def test_generic_sampler_and_probs():
    m = IndependentBernoulli(6)
    with torch.no_grad():
        m.logit_theta.copy_(torch.tensor([-20.0, 20.0, -20.0, 20.0, 0.0, 0.0]))
    from arlib.sampling import ancestral_sample

    x, p = ancestral_sample(m, 5, generator=torch.Generator().manual_seed(0), return_probs=True)
    assert torch.equal(x[:, :4], torch.tensor([[0.0, 1.0, 0.0, 1.0]]).expand(5, 4))
    assert torch.allclose(p[:, 4], torch.tensor(0.5))
    with pytest.raises(ValueError, match="positive int"):
        ancestral_sample(m, 0)


def _made_run(run_dir=None, interrupt_at=None, average_from=None):
    from arlib.models import MADE

    torch.manual_seed(1)
    m = MADE(784, [24], num_masks=3, seed=0)
    if interrupt_at is not None:
        hook = m.on_train_step

        def killer(step):
            if step == interrupt_at:
                raise KeyboardInterrupt   # what a killed process leaves behind: the last state written
            hook(step)

        m.on_train_step = killer
    x, v = load_binarized_mnist("train", n=300), load_binarized_mnist("valid", n=100)
    h = fit(m, x, v, epochs=4, batch_size=50, lr=1e-2, schedule="plateau", lr_patience=1, save_every_s=0,
            run_dir=run_dir, progress=False, average_from=average_from)
    return m, h


def test_a_run_cut_and_resumed_ends_bit_for_bit_where_an_uninterrupted_run_ends(tmp_path):
    a, ha = _made_run()
    with pytest.raises(KeyboardInterrupt):
        _made_run(tmp_path, interrupt_at=6 * 2 + 3)         # killed in epoch 3 (6 steps per epoch)
    b, hb = _made_run(tmp_path)                               # a later sitting continues it
    assert hb.epoch == ha.epoch == [1, 2, 3, 4] and hb.valid_nll == ha.valid_nll and hb.lr == ha.lr
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert len(hb.valid_seconds) == 4 and hb.valid_seconds == sorted(hb.valid_seconds)
    c, hc = _made_run(tmp_path)                               # a finished run returns at once
    assert hc.finished and all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), c.state_dict().values()))


def test_a_run_with_weight_averaging_cut_and_resumed_ends_bit_for_bit(tmp_path):
    a, ha = _made_run(average_from=3)
    with pytest.raises(KeyboardInterrupt):
        _made_run(tmp_path, interrupt_at=6 * 3 + 2, average_from=3)   # killed in epoch 4, averaging
    b, hb = _made_run(tmp_path, average_from=3)
    assert hb.valid_nll == ha.valid_nll
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    _, hp = _made_run()
    assert hp.valid_nll[:2] == ha.valid_nll[:2] and hp.valid_nll[2:] != ha.valid_nll[2:]


def test_weight_averaging_returns_the_mean_of_the_weights_after_each_step_of_its_epochs():
    m = IndependentBernoulli(784)
    seen = []
    m.on_train_step = lambda step: seen.append(m.logit_theta.detach().clone())   # weights before each step
    fit(m, load_binarized_mnist("train", n=90), epochs=2, batch_size=30, lr=0.5, optimizer="sgd",
        average_from=2, progress=False)
    returned = m.logit_theta.detach().clone()
    # after steps 4, 5 and 6 (epoch 2): the weights seen before steps 5 and 6, and the last ones,
    # which the model no longer holds: recompute them by fitting again without averaging
    m2 = IndependentBernoulli(784)
    fit(m2, load_binarized_mnist("train", n=90), epochs=2, batch_size=30, lr=0.5, optimizer="sgd",
        progress=False)
    expected = (seen[4] + seen[5] + m2.logit_theta.detach()) / 3
    assert torch.allclose(returned, expected, atol=1e-6) and not torch.allclose(returned, seen[5])


def test_fit_checks_its_settings():
    m = IndependentBernoulli(784)
    x = load_binarized_mnist("train", n=50)
    with pytest.raises(ValueError, match="optimizer"):
        fit(m, x, optimizer="lbfgs", progress=False)
    with pytest.raises(ValueError, match="schedule"):
        fit(m, x, x, schedule="step", progress=False)
    with pytest.raises(ValueError, match="precision"):
        fit(m, x, precision="fp8", progress=False)
    with pytest.raises(ValueError, match="average_from"):
        fit(m, x, average_from=0, progress=False)


def test_auto_precision_is_bf16_exactly_where_the_hardware_has_it():
    from arlib.train import native_bf16, resolve_precision
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    m = IndependentBernoulli(784)
    h = fit(m, load_binarized_mnist("train", n=50), precision="auto", progress=False)
    assert h.precision == resolve_precision("auto")


def test_bf16_autocast_gradients_of_a_one_mask_made_match_float32():
    """MADE's masked layer has its own backward pass (masked entries left free); under bfloat16
    autocast it must run, and give the float32 gradients up to bfloat16 rounding."""
    from arlib.models import MADE
    torch.manual_seed(0)
    m = MADE(784, [300], num_masks=1, seed=0)
    x = load_binarized_mnist("train", n=64)
    grads = {}
    for precision in ("fp32", "bf16"):
        m.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = -m.log_prob(x).float().mean()
        loss.backward()
        grads[precision] = [p.grad.clone() for p in m.parameters()]
    for g32, g16 in zip(grads["fp32"], grads["bf16"]):
        assert g16.dtype == torch.float32
        assert (g16 - g32).norm() <= 0.03 * g32.norm()


def test_weight_decay_penalises_the_weights_and_leaves_the_biases():
    """One SGD step with weight decay moves every weight by an extra -lr * decay * w and no bias at all
    (a bias penalty costs nats where a pixel is always off and its bias wants -infinity)."""
    from arlib.models import FVSBN
    from arlib.train import is_bias

    assert [is_bias(n) for n in ("b", "c", "layers.0.bias", "rnn.bias_ih_l0")] == [True] * 4
    assert not any(is_bias(n) for n in ("w", "W", "V", "layers.0.weight", "b_0", "rnn.weight_hh_l0"))
    x = (torch.rand(20, 6, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    after = {}
    for decay in (0.0, 0.5):
        m = FVSBN(6)
        with torch.no_grad():
            m.w.fill_(0.3)
            m.b.fill_(-0.2)
        fit(m, x, epochs=1, batch_size=20, lr=0.1, optimizer="sgd", weight_decay=decay, progress=False)
        after[decay] = (m.w.detach().clone(), m.b.detach().clone())
    (w0, b0), (w1, b1) = after[0.0], after[0.5]
    assert torch.allclose(w1 - w0, torch.full_like(w0, -0.1 * 0.5 * 0.3), atol=1e-6)
    assert torch.equal(b1, b0)


def test_evaluate_batches_by_the_models_hint_and_the_nll_does_not_depend_on_it():
    from arlib.models import PixelCNN

    class Counting(IndependentBernoulli):
        eval_batch_size = 7

        def log_prob(self, x, **cond):
            self.seen.append(x.shape[0])
            return super().log_prob(x, **cond)

    m = Counting(5)
    m.seen = []
    x = torch.bernoulli(torch.full((20, 5), 0.3), generator=torch.Generator().manual_seed(0))
    default = evaluate(m, x)
    assert m.seen == [7, 7, 6]
    assert evaluate(m, x, batch_size=20).nll == pytest.approx(default.nll, abs=1e-9)
    assert PixelCNN.eval_batch_size < IndependentBernoulli.eval_batch_size  # feature maps in cache
