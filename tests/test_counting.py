"""arlib.lessons.counting: exact closed forms, checked by brute force and against the real models."""
import itertools

import pytest
import torch

from arlib.lessons import counting
from arlib.models import FVSBN


def _brute_tabular(n, d):
    # one distribution (d - 1 numbers) per value of x_<i, for every i: the chain rule, counted
    return sum((d - 1) * len(list(itertools.product(range(d), repeat=i))) for i in range(n))


@pytest.mark.parametrize("n,d", [(1, 2), (3, 2), (5, 2), (4, 3), (3, 5)])
def test_tabular_is_the_chain_rule_sum(n, d):
    assert counting.tabular(n, d) == _brute_tabular(n, d) == d**n - 1


def test_tabular_is_exact_at_mnist_size():
    c = counting.tabular(784)
    assert isinstance(c, int) and c == 2**784 - 1 and len(str(c)) == 237
    assert counting.tabular(784, 256) == 256**784 - 1  # no float overflow anywhere


@pytest.mark.parametrize("n,k,d", [(5, 0, 2), (5, 1, 2), (5, 2, 3), (6, 3, 2), (4, 4, 2), (3, 7, 2), (10, 2, 4)])
def test_markov_exact_counts_parents_one_by_one(n, k, d):
    brute = sum((d - 1) * d ** min(i, k) for i in range(n))  # x_{i+1} has min(i, k) parents
    assert counting.markov(n, k, d, exact=True) == brute
    assert counting.markov(n, k, d) == d**k * (d - 1) * n  # the lecture's count
    assert counting.markov(n, k, d, exact=True) <= counting.markov(n, k, d)


def test_markov_limits():
    assert counting.markov(7, 0, exact=True) == 7 == counting.markov(7, 0)  # independent pixels
    assert counting.markov(7, 6, exact=True) == counting.tabular(7)  # k = n - 1: the full table
    assert counting.markov(784, 1, exact=True) == 1 + 783 * 2


def test_latent():
    assert counting.latent(784, 10) == 10 * 784 + 9
    assert counting.latent(784, 10, include_prior=False) == 7840
    assert counting.latent(4, 3, d=5, include_prior=False) == 3 * 4 * 4


def test_fvsbn_nade_made_formulas():
    assert counting.fvsbn(784) == 307_720 == sum(range(1, 785))
    assert counting.nade(784, 500) == 2 * 784 * 500 + 500 + 784
    assert counting.made(784, [500]) == counting.nade(784, 500)
    assert counting.made(3, [4, 5]) == (3 * 4 + 4) + (4 * 5 + 5) + (5 * 3 + 3)


@pytest.mark.parametrize("n", [1, 2, 5, 17, 784])
def test_fvsbn_count_is_the_model(n):
    model = FVSBN(n)
    assert sum(p.numel() for p in model.parameters()) == counting.fvsbn(n)


@pytest.mark.parametrize("bad,err", [((0,), ValueError), ((2.0,), TypeError), ((True,), TypeError)])
def test_bad_arguments_are_named(bad, err):
    with pytest.raises(err, match="n must be"):
        counting.tabular(*bad)
    with pytest.raises(ValueError, match=r"hidden\[1\]"):
        counting.made(4, [3, 0])
    with pytest.raises(ValueError, match="d must be"):
        counting.markov(4, 1, d=1)


def test_returns_python_ints_for_numpy_input():
    import numpy as np

    assert type(counting.fvsbn(np.int64(784))) is int and counting.fvsbn(np.int64(784)) == 307_720
    assert type(counting.tabular(torch.tensor(10).item())) is int


# ---- the page's BigInt formulas (arlib/widgets/counts.js) agree with arlib.lessons.counting
@pytest.mark.skipif(__import__("shutil").which("node") is None, reason="needs node to run the page's JS")
def test_counts_explorer_js_matches_counting(tmp_path):
    import json
    import math
    import subprocess

    from arlib.widgets.counts import CountsExplorer

    settings = [(784, 2, 2, 10, 500), (1, 2, 0, 1, 1), (5, 3, 7, 4, 3), (784, 256, 16, 1000, 2000), (30, 2, 29, 2, 7)]
    mod = tmp_path / "counts.mjs"
    mod.write_text(CountsExplorer._esm + "\nexport { counts, log10Big };\n")
    script = (f"import {{ counts, log10Big }} from {json.dumps(mod.as_uri())};\n"
              f"const out = {json.dumps(settings)}.map((s) => {{ const c = counts(...s); const o = {{}};"
              " for (const [k, v] of Object.entries(c)) { o[k] = v.toString(); o['log10_' + k] = log10Big(v); }"
              " return o; });\nconsole.log(JSON.stringify(out));\n")
    run = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    for s, page in zip(settings, json.loads(run.stdout)):
        want = CountsExplorer.readout_for(*s)
        for key, value in page.items():
            if key.startswith("log10_"):
                assert math.isclose(value, want[key], rel_tol=1e-12, abs_tol=1e-12), (s, key)
            else:
                assert value == want[key], (s, key)


# ---- the chapter-2 exercise checkers fail on wrong answers with a message that says why
def test_ch02_checkers():
    from arlib.exercises import ExerciseError, ch02

    ch02.check_tabular_count(80)
    with pytest.raises(ExerciseError, match="sum to one"):
        ch02.check_tabular_count(81)
    with pytest.raises(ExerciseError, match="whole number"):
        ch02.check_tabular_count("80")

    ch02.check_markov_exact(lambda n, k, d: sum((d - 1) * d ** min(i - 1, k) for i in range(1, n + 1)))
    with pytest.raises(ExerciseError, match="lecture's"):
        ch02.check_markov_exact(lambda n, k, d: d**k * (d - 1) * n)
    with pytest.raises(ExerciseError, match="raised ZeroDivisionError"):
        ch02.check_markov_exact(lambda n, k, d: 1 // 0)

    ch02.check_logistic_window(lambda n, k: sum(1 + min(i - 1, k) for i in range(1, n + 1)))
    with pytest.raises(ExerciseError, match="bias"):
        ch02.check_logistic_window(lambda n, k: sum(min(i - 1, k) for i in range(1, n + 1)))
    with pytest.raises(ExerciseError, match="k weights"):
        ch02.check_logistic_window(lambda n, k: n * (k + 1))

    ch02.check_nade_break_even(195)
    with pytest.raises(ExerciseError, match="larger H still has fewer"):
        ch02.check_nade_break_even(100)
    with pytest.raises(ExerciseError, match="go lower"):
        ch02.check_nade_break_even(196)


# ---- the explorer's Python side
def test_counts_explorer_state_and_readout():
    from arlib.widgets import CountsExplorer

    w = CountsExplorer(fixed=[("conv", 1234)])
    assert (w.n, w.d, w.k, w.h, w.H) == (784, 2, 2, 10, 500)
    r = CountsExplorer.expected_readout(w.get_state(), {"n": 784, "d": 2, "k": 2, "h": 10, "H": 500})
    assert r["tabular"] == str(2**784 - 1) and r["fvsbn"] == "307720" and r["fixed0"] == "1234"
    assert abs(r["log10_tabular"] - 784 * __import__("math").log10(2)) < 1e-9
    assert w.counts()["made"] == counting.made(784, [500, 500])
    with pytest.raises(ValueError, match="d must be an int in"):
        CountsExplorer(d=1)
    with pytest.raises(ValueError, match="positive int"):
        CountsExplorer(fixed=[("conv", 0)])


# ---- every formula with an arlib model is tied to that model's stored parameters, at several sizes
@pytest.mark.parametrize("n,H", [(3, 2), (20, 7), (784, 50)])
def test_nade_count_is_the_model(n, H):
    from arlib.models import NADE

    assert sum(p.numel() for p in NADE(n, H).parameters()) == counting.nade(n, H)


@pytest.mark.parametrize("D,hidden", [(5, [3]), (10, [8, 8]), (784, [100])])
def test_made_count_is_the_model(D, hidden):
    from arlib.models import MADE

    assert sum(p.numel() for p in MADE(D, hidden).parameters()) == counting.made(D, hidden)
