import json
import os
import subprocess

import pytest
import torch

# Unit tests are small; one thread keeps them predictable on a 2-core machine.
torch.set_num_threads(1)
os.environ.setdefault("ARLIB_FULL", "0")


@pytest.fixture
def run_js(tmp_path):
    """``run_js(esm, exports, script)``: import an explorer's bundled front end in node (``exports``, a
    comma-separated list of its module-level names, exported too), run ``script``, return its JSON stdout."""

    def run(esm: str, exports: str, script: str) -> object:
        (tmp_path / "bundle.mjs").write_text(esm + f"\nexport {{ {exports} }};\n")
        (tmp_path / "main.mjs").write_text(f'import {{ {exports} }} from "./bundle.mjs";\n{script}\n')
        out = subprocess.run(["node", str(tmp_path / "main.mjs")], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return run
