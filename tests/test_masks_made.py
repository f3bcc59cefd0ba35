"""MADE masks: degrees, the DAG they imply (hypothesis over sizes, orderings and seeds), the
PRNG the page shares, and rejection of masks that let an output see its own input."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from arlib.masks import (Mulberry32, check_made_masks, made_degrees, made_masks, made_order,
                         mask_connectivity)


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
