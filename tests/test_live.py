"""The live models of the page: weight export (live.py) and the JavaScript forward pass (models.js).

The JS is run in node on small models of every kind and compared with arlib on the same
(rounded) weights: log p(x) to 1e-9 nats, completions draw for draw.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import torch

from arlib import checkpoints, recipes
from arlib.data import load_binarized_mnist
from arlib.models import FVSBN, MADE, NADE, PixelCNN, PixelRNN
from arlib.train import evaluate
from arlib.widgets import LiveModelExplorer
from arlib.widgets.base import HERE
from arlib.widgets.live import complete, decode, page_model, page_spec, quantize

KEEP_ROWS, SEED = 9, 7


def small_models() -> dict[str, torch.nn.Module]:
    """One small 28 x 28 model of every kind the page runs, with weights large enough to matter."""
    torch.manual_seed(0)
    made3 = MADE(784, [40, 30], num_masks=3, ordering="random", seed=3)
    made3.set_mask(2)   # a mask whose order is not raster: the sampler must follow it
    models = {"fvsbn": FVSBN(784), "nade": NADE(784, 24), "made": MADE(784, [48], direct=True),
              "made_random_order": made3, "pixelcnn": PixelCNN(1, 8, 3, 3, 7),
              "pixelcnn_residual": PixelCNN(1, 6, 3, 3, 5, residual=True)}
    for m in models.values():
        for p in m.parameters():
            p.data.normal_(0, 0.1)
    return models


def images(n: int = 2) -> torch.Tensor:
    return (torch.rand(n, 784, generator=torch.Generator().manual_seed(1)) < 0.3).double()


@torch.no_grad()
def mask_density(model, x: torch.Tensor) -> torch.Tensor:
    """-log p(x) under the mask in use (for MADE's ensemble too: the page shows one mask)."""
    x = x.reshape(len(x), *model.event_shape)
    return -model.log_prob_from_logits(model(x), x)


NODE = """
import * as M from "./models.mjs";
import fs from "fs";
const {specs, x, keepRows, seed} = JSON.parse(fs.readFileSync(process.argv[2]));
const out = specs.map((spec) => {
  const net = M.prepare(spec);
  const keep = x[0].map((_, i) => i < keepRows * spec.width);
  const c = M.complete(net, x[0], keep, seed);
  const again = M.complete(net, x[0], keep, seed);
  return {nats: x.map((xi) => M.conditionals(net, xi).total), p: Array.from(M.conditionals(net, x[0]).p),
          completion: Array.from(c.x).join(""), same: Array.from(again.x).join("") === Array.from(c.x).join(""),
          drawnOrder: c.order};
});
console.log(JSON.stringify(out));
"""


def run_models_js(specs: list[dict], x: torch.Tensor, tmp_path) -> list[dict]:
    (tmp_path / "models.mjs").write_text((HERE / "models.js").read_text())
    (tmp_path / "main.mjs").write_text(NODE)
    (tmp_path / "in.json").write_text(json.dumps({"specs": specs, "x": x.int().tolist(),
                                                  "keepRows": KEEP_ROWS, "seed": SEED}))
    run = subprocess.run(["node", str(tmp_path / "main.mjs"), str(tmp_path / "in.json")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_forward_pass_and_sampler_equal_arlib_on_the_same_weights(tmp_path):
    models = small_models()
    specs = [page_spec(m, name) for name, m in models.items()]
    x = images()
    got = run_models_js(specs, x, tmp_path)
    for (name, m), spec, js in zip(models.items(), specs, got):
        pm = page_model(m, spec)
        want = mask_density(pm, x)
        np.testing.assert_allclose(js["nats"], want.numpy(), atol=1e-8, err_msg=name)
        p = torch.sigmoid(pm(x[:1].reshape(1, *m.event_shape))).reshape(-1).detach()
        np.testing.assert_allclose(js["p"], p.numpy(), atol=1e-10, err_msg=name)
        done = complete(pm, x[0], KEEP_ROWS, SEED)
        assert js["completion"] == "".join(str(int(v)) for v in done.tolist()), name
        assert js["same"], name
        kept = KEEP_ROWS * 28
        assert js["completion"][:kept] == "".join(str(int(v)) for v in x[0, :kept].tolist()), name
        # the page draws the free pixels in the model's order, never in raster order by mistake
        assert js["drawnOrder"] == [i for i in m.order.tolist() if i >= kept], name
    assert got[3]["drawnOrder"] != sorted(got[3]["drawnOrder"])   # the random order is not raster


def test_sampling_in_the_wrong_order_is_caught():
    """The classic MADE bug (sampling in raster order under a random ordering) changes the completion."""
    m = small_models()["made_random_order"]
    pm = page_model(m)
    x = images(1)[0]
    right = complete(pm, x, 0, SEED)
    m_raster = MADE(784, [40, 30], num_masks=3, ordering="random", seed=3)
    m_raster.load_state_dict(m.state_dict())
    m_raster.set_mask(2)
    m_raster.order.copy_(torch.arange(784))   # the bug: masks of one order, sampled in another
    wrong = complete(page_model(m_raster), x, 0, SEED)
    assert not torch.equal(right, wrong)


def test_quantize_rounds_each_weight_by_at_most_half_a_step():
    w = torch.randn(7, 5, 3) * torch.logspace(-3, 1, 7)[:, None, None]
    w[2] = 0
    t = quantize(w)
    back = decode(t)
    scale = np.abs(w.double().numpy().reshape(7, -1)).max(axis=1) / 127
    err = np.abs(back - w.double().numpy()).reshape(7, -1).max(axis=1)
    assert np.all(err <= scale / 2 * (1 + 1e-6) + 1e-12)
    assert np.all(back[2] == 0)


@pytest.mark.parametrize("name", ["fvsbn", "nade", "made_small", "pixelcnn"])
def test_shipped_models_in_the_page_lose_under_a_tenth_of_a_nat(name):
    """The page's int8 weights against the checkpoint's on 500 test images (seeded subset)."""
    model = checkpoints.load_model(name).eval()
    shape = recipes.get(name).SHAPE   # the recipe names the data layout
    x = load_binarized_mnist("test", shape=shape)
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:500]
    x = x[idx]
    full = evaluate(model, x).nll
    page = evaluate(page_model(model).float(), x).nll
    assert abs(page - full) < 0.1, (name, page, full)


def test_unsupported_models_and_bad_input_are_refused():
    with pytest.raises(ValueError, match="no forward pass"):
        page_spec(PixelRNN(), "rnn")
    with pytest.raises(ValueError, match="binary"):
        LiveModelExplorer([page_spec(NADE(784, 4), "n")], np.full((1, 784), 0.5))
    with pytest.raises(ValueError, match="keep_rows"):
        LiveModelExplorer([page_spec(NADE(784, 4), "n")], np.zeros((1, 784)), keep_rows=40)


def test_expected_readout_recomputes_every_models_nats_and_the_completion():
    models = small_models()
    w = LiveModelExplorer.from_models({"NADE": models["nade"], "FVSBN": models["fvsbn"]}, images(2).numpy())
    state = w.get_state()
    x = images(1)[0]
    image = "".join(str(int(v)) for v in x.tolist())
    pn = page_model(models["nade"], state["models"][0])
    done = complete(pn, x, 5, 3)
    readout = {"image": image, "model_index": 0, "keep_rows": 5, "seed": 3,
               "completion": "".join(str(int(v)) for v in done.tolist())}
    want = LiveModelExplorer.expected_readout(state, readout)
    assert want["completion"] == readout["completion"]
    assert want["nats_0"] == pytest.approx(float(mask_density(pn, x[None])[0]), abs=1e-9)
    assert want["nats_1"] == pytest.approx(float(mask_density(page_model(models["fvsbn"]), x[None])[0]), abs=1e-9)
