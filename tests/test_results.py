"""Chapter 12: the results table machinery, the binarization helpers, the Gaussian AR model, the checkers."""
import math

import pytest
import torch

import arlib.checkpoints as ck
from arlib.book import results
from arlib.data import load_binarized_mnist
from arlib.exercises import ExerciseError, ch12
from arlib.lessons.gaussian_ar import GaussianAR, banana, banana_log_prob, fit_gaussian_ar
from arlib.models import FVSBN, MADE, IndependentBernoulli
from arlib.train import evaluate


@pytest.fixture
def shelf(tmp_path):
    """A checkpoint folder with three small models (bernoulli, made, made_ensemble) and nothing else."""
    torch.manual_seed(0)
    b = IndependentBernoulli(784)
    b.fit_closed_form(load_binarized_mnist("train", n=2000))
    ck.save(b, "bernoulli", {"train_seconds": 1.5, "epochs_run": 1, "test_nll_nats": 206.0}, directory=tmp_path)
    ck.save(MADE(784, [20], seed=0), "made", {"train_seconds": 120.0, "epochs_run": 2}, directory=tmp_path)
    ck.save(MADE(784, [20], num_masks=3, seed=0), "made_ensemble", {"train_seconds": 60.0}, directory=tmp_path)
    return tmp_path


def test_results_table_evaluates_shipped_and_skips_missing(shelf):
    import json

    man = json.loads((shelf / "manifest.json").read_text())
    man["bernoulli"]["larochelle_murray"] = {"n": 10_000, "nll_nats": 207.25}     # as --record-check writes
    (shelf / "manifest.json").write_text(json.dumps(man))
    res = results.results_table(n_test=50, progress=False, directory=shelf)
    by = {r.model.name: r for r in res}
    assert [r.model.name for r in res] == [m.name for m in results.BOOK_MODELS]
    assert by["Independent Bernoulli"].status == "ok" and by["Independent Bernoulli"].params == 784
    assert by["FVSBN"].status == "missing" and "scripts/train.py --model fvsbn" in by["FVSBN"].note
    assert by["Gated PixelCNN"].status == "missing"
    ok = [r for r in res if r.status == "ok"]
    assert {r.model.name for r in ok} == {"Independent Bernoulli", "MADE, one mask", "MADE, mask ensemble"}
    for r in ok:
        assert r.n_test == 50 and r.nll > 0 and r.sample_seconds is not None and r.eval_seconds >= 0
        assert math.isclose(r.bits_per_dim, r.nll / (784 * math.log(2)))
    assert by["Independent Bernoulli"].train_seconds == 1.5 and by["MADE, one mask"].epochs == 2
    assert by["Independent Bernoulli"].full_test_nll == 206.0 and by["MADE, one mask"].full_test_nll is None
    assert by["Independent Bernoulli"].papers_file_nll == 207.25 and by["MADE, one mask"].papers_file_nll is None
    # the numbers are the models' own, on the seeded random subset: recompute them
    x = load_binarized_mnist("test", n=50, seed=0)
    assert not torch.equal(x, load_binarized_mnist("test", n=50))      # not the first 50
    for name, ckpt in [("Independent Bernoulli", "bernoulli"), ("MADE, one mask", "made"),
                       ("MADE, mask ensemble", "made_ensemble")]:
        m = ck.load_model(ckpt, shelf)
        with torch.no_grad():
            assert math.isclose(by[name].nll, -m.log_prob(x).double().mean().item(), rel_tol=1e-6)
    assert "mixture of 3 masks" in by["MADE, mask ensemble"].note
    page = results.results_html(res)
    assert "<table" in page and page.count("<tr>") == len(res) + 1 and "<b>not shipped yet</b>" in page
    assert "overflow-x:auto" in page                                   # a wide table scrolls, never clipped
    assert "86.64" in page and "|" not in page and "207.25" in page and "papers' test file" in page


def test_results_table_reports_a_broken_checkpoint(shelf):
    import json

    man = json.loads((shelf / "manifest.json").read_text())
    man["made"]["sha256"] = "0" * 64  # a corrupted file
    (shelf / "manifest.json").write_text(json.dumps(man))
    res = results.results_table(n_test=10, progress=False, sample=False, directory=shelf)
    made = [r for r in res if r.model.checkpoint == "made"]
    assert all(r.status == "error" and "sha256" in r.note for r in made)
    assert "<b>error</b>" in results.results_html(res)


def test_stopped_by_and_runs_table():
    info = {"settings": {"patience": 4, "epochs": 30}, "best_epoch": 10, "epochs_run": 14, "train_seconds": 7200,
            "machine": "AMD EPYC, 1 thread(s)"}
    assert results.stopped_by(info) == "early stopping"
    assert results.stopped_by({**info, "epochs_run": 13}) == "a time budget"
    assert results.stopped_by({**info, "best_epoch": 30, "epochs_run": 30}) == "its epochs"
    assert results.stopped_by({"settings": {}, "best_epoch": 5, "epochs_run": 5}) == "a time budget"
    # a warm restart of 6 epochs from a parent's 22, cut after 5 of its own: its epochs_run is 27
    restart = {"settings": {"epochs": 6}, "best_epoch": 27, "epochs_run": 27, "init": {"epochs": 22}}
    assert results.stopped_by(restart) == "a time budget"
    assert results.stopped_by({**restart, "epochs_run": 28, "best_epoch": 28}) == "its epochs"
    # what scripts/train.py recorded wins
    assert results.stopped_by({**info, "stopped_by": "a time budget (--finish)"}) == "a time budget"
    assert results.stopped_by({**restart, "stopped_by": "its epochs"}) == "its epochs"
    page = results.runs_html({"a run": info, "an old run": {"epochs_run": 3, "device": "cpu"}})
    assert page.count("<tr>") == 3 and "2.00" in page and "early stopping" in page and "AMD EPYC" in page
    assert "<td style='text-align:left'>cpu</td>" in page and "–" in page


def test_results_table_checks_n_test():
    with pytest.raises(ValueError, match="n_test"):
        results.results_table(n_test=0, progress=False)


def test_lecture_table4_is_the_slide():
    t = dict(results.LECTURE_TABLE4)
    assert len(t) == 14 and t["PixelCNN"] == "81.30" and t["NADE [3]"] == "88.33" and t["MADE 2hl (32 masks) [8]"] == "86.64"
    assert t["Diagonal BiLSTM (7 layers, h = 16)"] == "79.20" and t["DRAW [9]"] == "≤ 80.97"


def test_default_n_test(monkeypatch):
    monkeypatch.setenv("ARLIB_FULL", "1")
    assert results.default_n_test() == 10_000
    monkeypatch.setenv("ARLIB_FULL", "0")
    assert results.default_n_test() == 1_000


# ---- binarization helpers ----

def test_block_grey_binarize_and_noise_floor():
    x = torch.zeros(1, 784)
    x.view(28, 28)[0, 0] = 1
    x.view(28, 28)[0:2, 2:4] = 1
    grey = results.block_grey(x)
    assert grey.shape == (1, 14, 14) and grey[0, 0, 0] == 0.25 and grey[0, 0, 1] == 1.0 and grey.sum() == 1.25
    assert torch.equal(results.binarize(torch.tensor([0.25, 0.5, 0.75]), "threshold"), torch.tensor([0.0, 0.0, 1.0]))
    g = torch.Generator().manual_seed(0)
    s = results.binarize(torch.full((10000,), 0.25), "sample", g)
    assert abs(s.mean().item() - 0.25) < 0.02
    h = results.noise_floor(torch.tensor([[0.5, 0.0, 1.0], [0.25, 0.25, 0.0]]))
    assert torch.allclose(h, torch.tensor([math.log(2), 2 * (-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))],
                                          dtype=torch.float64))
    with pytest.raises(ValueError, match="scheme"):
        results.binarize(grey, "round")


# ---- the Gaussian autoregressive model ----

def test_banana_log_prob_is_the_density():
    # integrates to 1 on a grid
    a = torch.linspace(-6, 6, 601)
    b = torch.linspace(-2, 17, 951)
    A, B = torch.meshgrid(a, b, indexing="ij")
    p = banana_log_prob(torch.stack([A.flatten(), B.flatten()], 1)).exp()
    assert abs(p.sum().item() * (a[1] - a[0]).item() * (b[1] - b[0]).item() - 1) < 1e-3
    x = banana(5000, torch.Generator().manual_seed(0))
    assert abs(x[:, 0].mean()) < 0.05 and abs(x[:, 1].mean() - (-0.5)) < 0.05  # E[x1^2/2 - 1] = -1/2


def test_gaussian_ar_log_prob_is_normalised_and_sampling_matches():
    torch.manual_seed(0)
    m = GaussianAR(2, order=[1, 0], hidden=8)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(0.5)
    a = torch.linspace(-8, 8, 401)
    A, B = torch.meshgrid(a, a, indexing="ij")
    with torch.no_grad():
        p = m.log_prob(torch.stack([A.flatten(), B.flatten()], 1)).exp()
    assert abs(p.sum().item() * (a[1] - a[0]).item() ** 2 - 1) < 1e-3
    s = m.sample(20000, generator=torch.Generator().manual_seed(0))
    mu, log_sigma = m.first.detach()
    assert abs(s[:, 1].mean() - mu) < 0.05 and abs(s[:, 1].std() - log_sigma.exp()) < 0.05  # order[0] = dim 1


def test_gaussian_ar_fits_the_banana_in_the_right_order():
    x = banana(1000, torch.Generator().manual_seed(0))
    right, wrong = GaussianAR(2, [0, 1]), GaussianAR(2, [1, 0])
    fit_gaussian_ar(right, x, steps=300)
    fit_gaussian_ar(wrong, x, steps=300)
    true = -banana_log_prob(x).mean().item()
    with torch.no_grad():
        nll_right, nll_wrong = -right.log_prob(x).mean().item(), -wrong.log_prob(x).mean().item()
    assert nll_right < true + 0.1 and nll_wrong > nll_right + 0.3


def test_gaussian_ar_input_checks():
    with pytest.raises(ValueError, match="permutation"):
        GaussianAR(2, [0, 0])
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        GaussianAR(2).log_prob(torch.zeros(3, 3))


# ---- checkers ----

def test_check_conversions():
    ch12.check_conversions(81.30 / (784 * math.log(2)), 3.00 * 3072 * math.log(2))
    with pytest.raises(ExerciseError, match="ln 2"):
        ch12.check_conversions(81.30 / 784, 3.00 * 3072 * math.log(2))
    with pytest.raises(ExerciseError, match="3072"):
        ch12.check_conversions(81.30 / (784 * math.log(2)), 3.00 * 1024 * math.log(2))


def test_check_binarize():
    ch12.check_binarize(results.binarize)
    with pytest.raises(ExerciseError, match="g > 1/2"):
        ch12.check_binarize(lambda g, s, gen: (g >= 0.5).float() if s == "threshold" else results.binarize(g, s, gen))
    with pytest.raises(ExerciseError, match="generator"):
        ch12.check_binarize(lambda g, s, gen: (torch.rand(g.shape) < g).float() if s == "sample" else (g > 0.5).float())


def test_check_noise_floor():
    ch12.check_noise_floor(results.noise_floor)
    with pytest.raises(ExerciseError, match="NaN"):
        ch12.check_noise_floor(lambda g: (-(g * g.log() + (1 - g) * (1 - g).log())).flatten(1).sum(1))
    with pytest.raises(ExerciseError, match="bits"):
        ch12.check_noise_floor(lambda g: results.noise_floor(g) / math.log(2))


def test_check_log_conditionals():
    torch.manual_seed(0)
    f = FVSBN(784)
    with torch.no_grad():
        for p in f.parameters():
            p.normal_(0, 0.1)  # conditionals away from 1/2, so that the wrong answer differs
    x = torch.randint(0, 2, (3, 784)).float()

    def right(model, x):
        logits = model(x)
        return -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")

    ch12.check_log_conditionals(right, f, x)
    with pytest.raises(ExerciseError, match="log\\(1 - p\\)"):
        ch12.check_log_conditionals(lambda m, x: torch.nn.functional.logsigmoid(m(x)), f, x)


def test_check_sequential_steps():
    ch12.check_sequential_steps(3072, 3072, 1)
    with pytest.raises(ExerciseError, match="caching"):
        ch12.check_sequential_steps(3072, 1, 1)


def test_the_evaluation_zoo_is_judged_by_a_likelihood_check():
    """Chapter 12, exercise 6: the solution's likelihood check passes; a reader who trusts every split fails."""
    held_out = load_binarized_mnist("valid", n=800)[400:]

    def suspicious(model, images, margin=10.0):
        return evaluate(model, images).nll < evaluate(model, held_out).nll - margin

    assert ch12.check_evaluation_zoo(suspicious).startswith("Correct")
    with pytest.raises(ExerciseError, match="overlaps the training images"):
        ch12.check_evaluation_zoo(lambda model, images: False)


def test_nll_against_time_draws_a_warm_restart_from_its_parents_end():
    import matplotlib
    matplotlib.use("Agg")
    from arlib.book.plotting import nll_against_time

    parent = {"valid_nll": [90.0, 88.0, 87.0], "valid_seconds": [60.0, 120.0, 180.0]}
    restart = {"valid_nll": parent["valid_nll"] + [87.5, 86.5], "init": {"epochs": 3},
               "valid_seconds": parent["valid_seconds"] + [240.0, 300.0]}
    ax = nll_against_time({"parent": parent, "restart": restart}, log_time=False)
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines["parent"].get_ydata()) == [90.0, 88.0, 87.0]
    assert list(lines["restart"].get_ydata()) == [87.0, 87.5, 86.5]     # from the parent's last point
    assert list(lines["restart"].get_xdata()) == [3.0, 4.0, 5.0]        # minutes, on the parent's clock


def test_nll_against_time_gives_every_run_its_own_colour_past_ten_runs():
    import matplotlib
    matplotlib.use("Agg")
    from arlib.book.plotting import nll_against_time

    infos = {f"run {i}": {"valid_nll": [90.0 - i, 89.0 - i], "valid_seconds": [60.0, 120.0]}
             for i in range(12)}
    ax = nll_against_time(infos, log_time=False)
    colours = {line.get_label(): line.get_color() for line in ax.lines if line.get_label() in infos}
    assert len(colours) == 12 and len(set(map(str, colours.values()))) == 12


def test_nll_against_time_gives_the_runs_of_one_model_one_hue():
    import matplotlib
    import numpy as np
    matplotlib.use("Agg")
    from matplotlib.colors import rgb_to_hsv

    from arlib.book.plotting import nll_against_time

    names = ["A", "A, restart", "A, wider", "B", "B, restart"]
    infos = {n: {"valid_nll": [90.0 - i, 89.0 - i], "valid_seconds": [60.0, 120.0]} for i, n in enumerate(names)}
    families = {n: n.split(",")[0] for n in names}
    ax = nll_against_time(infos, log_time=False, families=families)
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in infos}
    colour = {n: np.asarray(matplotlib.colors.to_rgb(lines[n].get_color())) for n in names}
    hue = {n: rgb_to_hsv(colour[n])[0] for n in names}
    assert hue["A"] == pytest.approx(hue["A, restart"], abs=0.01) == pytest.approx(hue["A, wider"], abs=0.01)
    assert hue["B"] == pytest.approx(hue["B, restart"], abs=0.01) and abs(hue["A"] - hue["B"]) > 0.05
    assert colour["A"].sum() < colour["A, restart"].sum() < colour["A, wider"].sum()   # dark to light
    assert lines["A"].get_linestyle() == "-" and lines["A, restart"].get_linestyle() != "-"   # dashed

