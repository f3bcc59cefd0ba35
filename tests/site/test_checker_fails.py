"""The site checker must fail, naming the page and the reason, on pages that are broken.

Run by `make test-site` after the real check (needs /usr/bin/chromium and a built book, whose
_static/ the crafted pages use). Each case is one small HTML page in a temporary folder,
checked by `python -m tests.site.check_site` exactly as `make test-site` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILT = Path(os.environ.get("ARLIB_SITE_HTML", REPO / "_build" / "html"))

if not (BUILT / "_static").is_dir():
    pytest.skip(f"no built book at {BUILT} (make test-site builds it first)",
                allow_module_level=True)
if not Path("/usr/bin/chromium").exists():
    pytest.skip("no /usr/bin/chromium (make test-site installs it)", allow_module_level=True)

# Parts of a page that passes every check: typeset math, a loaded image, a folded <details>,
# and an "explorer" whose range input changes its data-readout.
MATHJAX = '<script defer src="_static/mathjax/tex-chtml-full.js"></script>'
MATH = r'<p><span class="math notranslate nohighlight">\(p(x) = \prod_i \theta_i\)</span></p>'
IMAGE = '<img src="dot.svg" alt="a dot">'
DETAILS = "<details><summary>Hint</summary><p>Count the pixels.</p></details>"
EXPLORER = """<div class="arlib-explorer" data-readout='{"k":0}'>
  <input type="range" min="0" max="9" value="0"></div>"""
RESPONDS = """<script>
  const box = document.querySelector(".arlib-explorer");
  box.querySelector("input").addEventListener("input", (e) => {
    box.dataset.readout = JSON.stringify({ k: Number(e.target.value) });
  });
</script>"""
CDN_SCRIPT = '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'


def page(*parts: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
            + "\n".join(parts) + "</body></html>")


CASES = {
    # name: (html, reasons the output must name for that page)
    "good.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS), []),
    "cdn.html": (page(CDN_SCRIPT, MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS),
                 ["[static]: loads from another host: https://cdn.jsdelivr.net/npm/mathjax@3",
                  "[http]: request to another host: https://cdn.jsdelivr.net/npm/mathjax@3"]),
    "rawtex.html": (page(MATH, IMAGE, DETAILS, EXPLORER, RESPONDS),
                    ["[http]: 1 of 1 math elements not typeset (raw TeX left)"]),
    "dead_explorer.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER),
                           ["[http]: explorer 0 did not respond: data-readout unchanged"]),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crafted_site")
    shutil.copytree(BUILT / "_static", root / "_static")
    (root / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" '
                                  'height="8"><circle cx="4" cy="4" r="4"/></svg>')
    for name, (html, _) in CASES.items():
        (root / name).write_text(html)
    return root


def run_checker(site: Path, name: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tests.site.check_site", "--html", str(site),
           "--pages", name, "--file-pages", "--screenshots", str(site / "shots"),
           "--timeout", "8"]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("name", list(CASES))
def test_checker_verdict(site: Path, name: str) -> None:
    out = run_checker(site, name)
    text = out.stdout + out.stderr
    reasons = CASES[name][1]
    if not reasons:  # the control: a page with every feature working passes
        assert out.returncode == 0, text
        assert "site check: all passed" in out.stdout
        return
    assert out.returncode == 1, text
    fail_lines = [line for line in out.stdout.splitlines() if line.startswith("FAIL ")]
    assert fail_lines, text
    assert all(line.startswith(f"FAIL {name} ") for line in fail_lines), text
    for reason in reasons:
        assert any(line.startswith(f"FAIL {name} {reason}") for line in fail_lines), (
            f"expected a failure line 'FAIL {name} {reason}...'; got:\n" + "\n".join(fail_lines))
