"""The site checker must fail, naming the page and the reason, on pages that are broken.

Run by `make test-site` after the real check (needs /usr/bin/chromium and a built book, whose
_static/ the crafted pages use). Each case is one small HTML page in a temporary folder (one is
a built chapter with its explorer's front end altered), checked by
`python -m tests.site.check_site` exactly as `make test-site` runs it.
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
    "raw_table.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS,
                            "<div class='cell_output'><pre>| model | NLL |\n|---|---:|\n| FVSBN | 99.1 |</pre></div>"),
                       ["[http]: raw Markdown table text in the page: '|---|---:|'"]),
    "blank_gap.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS,
                            "<div class='cell_output'><div class='output' style='height: 80px'></div></div>"),
                       ["[http]: empty output gap of 80 px"]),
    "wide_code.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS,
                            "<div class='cell_input'><pre style='width: 300px; overflow: auto'>"
                            "total = " + " + ".join(["1"] * 60) + "</pre></div>"),
                       ["[http]: code cell wider than the column (scrolls sideways)"]),
    "wide_output.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS,
                              "<div class='cell_output'><pre style='width: 300px; overflow: auto; "
                              "white-space: pre'>" + " ".join(["word"] * 80) + "</pre></div>"),
                         ["[http]: printed output wider than the column (scrolls sideways)"]),
    "wide_table.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER, RESPONDS,
                             "<div class='cell_output'><div class='arlib-table-box' style='width: 300px; "
                             "overflow-x: auto'><table><tr>" + "<td>column</td>" * 40 + "</tr></table></div></div>"),
                        ["[http]: table wider than the column (scrolls sideways)"]),
    # a replay whose slider works but whose step buttons do nothing
    "stuck_replay.html": (page(MATHJAX, MATH, IMAGE, DETAILS, EXPLORER.replace(
                               "</div>", "<button title='first step'>|&lt;</button>"
                                         "<button title='one step on'>+1</button></div>"), RESPONDS),
                          ["[http]: explorer 0: '|<' then '+1' should show step 1"]),
}


# A built chapter page with a PixelBitsExplorer whose front end (embedded in the page's widget
# state) is changed to count nats instead of bits: the page's numbers no longer equal arlib's.
PIXEL_BITS_JS = "return -Math.log2(x === 1 ? theta : 1 - theta);"
WRONG_JS = "return -Math.log(x === 1 ? theta : 1 - theta);"


def pixel_bits_page() -> Path | None:
    for path in sorted((BUILT / "chapters").glob("*.html")):
        if PIXEL_BITS_JS in path.read_text(encoding="utf-8"):
            return path
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crafted_site")
    shutil.copytree(BUILT / "_static", root / "_static")
    source = pixel_bits_page()
    if source:
        if (BUILT / "_images").is_dir():
            shutil.copytree(BUILT / "_images", root / "_images")
        if (BUILT / "searchindex.js").is_file():
            shutil.copy(BUILT / "searchindex.js", root)
        (root / "chapters").mkdir()
        html = source.read_text(encoding="utf-8").replace(PIXEL_BITS_JS, WRONG_JS)
        (root / "chapters" / "wrong_numbers.html").write_text(html, encoding="utf-8")
    (root / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" '
                                  'height="8"><circle cx="4" cy="4" r="4"/></svg>')
    for name, (html, _) in CASES.items():
        (root / name).write_text(html)
    return root


def run_checker(site: Path, *pages: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tests.site.check_site", "--html", str(site),
           "--pages", *pages, "--file-pages", "--screenshots", str(site / "shots")]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def broken_run(site: Path) -> subprocess.CompletedProcess:
    """One run of the checker over every broken page (one browser start, not one per case)."""
    pages = [name for name, (_, reasons) in CASES.items() if reasons]
    if (site / "chapters" / "wrong_numbers.html").is_file():
        pages.append("chapters/wrong_numbers.html")
    return run_checker(site, *pages)


def fail_lines(out: subprocess.CompletedProcess, name: str) -> list[str]:
    return [line for line in out.stdout.splitlines() if line.startswith(f"FAIL {name} ")]


def test_a_page_with_everything_working_passes(site: Path) -> None:
    out = run_checker(site, "good.html")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "site check: all passed" in out.stdout


def test_the_run_over_broken_pages_fails(broken_run: subprocess.CompletedProcess) -> None:
    assert broken_run.returncode == 1, broken_run.stdout + broken_run.stderr
    assert all(line.split()[1] in CASES or line.split()[1] == "chapters/wrong_numbers.html"
               for line in broken_run.stdout.splitlines() if line.startswith("FAIL "))


@pytest.mark.parametrize("name", [name for name, (_, reasons) in CASES.items() if reasons])
def test_checker_names_the_page_and_the_reason(broken_run, name: str) -> None:
    lines = fail_lines(broken_run, name)
    for reason in CASES[name][1]:
        assert any(line.startswith(f"FAIL {name} {reason}") for line in lines), (
            f"expected a line 'FAIL {name} {reason}...'; got:\n" + "\n".join(lines)
            + "\n" + broken_run.stdout + broken_run.stderr)


def test_checker_compares_explorer_numbers_with_arlib(site: Path, broken_run) -> None:
    if not (site / "chapters" / "wrong_numbers.html").is_file():
        pytest.skip("no built chapter has a PixelBitsExplorer")
    name = "chapters/wrong_numbers.html"
    lines = "\n".join(fail_lines(broken_run, name))
    assert f"FAIL {name} [http]: explorer 0 (PixelBitsExplorer) at load: bits = " in lines, lines
    assert f"FAIL {name} [http]: explorer 0 (PixelBitsExplorer) after ArrowRight: total_bits = " \
        in lines, lines
