import json

import pytest
import torch

import arlib.checkpoints as ck
from arlib.models import IndependentBernoulli


def test_round_trip_and_hash_check(tmp_path, monkeypatch):
    monkeypatch.setattr(ck, "DIR", tmp_path)
    monkeypatch.setattr(ck, "MANIFEST", tmp_path / "manifest.json")
    m = IndependentBernoulli(5)
    with torch.no_grad():
        m.logit_theta.copy_(torch.arange(5.0))
    ck.save(m, "toy", {"note": "test"}, directory=tmp_path)
    m2 = ck.load_model("toy")
    assert torch.equal(m2.logit_theta, m.logit_theta) and ck.load("toy")[1]["info"] == {"note": "test"}
    assert ck.available() == ["toy"]
    f = tmp_path / "toy.safetensors"
    f.write_bytes(f.read_bytes()[:-1] + b"\x01")
    with pytest.raises(RuntimeError, match="sha256"):
        ck.load("toy")
    with pytest.raises(KeyError, match="no checkpoint named"):
        ck.load("nope")


def test_shipped_checkpoints_match_manifest():
    for name, entry in ck.manifest().items():
        state, meta = ck.load(name)  # raises if a hash is off
        assert meta["class"] == entry["class"] and state
