import pytest
import torch

import arlib.checkpoints as ck
from arlib.book.results import CHECK, check_nll
from arlib.models import IndependentBernoulli


def test_round_trip_and_hash_check(tmp_path):
    m = IndependentBernoulli(5)
    with torch.no_grad():
        m.logit_theta.copy_(torch.arange(5.0))
    ck.save(m, "toy", {"note": "test"}, directory=tmp_path, dtype=torch.float16)
    m2 = ck.load_model("toy", directory=tmp_path)
    assert torch.equal(m2.logit_theta, m.logit_theta) and ck.load("toy", tmp_path)[1]["info"] == {"note": "test"}
    assert m2.logit_theta.dtype == torch.float32          # stored in float16, loaded into the model's float32
    assert ck.available(tmp_path) == ["toy"]
    f = tmp_path / "toy.safetensors"
    f.write_bytes(f.read_bytes()[:-1] + b"\x01")
    with pytest.raises(RuntimeError, match="sha256"):
        ck.load("toy", tmp_path)
    with pytest.raises(KeyError, match="no checkpoint named"):
        ck.load("nope", tmp_path)


def test_shipped_checkpoints_match_manifest():
    for name, entry in ck.manifest().items():
        state, meta = ck.load(name)  # raises if a hash is off
        assert meta["class"] == entry["class"] and state


@pytest.mark.parametrize("name", ck.available())
def test_shipped_checkpoint_reproduces_its_recorded_nll(name):
    """Every shipped checkpoint gives, here and now, the NLL recorded when it was made (on the seeded
    check subset of 1,000 test images; its full-test figure was measured on all 10,000 by
    scripts/train.py).  A wrong weight, a changed model or a broken loader moves it far more."""
    entry = ck.manifest()[name]
    assert "check" in entry, f"{name}: run python scripts/results.py --record-check"
    assert entry["check"]["n"] == CHECK["n"] and entry["check"]["seed"] == CHECK["seed"]
    live = check_nll(name)
    assert abs(live - entry["check"]["nll_nats"]) < 0.01, (name, live, entry["check"]["nll_nats"])
    full = entry["info"].get("test_nll_nats")
    if full is not None:        # the subset is a fair sample: within 4 standard errors of the full figure
        assert abs(live - full) < 4 * 30 / CHECK["n"] ** 0.5 + 0.5, (name, live, full)
