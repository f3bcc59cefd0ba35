"""MADE masks: degrees, the DAG they imply (hypothesis over sizes, orderings and seeds), the
PRNG the page shares, and rejection of masks that let an output see its own input."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from arlib.masks import Mulberry32, check_made_masks, made_degrees, made_masks, made_order, mask_connectivity
from arlib.models import MADE


def _pos(order):
    pos = torch.empty(len(order), dtype=torch.long)
    pos[torch.as_tensor(order)] = torch.arange(len(order))
    return pos


@st.composite
def made_settings(draw):
    D = draw(st.integers(2, 24))
    hidden = draw(st.lists(st.integers(1, 30), min_size=1, max_size=4))
    kind = draw(st.sampled_from(["natural", "random", "custom"]))
    seed = draw(st.integers(0, 2**32 - 1))
    ordering = draw(st.permutations(range(D))) if kind == "custom" else kind
    return D, hidden, ordering, seed


@settings(max_examples=300, deadline=None)
@given(made_settings())
def test_product_of_masks_is_strictly_lower_triangular_in_the_order(s):
    D, hidden, ordering, seed = s
    degrees = made_degrees(D, hidden, ordering, seed)
    masks = made_masks(degrees)
    order = torch.argsort(degrees[0])
    assert torch.equal(order, made_order(D, ordering, seed))
    R = mask_connectivity(masks)
    P = R[order][:, order]  # rows = outputs, columns = inputs, both in generation order
    assert not torch.triu(P).any(), "an output reaches an input at or after its own position"
    check_made_masks(masks, order)  # the library check agrees
    # paths counted exactly agree with reachability
    assert torch.equal(mask_connectivity(masks, count_paths=True) > 0, R)


@settings(max_examples=200, deadline=None)
@given(made_settings())
def test_degrees_are_in_range_and_non_decreasing_lower_bound(s):
    D, hidden, ordering, seed = s
    degrees = made_degrees(D, hidden, ordering, seed)
    assert sorted(degrees[0].tolist()) == list(range(1, D + 1))
    for prev, cur, h in zip(degrees[:-1], degrees[1:], hidden):
        assert cur.shape == (h,)
        assert int(cur.min()) >= int(prev.min()) and int(cur.max()) <= D - 1
    # every hidden unit has at least one incoming connection (its lower bound is the min below)
    for M in made_masks(degrees)[:-1]:
        assert (M.sum(1) > 0).all()


def test_output_mask_is_strict_and_hidden_masks_are_not():
    degrees = [torch.tensor([1, 2, 3]), torch.tensor([1, 2]), torch.tensor([2, 1])]
    M1, M2, Mout = made_masks(degrees)
    assert M1.tolist() == [[1, 0, 0], [1, 1, 0]]          # m^1(k) >= m^0(d)
    assert M2.tolist() == [[1, 1], [1, 0]]                 # m^2(k) >= m^1(k')
    assert Mout.tolist() == [[0, 0], [0, 1], [1, 1]]       # m^0(d) > m^2(k)
    check_made_masks([M1, M2, Mout], torch.arange(3))


def test_a_mask_that_lets_an_output_see_its_own_input_is_rejected():
    degrees = made_degrees(5, [8], "natural", seed=3)
    masks = made_masks(degrees)
    bad_out = (degrees[0][:, None] >= degrees[1][None, :]).float()  # >= instead of > at the output
    with pytest.raises(ValueError, match="can reach itself"):
        check_made_masks([masks[0], bad_out], torch.arange(5))
    with pytest.raises(ValueError, match="not autoregressive"):  # right masks, wrong order
        check_made_masks(masks, torch.arange(5).flip(0))


def test_masks_must_chain():
    masks = made_masks(made_degrees(4, [3], "natural"))
    with pytest.raises(ValueError, match="inputs"):
        check_made_masks(masks, torch.arange(5))


def test_bad_arguments():
    with pytest.raises(ValueError, match="D >= 2"):
        made_degrees(1, [3])
    with pytest.raises(ValueError, match="positive"):
        made_degrees(4, [3, 0])
    with pytest.raises(ValueError, match="permutation"):
        made_order(3, [0, 0, 1])
    with pytest.raises(ValueError, match="natural"):
        made_order(3, "reverse")


def test_mulberry32_reference_values_and_blocks():
    # the canonical JavaScript mulberry32 (as in made_masks.js) gives, times 2**32, for seeds 0 and 42:
    a = Mulberry32(0).uniform(3)
    b = Mulberry32(42).uniform(3)
    assert (a * 2**32).astype(np.int64).tolist() == [1144304738, 1416247, 958946056]
    assert (b * 2**32).astype(np.int64).tolist() == [2581720956, 1925393290, 3661312704]
    rng = Mulberry32(7)
    assert np.array_equal(np.concatenate([rng.uniform(5), rng.uniform(4)]), Mulberry32(7).uniform(9))
    assert not np.array_equal(a[:2], b)
    ints = Mulberry32(1).integers(3, 5, 2000)
    assert set(ints.tolist()) == {3, 4, 5}


def test_same_seed_same_masks_different_seed_different_masks():
    d1 = made_degrees(10, [20, 20], "random", seed=5)
    d2 = made_degrees(10, [20, 20], "random", seed=5)
    d3 = made_degrees(10, [20, 20], "random", seed=6)
    assert all(torch.equal(a, b) for a, b in zip(d1, d2))
    assert not all(torch.equal(a, b) for a, b in zip(d1, d3))


# ---------------------------------------------------------------- the mask explorer

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from arlib.widgets import MadeMaskExplorer  # noqa: E402
from arlib.widgets.base import _inline  # noqa: E402

JS = Path(__file__).resolve().parents[1] / "arlib" / "widgets" / "made_masks.js"


def _js_math() -> str:
    """The explorer's math section, with models.js (its Mulberry32) inlined as the bundle does."""
    src = JS.read_text()
    start = src.index("// ---------------------------------------------------------------- the math")
    end = src.index("// ---------------------------------------------------------------- the page")
    return _inline("models", "models") + "\n" + src[start:end]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the explorer's JavaScript")
def test_page_masks_equal_arlib_masks_for_many_settings():
    cases = []
    g = np.random.default_rng(0)
    for k in range(150):
        D = int(g.integers(2, 13))
        hidden = [int(h) for h in g.integers(1, 17, size=int(g.integers(1, 5)))]
        ordering = ["natural", "random", "custom"][k % 3]
        custom = [int(i) for i in g.permutation(D)]
        seed = int(g.integers(0, 2**32)) if k % 2 else int(g.integers(0, 100))
        cases.append([D, hidden, ordering, seed, custom])
    script = _js_math() + f"""
const cases = {json.dumps(cases)};
const out = cases.map(([D, hidden, ordering, seed, custom]) => {{
  const r = madeDegrees(D, hidden, ordering, seed, custom);
  return {{order: r.order, degrees: r.degrees, masks: madeMasks(r.degrees)}};
}});
console.log(JSON.stringify(out));
"""
    res = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    for (D, hidden, ordering, seed, custom), page in zip(cases, json.loads(res.stdout)):
        degrees = made_degrees(D, hidden, custom if ordering == "custom" else ordering, seed)
        assert page["degrees"] == [d.tolist() for d in degrees], (D, hidden, ordering, seed)
        assert page["order"] == torch.argsort(degrees[0]).tolist()
        assert page["masks"] == [M.long().tolist() for M in made_masks(degrees)]


def test_explorer_readout_and_static_view():
    ex = MadeMaskExplorer(D=6, hidden=[8, 8])
    r = ex.readout()
    assert r["order"] == list(range(6)) and r["output"] == 5
    assert r["connectivity"][0] == []  # the first output sees nothing
    assert set(r["reachable"]) <= set(range(5))
    assert r == MadeMaskExplorer.expected_readout(ex.get_state(), {**r, "custom_order": list(range(6))})
    rc = ex.readout(ordering="custom", custom_order=[3, 1, 0, 2, 5, 4], output=3)
    assert rc["order"] == [3, 1, 0, 2, 5, 4] and rc["reachable"] == []  # x_4 comes first
    data = {k: v for k, v in ex.get_state().items() if k in ("D", "hidden", "ordering", "seed", "custom_order", "output")}
    assert len(json.dumps(data)) < 500  # the page computes everything else
    import matplotlib

    matplotlib.use("Agg")
    fig = ex.figure(ordering="random", seed=3)
    assert len(fig.axes) == 5  # the network, 3 masks, their product
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize("kwargs, msg", [
    (dict(D=1), "D must be"), (dict(D=13), "D must be"), (dict(hidden=[0]), "hidden must"),
    (dict(hidden=[3] * 5), "hidden must"), (dict(ordering="zigzag"), "ordering must"),
    (dict(custom_order=[0, 0, 1, 2, 3, 4]), "permutation"), (dict(output=6), "output must"),
    (dict(seed=-1), "seed must"),
])
def test_explorer_argument_errors(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        MadeMaskExplorer(**kwargs)


# ---------------------------------------------------------------- the check flags exactly the bad masks


def _reach_by_search(masks):
    """Which inputs each output reaches, by a plain graph search (independent of mask_connectivity)."""
    D = masks[0].shape[1]
    reach = []
    for d in range(masks[-1].shape[0]):
        live = {d}
        for M in reversed(masks):
            live = {j for k in live for j in M[k].nonzero().flatten().tolist()}
        reach.append(live)
    return [[j in r for j in range(D)] for r in reach]


@settings(max_examples=200, deadline=None)
@given(made_settings(), st.data())
def test_check_flags_a_mask_exactly_when_an_output_reaches_its_own_or_a_later_input(s, data):
    """Add one connection the degrees forbid to any layer: the check must reject the masks exactly
    when that connection opens a path from some input to an output at the same or an earlier
    position (e.g. a hidden unit that sees x_d and feeds output d), and accept them otherwise."""
    D, hidden, ordering, seed = s
    degrees = made_degrees(D, hidden, ordering, seed)
    masks = [M.clone() for M in made_masks(degrees)]
    order = torch.argsort(degrees[0])
    l = data.draw(st.integers(0, len(masks) - 1), label="layer")
    zeros = (masks[l] == 0).nonzero().tolist()
    if not zeros:
        return
    k, j = data.draw(st.sampled_from(zeros), label="entry")
    masks[l][k, j] = 1.0
    pos = _pos(order)
    R = _reach_by_search(masks)
    bad = any(R[d][i] and pos[i] >= pos[d] for d in range(D) for i in range(D))
    assert torch.equal(mask_connectivity(masks), torch.tensor(R, dtype=torch.bool))
    if bad:
        with pytest.raises(ValueError, match="not autoregressive"):
            check_made_masks(masks, order)
    else:
        check_made_masks(masks, order)


@pytest.mark.parametrize("hidden", [[8], [8, 8, 8]])
def test_a_hidden_unit_that_sees_its_own_output_is_rejected(hidden):
    """Wire a first-layer unit that feeds output d (through the layers above) to input x_d."""
    D = 6
    degrees = made_degrees(D, hidden, "random", seed=11)
    masks = [M.clone() for M in made_masks(degrees)]
    order = torch.argsort(degrees[0])
    d, k = (int(v) for v in mask_connectivity(masks[1:]).nonzero()[0])  # output d is fed by first-layer unit k
    assert masks[0][k, d] == 0                                           # the degrees forbid unit k from seeing x_d
    masks[0][k, d] = 1.0
    assert mask_connectivity(masks)[d, d]                                # now output d reaches its own input x_d
    with pytest.raises(ValueError, match="not autoregressive: output .* can reach"):
        check_made_masks(masks, order)


def test_made_masks_drawn_into_given_tensors_are_the_same_masks():
    """``made_masks(degrees, out)`` writes the masks into ``out`` (a MADE's buffers) and returns
    them: the same 0/1 values as drawing new tensors; a wrong number of tensors is refused."""
    degrees = made_degrees(7, [9, 5], "random", seed=4)
    want = made_masks(degrees)
    out = [torch.full_like(M, 7.0) for M in want]
    got = made_masks(degrees, out)
    assert all(g is o for g, o in zip(got, out))
    assert all(torch.equal(g, w) for g, w in zip(got, want))
    with pytest.raises(ValueError, match="3 tensors"):
        made_masks(degrees, out[:2])


def test_made_cycling_masks_in_place_gives_each_mask_exactly():
    """A K-mask MADE draws a mask it has seen before into its buffers: after cycling through all
    K twice, each mask's buffers equal a freshly drawn copy of that mask."""
    m = MADE(8, [11, 6], num_masks=3, ordering="random", seed=2, direct=True)
    for k in [0, 1, 2, 0, 1, 2, 1]:
        m.set_mask(k)
        degrees = made_degrees(8, [11, 6], "random", seed=2 + k)
        want = made_masks(degrees)
        assert all(torch.equal(layer.mask, w) for layer, w in zip(m.layers, want))
        assert torch.equal(m.direct.mask, (degrees[0][:, None] > degrees[0][None, :]).float())
        assert torch.equal(m.order, torch.argsort(degrees[0]))
