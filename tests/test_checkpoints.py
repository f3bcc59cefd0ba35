import json

import pytest
import torch
from safetensors.torch import load_file

import arlib.checkpoints as ck
from arlib.book.results import CHECK, check_nll, on_papers_file
from arlib.models import MADE, IndependentBernoulli, PixelCNN


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


def test_shipped_checkpoints_fit_the_size_budget():
    """All shipped weights together stay under 50 MB (issue 14), counted from the files themselves."""
    sizes = {name: (ck.DIR / entry["file"]).stat().st_size for name, entry in ck.manifest().items()}
    assert all(sizes[name] == entry["bytes"] for name, entry in ck.manifest().items())
    assert sum(sizes.values()) < 50_000_000, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


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


@pytest.mark.parametrize("name", ck.available())
def test_shipped_checkpoint_reproduces_its_recorded_nll_on_the_papers_test_file(name):
    """Every unconditional binarized-MNIST checkpoint has its NLL on the papers' test file (Larochelle &
    Murray's bits of the same digits) recorded, and reproduces it on the check subset of that file;
    the recorded figure on all 10,000 is within 4 standard errors of the subset's."""
    entry = ck.manifest()[name]
    if not on_papers_file(ck.load_model(name)):
        assert "larochelle_murray" not in entry, name      # labels or another data set: not scored there
        return
    assert "larochelle_murray" in entry, f"{name}: run python scripts/results.py --record-check"
    papers = entry["larochelle_murray"]
    assert papers["n"] == 10_000 and papers["check"]["n"] == CHECK["n"] and papers["check"]["seed"] == CHECK["seed"]
    live = check_nll(name, source="larochelle_murray")
    assert abs(live - papers["check"]["nll_nats"]) < 0.01, (name, live, papers)
    assert abs(live - papers["nll_nats"]) < 4 * 30 / CHECK["n"] ** 0.5 + 0.5, (name, live, papers)


def _small_made():
    """A MADE(20, [30]) with one all-zero weight row, and binary data to score it on. Two masks, so
    no weight has a fixed mask (``ck.fixed_masks``) and the file holds every entry."""
    torch.manual_seed(0)
    m = MADE(20, [30], num_masks=2).eval()
    assert ck.fixed_masks(m) == {}
    with torch.no_grad():
        m.layers[0].weight[3].zero_()
    return m, (torch.rand(256, 20) < 0.3).float()


def test_int8_round_trip(tmp_path):
    m, x = _small_made()
    state = m.state_dict()
    paths = {dt: ck.save(m, str(dt)[6:], directory=tmp_path, dtype=dt) for dt in (torch.float16, torch.int8)}
    size16, size8 = (paths[dt].stat().st_size for dt in (torch.float16, torch.int8))
    assert size8 < 0.8 * size16, (size8, size16)          # 2,156 vs 3,012 bytes when written
    raw = load_file(str(paths[torch.int8]))                # what the file holds
    w, scale = raw["layers.0.weight"], raw["layers.0.weight" + ck.SCALE]
    assert w.dtype == torch.int8 and scale.dtype == torch.float32 and scale.shape == (30,)
    assert raw["layers.0.bias"].dtype == torch.float16
    back, meta = ck.load("int8", tmp_path)
    assert meta["stored"] == "int8" and sorted(back) == sorted(state)     # no scales in the state_dict
    for k in ("layers.0.weight", "layers.1.weight"):
        s = raw[k + ck.SCALE][:, None]
        assert back[k].dtype == torch.float32
        assert torch.equal(back[k], raw[k].float() * s)
        assert ((back[k] - state[k]).abs() <= s / 2 * (1 + 1e-4)).all(), k      # within half a step
        full = raw[k].abs().amax(dim=1) == 127                               # steps of max|row| / 127
        assert torch.equal(full, state[k].abs().amax(dim=1) > 0)
    assert torch.equal(back["layers.0.weight"][3], torch.zeros(20))          # the all-zero row, exactly
    for k in ("layers.0.bias", "layers.1.bias"):
        assert torch.equal(back[k], state[k].half())
    stored = ck.stored_state(state, torch.int8)            # scripts/train.py evaluates what load returns
    assert all(torch.equal(stored[k], back[k]) for k in state)
    m8 = ck.load_model("int8", tmp_path)
    assert not m8.training and m8.layers[0].weight.dtype == torch.float32
    with torch.no_grad():
        diff = (m8.log_prob(x) - m.log_prob(x)).abs().max().item()
    assert diff < 0.01, diff                               # 0.0018 nats when written


def test_float_storing_unchanged(tmp_path):
    m, _ = _small_made()
    state = m.state_dict()
    for dt in (torch.float16, torch.float32):
        name = str(dt)[6:]
        raw = load_file(str(ck.save(m, name, directory=tmp_path, dtype=dt)))
        back, meta = ck.load(name, tmp_path)
        assert meta["stored"] == name and sorted(raw) == sorted(back) == sorted(state)
        for k, v in state.items():
            assert raw[k].dtype == back[k].dtype == dt and torch.equal(back[k], v.to(dt))
            assert torch.equal(ck.stored_state(state, dt)[k], back[k])
    with pytest.raises(ValueError, match="torch.int8"):
        ck.save(m, "bad", directory=tmp_path, dtype=torch.int16)


def test_weights_with_fixed_masks_are_stored_as_their_kept_entries(tmp_path):
    torch.manual_seed(0)
    m = MADE(20, [30], direct=True).eval()                 # one mask: its masked entries never count
    with torch.no_grad():
        for w in (m.layers[0].weight, m.layers[1].weight, m.direct.weight):
            w.normal_(0, 0.1)                              # arbitrary values where the masks zero
        m.layers[0].weight[~m.layers[0].mask.bool()] = 1e3  # large ones must not set an int8 row's scale
    masks = ck.fixed_masks(m)
    assert sorted(masks) == ["direct.weight", "layers.0.weight", "layers.1.weight"]
    x = (torch.rand(64, 20) < 0.3).float()
    state = m.state_dict()
    for dt in (torch.float16, torch.int8):
        name = str(dt)[6:]
        raw = load_file(str(ck.save(m, name, directory=tmp_path, dtype=dt)))
        back, meta = ck.load(name, tmp_path)
        assert meta["kept"] == sorted(masks) and sorted(back) == sorted(state)
        for k, mask in masks.items():
            assert raw[k].shape == (int(mask.sum()),)       # the kept entries only
            assert torch.equal(back[k][~mask], torch.zeros(int((~mask).sum()), dtype=back[k].dtype))
        assert all(torch.equal(v, back[k]) for k, v in ck.stored_state(state, dt, masks).items())
        if dt == torch.float16:
            for k, mask in masks.items():
                assert torch.equal(back[k][mask], state[k][mask].half())
        else:
            s = raw["layers.0.weight" + ck.SCALE]
            kept = state["layers.0.weight"].masked_fill(~masks["layers.0.weight"], 0)
            torch.testing.assert_close(s, kept.abs().amax(dim=1) / 127)
        with torch.no_grad():
            diff = (ck.load_model(name, tmp_path).log_prob(x) - m.log_prob(x)).abs().max().item()
        assert diff < 0.01, (name, diff)                    # the same model, up to the stored precision

    p = PixelCNN(1, 4, 3, 3, 5, height=6, width=6).eval()  # masked kernels: fixed masks too
    assert sorted(ck.fixed_masks(p)) == ["layers.0.weight", "layers.1.weight", "layers.2.weight"]
    ck.save(p, "pixelcnn", directory=tmp_path)             # as trained: exactly the same model back
    y = torch.randint(0, 2, (5, 1, 6, 6)).float()
    with torch.no_grad():
        assert torch.equal(ck.load_model("pixelcnn", tmp_path).log_prob(y), p.log_prob(y))


def test_a_file_whose_kept_weights_do_not_match_the_model_is_refused(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    path = ck.save(MADE(20, [30], direct=True), "made", directory=tmp_path, dtype=torch.float16)
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
    save_file(load_file(str(path)), str(path), metadata={**meta, "kept": '["layers.0.weight"]'})
    man = ck.manifest(tmp_path)
    man["made"]["sha256"] = ck._sha256(path)
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(RuntimeError, match="by their masks; the model's fixed masks are"):
        ck.load_model("made", tmp_path)
