"""The offline-site machinery, without a browser: the static scan of the site checker, the
toc parser, the readout comparison, the vendored assets' manifest, the config keys and the
local Sphinx extension. (`make test-site` runs the browser checks on the built book.)"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_site = _load("check_site", REPO / "tests" / "site" / "check_site.py")
offline_assets = _load("offline_assets", REPO / "site" / "ext" / "offline_assets.py")


# ------------------------------------------------------------------ static scan

@pytest.mark.parametrize("html", [
    '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
    '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/x.css">',
    '<link href="//fonts.googleapis.com/css?family=Roboto" rel="stylesheet">',
    '<link rel="preconnect" href="https://fonts.gstatic.com">',
    '<link rel="icon" href="http://example.org/favicon.ico">',
    '<img src="https://example.org/a.png">',
    '<img src="a.png" srcset="a2.png 2x, https://example.org/a3.png 3x">',
    '<video poster="https://example.org/p.jpg"></video>',
    '<iframe src="https://www.youtube.com/embed/x"></iframe>',
    '<div style="background: url(https://example.org/bg.png)"></div>',
    '<style>@font-face { src: url("https://example.org/f.woff2") }</style>',
    "<style>@import 'https://example.org/more.css';</style>",
])
def test_scan_finds_loads_from_other_hosts(html: str) -> None:
    found = check_site.external_asset_refs(f"<html><head></head><body>{html}</body></html>")
    assert len(found) == 1, found
    assert "example.org" in found[0] or "//" in found[0]


@pytest.mark.parametrize("html", [
    '<a href="https://colab.research.google.com/github/x/y.ipynb">Open in Colab</a>',
    '<link rel="canonical" href="https://example.org/book/">',
    '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>',
    '<script src="_static/mathjax/tex-chtml-full.js"></script>',
    '<script src="../_static/requirejs/require.js?v=1"></script>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<link rel="stylesheet" href="http://127.0.0.1:8000/local.css">',
    '<p>see https://example.org/a.png</p>',
])
def test_scan_ignores_links_and_local_assets(html: str) -> None:
    assert check_site.external_asset_refs(f"<html><body>{html}</body></html>") == []


def test_scan_static_names_the_page(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.html").write_text('<script src="_static/a.js"></script>')
    (tmp_path / "sub" / "bad.html").write_text('<img src="https://example.org/x.png">')
    assert check_site.scan_static(tmp_path) == [
        ("sub/bad.html", "loads from another host: https://example.org/x.png (<img src>)")]
    assert check_site.scan_static(tmp_path, ["ok.html"]) == []


# ------------------------------------------------------------------ pages, readouts

def test_toc_pages(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text(yaml.safe_dump({
        "format": "jb-book", "root": "chapters/index",
        "parts": [{"caption": "A", "chapters": [
            {"file": "chapters/01_generative_models"},
            {"file": "chapters/02_chain_rule.ipynb", "sections": [{"file": "chapters/02b"}]}]},
            {"caption": "B", "chapters": [{"file": "chapters/12_results"}]}]}))
    assert check_site.toc_pages(toc) == [
        "chapters/index.html", "chapters/01_generative_models.html",
        "chapters/02_chain_rule.html", "chapters/02b.html", "chapters/12_results.html"]


def test_the_books_toc_parses() -> None:
    pages = check_site.toc_pages(REPO / "_toc.yml")
    assert pages[0].endswith(".html") and all(p.startswith("chapters/") for p in pages)


def test_redirect_target(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=chapters/index.html" />')
    assert check_site.redirect_target(tmp_path, "index.html") == "chapters/index.html"


def test_compare_readout() -> None:
    want = {"row": 3, "theta": 0.25, "bits": 2.0}
    assert check_site.compare_readout(want, {"row": 3, "theta": 0.25 * (1 + 1e-9), "bits": 2.0}) == []
    problems = check_site.compare_readout(want, {"row": 4, "theta": 0.2501})
    assert problems == ["row = 4 in the page, 3 in arlib",
                        "theta = 0.2501 in the page, 0.25 in arlib",
                        "bits missing from the page's readout"]


def test_explorer_class_resolves_only_arlib_explorers() -> None:
    from arlib.widgets import PixelBitsExplorer

    assert check_site._explorer_class("arlib.widgets.pixel_bits.PixelBitsExplorer") is PixelBitsExplorer
    assert check_site._explorer_class("arlib.widgets.base.CSS") is None
    assert check_site._explorer_class("arlib.widgets.nope.Nope") is None


# ------------------------------------------------------------------ vendored assets, config

def test_vendored_files_match_the_manifest() -> None:
    out = subprocess.run(["bash", "scripts/vendor_web_assets.sh", "--check"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_manifest_lists_each_package_with_its_licence() -> None:
    man = json.loads((REPO / "site" / "vendor" / "MANIFEST.json").read_text())
    got = {p["package"]: p["version"] for p in man["packages"]}
    assert got == {"mathjax": "3.2.2", "requirejs": "2.3.8",
                   "@jupyter-widgets/html-manager": "1.0.15", "anywidget": "0.11.0"}
    for pkg in man["packages"]:
        assert pkg["license"]
        assert any(Path(f["path"]).name == "LICENSE" for f in pkg["files"]), pkg["package"]


def test_config_points_at_vendored_files() -> None:
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"]
    static = [REPO / d for d in cfg["config"]["html_static_path"]]
    assert all(d.is_dir() and d.name != "_static" for d in static)  # never "_static": pitfall 1
    assert not (REPO / "_static").exists()

    def served(rel: str) -> bool:  # what lands in _build/html/_static/rel
        return any((d / rel).is_file() for d in static)

    assert served(cfg["config"]["mathjax_path"])
    scripts = list(cfg["config"]["nb_ipywidgets_js"])
    assert scripts == ["requirejs/require.js", "widgets-offline.js", "html-manager/embed-amd.js"]
    assert all(served(s) for s in scripts)
    assert all(not s.startswith("http") for s in scripts)
    assert (REPO / cfg["local_extensions"]["offline_assets"] / "offline_assets.py").is_file()


# ------------------------------------------------------------------ the Sphinx extension

def _js(filename, **attributes):
    return SimpleNamespace(filename=filename, attributes=attributes)


def test_extension_removes_the_font_awesome_cdn_link_and_duplicate_scripts() -> None:
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [_js("a.js"), _js(None, body=thebe), _js("", body=thebe), _js("a.js"),
               _js("b.js", defer="defer")]
    ctx = {"body": '<p>x</p><link rel="stylesheet"\n href="https://maxcdn.bootstrapcdn.com/'
                   'font-awesome/4.4.0/css/font-awesome.min.css"><div class="animation">',
           "script_files": scripts}
    offline_assets._page_context(None, "p", "page.html", ctx, None)
    assert ctx["body"] == '<p>x</p><div class="animation">'
    assert [(s.filename, s.attributes) for s in ctx["script_files"]] == [
        ("a.js", {}), (None, {"body": thebe}), ("b.js", {"defer": "defer"})]
    assert len(scripts) == 5  # the shared list itself is left alone
