"""scripts/train.py: a recipe's settings can be overridden from the command line, and the
overrides are what the run uses and what the checkpoint records."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from arlib.book.results import check_nll

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train import parse_setting, status  # noqa: E402


def test_parse_setting_reads_literals_and_strings():
    assert parse_setting("average_from=40") == ("average_from", 40)
    assert parse_setting("lr=2e-3") == ("lr", 2e-3)
    assert parse_setting("schedule=None") == ("schedule", None)
    assert parse_setting("optimizer=adagrad") == ("optimizer", "adagrad")
    for bad in ("lr", "=3", "two words=1"):
        with pytest.raises(SystemExit, match="KEY=VALUE"):
            parse_setting(bad)


def test_set_overrides_the_recipe_and_is_recorded(tmp_path):
    cmd = [sys.executable, "scripts/train.py", "--model", "bernoulli", "--short", "--threads", "1",
           "--set", "lr=0.05", "--set", "epochs=2", "--run-dir", str(tmp_path / "run"),
           "--out", str(tmp_path / "out")]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    info = json.loads((tmp_path / "out" / "manifest.json").read_text())["bernoulli"]["info"]
    assert info["settings"]["lr"] == 0.05 and info["settings"]["epochs"] == 2
    assert info["epochs_run"] == 2 and info["lr"][0] == 0.05
    # the check figures the tests of shipped checkpoints compare with are recorded by the run itself
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["bernoulli"]
    assert entry["check"]["nll_nats"] == pytest.approx(check_nll("bernoulli", tmp_path / "out"), abs=1e-3)
    papers = check_nll("bernoulli", tmp_path / "out", source="larochelle_murray", n=10_000)
    assert entry["larochelle_murray"]["nll_nats"] == pytest.approx(papers, abs=1e-3)


def test_init_starts_from_the_checkpoint_and_records_its_lineage(tmp_path):
    """A warm restart (``--set init=NAME``): the run starts from NAME's weights, and the checkpoint's
    curves are the parent's followed by the run's own, on one clock."""
    from arlib import recipes
    from arlib.checkpoints import load_model, manifest

    parent = manifest()["fvsbn"]["info"]
    model, hist = recipes.run("fvsbn", full=False, progress=False, init="fvsbn", lr=0.0, epochs=1,
                              max_steps=1, n_train=100, n_valid=100)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 load_model("fvsbn").state_dict().values()))
    cmd = [sys.executable, "scripts/train.py", "--model", "fvsbn", "--short", "--threads", "1",
           "--set", "init=fvsbn", "--set", "epochs=2", "--set", "max_steps=None", "--set", "n_train=500",
           "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "out")]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    info = json.loads((tmp_path / "out" / "manifest.json").read_text())["fvsbn"]["info"]
    k = parent["epochs_run"]
    assert info["init"]["checkpoint"] == "fvsbn" and info["init"]["epochs"] == k
    assert info["epochs_run"] == k + 2 and len(info["valid_nll"]) == k + 2
    assert info["valid_nll"][:k] == parent["valid_nll"]
    t0 = parent["train_seconds"]
    assert info["valid_seconds"][k] > t0 and info["valid_seconds"] == sorted(info["valid_seconds"])
    assert info["train_seconds"] == info["valid_seconds"][-1]


def test_status_says_where_each_run_stands(tmp_path):
    env = {**os.environ, "ARLIB_RUNS": str(tmp_path / "runs")}
    train = [sys.executable, "scripts/train.py", "--model", "bernoulli", "--short", "--threads", "1",
             "--set", "epochs=2", "--out", str(tmp_path / "out")]
    status = [sys.executable, "scripts/train.py", "--status"]

    def run(cmd):
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    assert run(status).startswith("no runs in ")
    run(train + ["--max-minutes", "0.0001"])            # a sitting cut inside its first epoch
    first = run(status)
    assert first.startswith("bernoulli-short: epoch 1 (the recipe has ") and first.strip().endswith("resumable")
    run(train)                                          # the same command again: continues to its end
    again = run(status)
    assert again.startswith("bernoulli-short: epoch 2 ") and again.strip().endswith("; finished"), again


def test_status_gives_the_time_a_resumable_run_has_left_at_its_pace(tmp_path):
    """Epochs 2-4 took 130, 110 and 120 s: the median, 120 s, times the recipe's remaining epochs."""
    from dataclasses import asdict

    from arlib.recipes import settings
    from arlib.train import STATE_FILE, History

    epochs = settings("pixelcnn_wide", full=True)["epochs"]
    h = History(epoch=[1, 2, 3, 4], valid_nll=[90.0, 89.0, 88.5, 88.2], valid_seconds=[100.0, 230.0, 340.0, 460.0],
                best_epoch=4, best_valid_nll=88.2)
    (tmp_path / "pixelcnn_wide").mkdir()
    torch.save({"history": asdict(h), "elapsed": 460.0}, tmp_path / "pixelcnn_wide" / STATE_FILE)
    line, = status(tmp_path)
    assert line.endswith(f"resumable, at most {120.0 * (epochs - 4) / 3600:.1f} h to go at its pace"), line
    h.valid_seconds, h.epoch = h.valid_seconds[:2], h.epoch[:2]     # one step: that epoch's time
    torch.save({"history": asdict(h), "elapsed": 230.0}, tmp_path / "pixelcnn_wide" / STATE_FILE)
    assert status(tmp_path)[0].endswith(f"at most {130.0 * (epochs - 2) / 3600:.1f} h to go at its pace")
    h.finished = True
    torch.save({"history": asdict(h), "elapsed": 230.0}, tmp_path / "pixelcnn_wide" / STATE_FILE)
    assert status(tmp_path)[0].endswith("; finished")
