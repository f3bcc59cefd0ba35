"""Check the built book in a real browser, offline: ``python -m tests.site.check_site --html _build/html``.

Installs nothing (``make test-site`` installs Debian's chromium and builds the book first).
Serves the built HTML on 127.0.0.1, drives /usr/bin/chromium with playwright, aborts and
records every request to another host, and for every page in _toc.yml checks:

* no page errors, no console errors or warnings (except the exact texts in ALLOWED_CONSOLE),
  no failed request, no response >= 400, no request to another host, at most BUDGET_BYTES;
* every ``.math`` element typeset by MathJax, every image loaded;
* every ``to_jshtml`` animation advances on "Next frame";
* every explorer (``.arlib-explorer``) renders, its ``data-readout`` changes after one
  ArrowRight on its first range input, and, when its class in arlib defines
  ``expected_readout``, the page's numbers equal arlib's to 1e-6 relative;
* every ``<details>`` in the text is folded at load and opens on a click.

It also scans every built HTML file for stylesheets/scripts/images/fonts from another host,
checks the index and the first chapter over file://, saves a full-page screenshot of each
page and prints a table (time to ready, bytes, requests, failures). Exit status 1 on any
failure; each failure line names the page and the reason.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html.parser
import http.server
import importlib
import json
import math
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from tests.site.live import check_live_explorer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in a container
    "--disable-gpu",
    "--disable-background-networking",  # no update/safe-browsing/etc. requests of its own
    "--disable-component-update",
    "--no-first-run",
]
BUDGET_BYTES = 8_000_000  # what one chapter page may transfer on a first visit (no cache)
TIMEOUT_MS = 30_000  # for each wait (MathJax, widgets, explorers); generous: 2 busy cores
VIEWPORT = {"width": 1280, "height": 900}
REL_TOL = 1e-6  # page numbers vs arlib's

# The known harmless console messages, by exact text; anything else fails the page.
ALLOWED_CONSOLE = {
    # embed-amd.js validates the widget state with ajv in strict mode, which warns (twice
    # per widget page) about a union type in ipywidgets' own JSON schema. Harmless.
    'strict mode: use allowUnionTypes to allow union type keyword at "#/properties/state'
    '/additionalProperties/properties/buffers/items/properties/path/items" (strictTypes)',
}

LOCAL_HOSTS = {"127.0.0.1"}

# ---------------------------------------------------------------------------- static scan

# Which (tag, attribute) pairs make the browser fetch something on its own.
_FETCHING_ATTRS = {
    "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "iframe": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
# <link rel=...> values that fetch (or connect to) their href; canonical/alternate/etc. do not.
_FETCHING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch",
                  "modulepreload", "preconnect", "dns-prefetch", "manifest", "mask-icon"}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*([^'")\s]+)""", re.IGNORECASE)


def is_external(url: str) -> bool:
    """True for a URL on another host (http, https or protocol-relative //host)."""
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") or url.startswith("//"):
        return (parsed.hostname or "") not in LOCAL_HOSTS
    return False


class _AssetScanner(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _check(self, what: str, value: str | None, is_srcset: bool = False) -> None:
        if not value:
            return
        urls = [part.strip().split()[0] for part in value.split(",") if part.strip()] \
            if is_srcset else [value]
        self.found += [f"{url} ({what})" for url in urls if is_external(url)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link":
            rels = set((a.get("rel") or "").lower().split())
            if rels & _FETCHING_RELS:
                self._check(f"<link rel={a.get('rel')}>", a.get("href"))
        for attr in _FETCHING_ATTRS.get(tag, ()):
            self._check(f"<{tag} {attr}>", a.get(attr), is_srcset=attr == "srcset")
        if a.get("style"):
            for url in _CSS_URL.findall(a["style"]):
                self._check(f"<{tag} style>", url)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            for url in _CSS_URL.findall(data):
                self._check("<style>", url)


def external_asset_refs(html_text: str) -> list[str]:
    """Stylesheets, scripts, images, fonts... that this HTML would load from another host.

    Links a reader clicks (``<a href>``) and URLs inside script text are not loads.
    """
    scanner = _AssetScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.found


def scan_static(html_dir: Path, pages: list[str] | None = None) -> list[tuple[str, str]]:
    """(page, reason) for every external load in the given pages (default: every HTML file)."""
    failures = []
    paths = [html_dir / p for p in pages] if pages is not None else html_dir.rglob("*.html")
    for path in sorted(p for p in paths if p.is_file()):
        rel = path.relative_to(html_dir).as_posix()
        for ref in external_asset_refs(path.read_text(encoding="utf-8", errors="replace")):
            failures.append((rel, f"loads from another host: {ref}"))
    return failures


# ---------------------------------------------------------------------------- pages

def toc_pages(toc_path: Path) -> list[str]:
    """The built page of every file in _toc.yml (root first), e.g. 'chapters/index.html'."""
    import yaml  # comes with jupyter-book

    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [re.sub(r"\.(md|ipynb|rst)$", "", f) + ".html" for f in files]


_META_REFRESH = re.compile(r'<meta[^>]+http-equiv="?refresh"?[^>]+url=([^"\'>\s]+)', re.I)


def redirect_target(html_dir: Path, page: str) -> str | None:
    """Where a <meta http-equiv=refresh> page (JB's index.html) sends the reader, if anywhere."""
    m = _META_REFRESH.search((html_dir / page).read_text(encoding="utf-8", errors="replace"))
    return m.group(1) if m else None


# ---------------------------------------------------------------------------- browser

@dataclass
class PageResult:
    page: str
    mode: str  # "http" or "file"
    ready_s: float = 0.0  # from navigation to math typeset, widgets and explorers drawn
    total_s: float = 0.0  # the whole check of the page, interactions and screenshot included
    bytes: int = 0  # over the wire (gzip where the server compresses), headers included
    decoded: int = 0  # the same files as they are on disk
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book like a plain static host: gzip for text files, as GitHub Pages
    and the like do, so that the bytes counted are the bytes a reader's browser downloads."""

    GZIP_TYPES = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".inv"}
    _cache: dict[tuple[str, float], bytes] = {}  # (path, mtime) -> gzipped bytes
    _lock = threading.Lock()

    def log_message(self, *args: object) -> None:  # keep the output to the table
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = Path(self.translate_path(self.path))
        if self.path.split("?")[0] == "/favicon.ico" and not path.is_file():
            # Chromium asks every http host for /favicon.ico by itself; the pages do not.
            self.send_response(204)
            self.end_headers()
            return
        if (path.suffix in self.GZIP_TYPES and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            key = (str(path), path.stat().st_mtime)
            with self._lock:
                if key not in self._cache:
                    self._cache[key] = gzip.compress(path.read_bytes(), compresslevel=6)
                body = self._cache[key]
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def serve(html_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Handler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# Everything the checks need from the page at load, in one evaluate().
_STATE_JS = r"""() => {
  const SHOWS = "img, canvas, svg, iframe, video, mjx-container, .arlib-explorer, input, select";
  const article = document.querySelector(".bd-article") || document.body;
  const explorers = [...document.querySelectorAll(".arlib-explorer")].map((el) => {
    // The html-manager puts each view in a .widget-subarea just before its view <script>.
    const area = el.closest(".widget-subarea");
    const tag = area && area.nextElementSibling;
    let model_id = null;
    if (tag && tag.type === "application/vnd.jupyter.widget-view+json") {
      try { model_id = JSON.parse(tag.textContent).model_id; } catch (e) {}
    }
    return { readout: el.dataset.readout ?? null, model_id,
             ranges: el.querySelectorAll('input[type="range"]').length };
  });
  const views = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]')].map((v) => {
    try { return JSON.parse(v.textContent).model_id; } catch (e) { return null; }
  });
  const stateTags = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"]')].map((s) => s.textContent);
  return {
    math: [...document.querySelectorAll(".math")]
      .filter((m) => !m.querySelector("mjx-container"))
      .map((m) => m.textContent.trim().slice(0, 60)),
    mathTotal: document.querySelectorAll(".math").length,
    images: [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0))
      .map((i) => (i.getAttribute("src") || "").slice(0, 80)),
    anims: document.querySelectorAll("div.animation").length,
    explorers, views, stateTags,
    details: [...article.querySelectorAll("details")].map((d) => {
      const body = [...d.children].filter((c) => c.tagName !== "SUMMARY");
      return { open: d.open, summary: (d.querySelector("summary")?.textContent || "").trim(),
               visible: body.some((c) => c.checkVisibility({ opacityProperty: true,
                                                            visibilityProperty: true })) };
    }),
    // Markdown table text left raw (a separator row such as |---|---:|), outside code cells' source.
    rawTables: [...article.querySelectorAll("p, li, td, pre, div.output, div.cell_output")]
      .filter((e) => !e.closest(".cell_input, .highlight-python, .highlight-ipython3"))
      .flatMap((e) => (e.innerText || "").split("\n"))
      .filter((line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/.test(line))
      .slice(0, 3),
    // Code cells and printed output wider than the column: the reader would have to scroll.
    // The book's HTML tables (arlib.book.tables) scroll in their box rather than hide a column.
    wide: [...article.querySelectorAll(".cell_input pre, .cell_output pre, .arlib-table-box")]
      .filter((e) => e.scrollWidth > e.clientWidth + 1)
      .map((e) => [e.closest(".cell_input") ? "code cell"
                   : e.matches(".arlib-table-box") ? "table" : "printed output",
                   (e.innerText || "").split("\n")
                     .reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 70)]),
    // Output areas that take room on the page and show nothing (a hidden widget's blank gap).
    gaps: [...article.querySelectorAll(".cell_output > *, .cell_output .output")]
      .filter((e) => e.getBoundingClientRect().height > 30 && !(e.innerText || "").trim()
              && !e.matches(SHOWS) && !e.querySelector(SHOWS))
      .map((e) => Math.round(e.getBoundingClientRect().height)),
  };
}"""

# Number of widget views, and how many have rendered into their .widget-subarea.
_WIDGETS_JS = r"""() => {
  const views = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]')];
  const done = views.filter((v) => {
    const area = v.previousElementSibling;
    return area && area.classList.contains("widget-subarea") && area.childElementCount > 0;
  });
  return [views.length, done.length];
}"""


def _arlib_models(state_tags: list[str]) -> dict[str, tuple[str, dict]]:
    """model_id -> (anywidget id, state) for the page's anywidget models made by arlib."""
    models = {}
    for text in state_tags:
        for model_id, model in json.loads(text).get("state", {}).items():
            wid = model.get("state", {}).get("_anywidget_id", "")
            if wid.startswith("arlib."):
                models[model_id] = (wid, model["state"])
    return models


def _explorer_class(anywidget_id: str) -> type | None:
    """The arlib class named by an anywidget id like 'arlib.widgets.pixel_bits.PixelBitsExplorer'."""
    module, _, name = anywidget_id.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        from arlib.widgets import Explorer
    except (ImportError, AttributeError):
        return None
    return cls if isinstance(cls, type) and issubclass(cls, Explorer) else None


def compare_readout(expected: dict, got: dict) -> list[str]:
    """Differences between arlib's numbers and the page's (numbers to REL_TOL relative)."""
    problems = []
    for key, want in expected.items():
        if key not in got:
            problems.append(f"{key} missing from the page's readout")
            continue
        have = got[key]
        if isinstance(want, (int, float)) and isinstance(have, (int, float)):
            if not math.isclose(have, want, rel_tol=REL_TOL, abs_tol=1e-12):
                problems.append(f"{key} = {have!r} in the page, {want!r} in arlib")
        elif have != want:
            problems.append(f"{key} = {have!r} in the page, {want!r} in arlib")
    return problems


def _shot_name(page: str, mode: str) -> str:
    stem = page.removesuffix(".html").replace("/", "__")
    return f"{stem}.png" if mode == "http" else f"{stem}.{mode}.png"


def check_page(browser, base: str, html_dir: Path, page: str, mode: str,
               shots: Path | None) -> PageResult:
    t_start = time.perf_counter()
    res = PageResult(page, mode)
    fail = res.failures.append
    ctx = browser.new_context(viewport=VIEWPORT)
    external: list[str] = []
    finished = []

    def route(r) -> None:  # every request, file:// ones too
        url = urlparse(r.request.url)
        if url.scheme in ("file", "data", "blob") or url.hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.on("pageerror", lambda e: fail(f"page error: {e}"))
    pg.on("console", lambda m: m.type in ("error", "warning") and m.text not in ALLOWED_CONSOLE
          and fail(f"console {m.type}: {m.text[:300]}"))
    pg.on("requestfailed", lambda r: urlparse(r.url).hostname not in LOCAL_HOSTS | {None, ""}
          or fail(f"request failed: {r.url} ({r.failure})"))
    pg.on("response", lambda r: r.status >= 400 and fail(f"HTTP {r.status}: {r.url}"))
    pg.on("requestfinished", lambda r: finished.append(r))
    try:
        t0 = time.perf_counter()
        # a busy 2-core machine may take a while to load 8 MB of files: be generous here
        pg.goto(urljoin(base, page), wait_until="load", timeout=3 * TIMEOUT_MS)
        target = redirect_target(html_dir, page)
        if target:  # JB's index.html: wait for the page it redirects to
            pg.wait_for_url(urljoin(urljoin(base, page), target), timeout=TIMEOUT_MS)
            pg.wait_for_load_state("load")
        _wait_ready(pg, fail)
        res.ready_s = time.perf_counter() - t0
        _check_content(pg, fail, res.notes)
        if shots:
            pg.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                        "window.scrollTo(0, 0); }")
            pg.screenshot(path=str(shots / _shot_name(page, mode)), full_page=True)
    except Exception as err:  # a timeout or a crash is a failure of this page, not of the run
        fail(f"{type(err).__name__}: {str(err).splitlines()[0][:300]}")
    for url in external:
        fail(f"request to another host: {url}")
    for req in finished:
        try:
            sizes = req.sizes()
            res.bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:  # noqa: BLE001 - sizes of a request that went away; not needed
            pass
        local = _local_file(req.url, base, html_dir)
        res.decoded += local.stat().st_size if local else 0
    res.requests = len(finished)
    if mode == "http" and res.bytes > BUDGET_BYTES:
        fail(f"transferred {res.bytes:,} bytes, over the budget of {BUDGET_BYTES:,}")
    ctx.close()
    res.total_s = time.perf_counter() - t_start
    return res


def _local_file(url: str, base: str, html_dir: Path) -> Path | None:
    """The built file that a request for url was served from, if any."""
    if not url.startswith(base):
        return None
    path = html_dir / unquote(urlparse(url[len(base):]).path)
    return path if path.is_file() else None


def _wait_ready(pg, fail) -> None:
    """Wait for MathJax, the widget views and the explorers; a wait that times out fails."""
    if pg.locator(".math").count() and pg.locator('script[src*="mathjax"]').count():
        try:
            pg.wait_for_function("() => window.MathJax?.startup?.promise", timeout=TIMEOUT_MS)
            pg.evaluate("() => MathJax.startup.promise.then(() => true)")
        except Exception:  # noqa: BLE001 - reported as untypeset math below
            fail("MathJax did not start")
    views = pg.evaluate(_WIDGETS_JS)[0]
    if views:
        try:
            pg.wait_for_function(f"() => ({_WIDGETS_JS})()[1] === {views}", timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001
            n = pg.evaluate(_WIDGETS_JS)[1]
            fail(f"{views - n} of {views} widgets did not render")
    state = pg.evaluate(_STATE_JS)
    models = _arlib_models(state["stateTags"])  # the state may hold explorers never shown
    expected = sum(model_id in models for model_id in state["views"])
    if expected:  # anywidget imports each front end asynchronously: wait for every readout
        js = ("n => document.querySelectorAll('.arlib-explorer[data-readout]').length >= n")
        try:
            pg.wait_for_function(js, arg=expected, timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001
            n = pg.locator(".arlib-explorer[data-readout]").count()
            fail(f"{expected - n} of {expected} explorers did not render")


def _check_content(pg, fail, notes: list[str]) -> None:
    state = pg.evaluate(_STATE_JS)
    if state["math"]:
        fail(f"{len(state['math'])} of {state['mathTotal']} math elements not typeset "
             f"(raw TeX left), first: {state['math'][0]!r}")
    notes.append(f"{state['mathTotal']} math")
    if state["images"]:  # maybe lazy: bring them into view and look again
        for img in pg.locator("img").all():
            img.scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        for src in pg.evaluate(_STATE_JS)["images"]:
            fail(f"image did not load: {src}")
    # Every <details> in the text: folded at load, opens on a click.
    for i, d in enumerate(state["details"]):
        if d["open"] or d["visible"]:
            fail(f"<details> {i} ({d['summary']!r}) is not folded at load")
    details = pg.locator(".bd-article details, body:not(:has(.bd-article)) details")
    for i in range(details.count()):
        d = details.nth(i)
        for _ in range(2):   # a second try: an explorer rendering above may move the summary mid-click
            if d.evaluate("d => d.open"):
                break
            d.locator(":scope > summary").click()
            try:
                d.evaluate("d => new Promise((ok, no) => { const t0 = Date.now(); (function poll() {"
                           " if (d.open) ok(true); else if (Date.now() - t0 > 2000) no(new Error('closed'));"
                           " else setTimeout(poll, 50); })(); })")
            except Exception:  # noqa: BLE001 - reported below if it stays closed
                pass
        body_visible = d.evaluate("d => [...d.children].some(c => c.tagName !== 'SUMMARY' && "
                                  "c.checkVisibility({opacityProperty: true, visibilityProperty: true}))")
        if not (d.evaluate("d => d.open") and body_visible):
            fail(f"<details> {i} ({state['details'][i]['summary']!r}) did not open on a click")
    notes.append(f"{len(state['details'])} details")
    for line in state["rawTables"]:
        fail(f"raw Markdown table text in the page: {line.strip()[:80]!r}")
    for kind, line in state["wide"][:3]:
        fail(f"{kind} wider than the column (scrolls sideways): {line!r}")
    for height in state["gaps"][:3]:
        fail(f"empty output gap of {height} px (an output that shows nothing)")
    # Every to_jshtml animation: one click on "Next frame" changes the frame.
    anims = pg.locator("div.animation")
    for i in range(anims.count()):
        a = anims.nth(i)
        frame = "a => [a.querySelector('input.anim-slider').value, a.querySelector('img').src]"
        before = a.evaluate(frame)
        a.locator('button[title="Next frame"]').click()
        if a.evaluate(frame) == before:
            fail(f"animation {i} did not advance on 'Next frame'")
    notes.append(f"{anims.count()} animations")
    _check_explorers(pg, fail, state, notes)


def _check_explorers(pg, fail, state: dict, notes: list[str]) -> None:
    models = _arlib_models(state["stateTags"])
    boxes = pg.locator(".arlib-explorer")
    compared = 0
    for i, info in enumerate(state["explorers"]):
        name = f"explorer {i}"
        if info["model_id"] in models:
            name += f" ({models[info['model_id']][0].rpartition('.')[2]})"
        before = info["readout"]
        if before is None:
            fail(f"{name} has no data-readout")
            continue
        if not info["ranges"]:
            fail(f"{name} has no input[type=range] to move")
            continue
        box = boxes.nth(i)
        box.locator('input[type="range"]').first.focus()
        pg.keyboard.press("ArrowRight")
        try:
            box.evaluate("(el, before) => new Promise((ok, no) => { const t0 = Date.now();"
                         " (function poll() { if (el.dataset.readout !== before) ok(true);"
                         " else if (Date.now() - t0 > 3000) no(new Error('unchanged'));"
                         " else setTimeout(poll, 50); })(); })", before)
        except Exception:  # noqa: BLE001
            fail(f"{name} did not respond: data-readout unchanged after ArrowRight "
                 "on its first range input")
            continue
        after = box.get_attribute("data-readout")
        on = box.locator('button[title="one step on"]')   # a replay's step controls (draw.transport)
        if on.count():
            box.locator('button[title="first step"]').click()
            on.click()
            try:
                stepped = json.loads(box.get_attribute("data-readout")).get("step")
            except json.JSONDecodeError:
                stepped = None
            if stepped != 1:
                fail(f"{name}: '|<' then '+1' should show step 1, the readout says {stepped!r}")
            after = box.get_attribute("data-readout")   # compared with arlib below
        if info["model_id"] not in models:
            continue
        wid, model_state = models[info["model_id"]]
        cls = _explorer_class(wid)
        if cls is None:
            continue
        for label, text in (("at load", before), ("after ArrowRight", after)):
            try:
                got = json.loads(text)
            except json.JSONDecodeError:
                fail(f"{name} data-readout {label} is not JSON: {text[:100]!r}")
                continue
            if cls.__name__ == "LiveModelExplorer":
                continue   # its numbers are checked by live.check_live_explorer, to 1e-3 nats
            want = cls.expected_readout(model_state, got)
            if want is not None:
                compared += 1
                for problem in compare_readout(want, got):
                    fail(f"{name} {label}: {problem}")
        if cls.__name__ == "LiveModelExplorer":
            check_live_explorer(pg, box, cls, model_state, name, fail, notes)
            compared += 1
    notes.append(f"{len(state['explorers'])} explorers ({compared} readouts checked against arlib)")


# ---------------------------------------------------------------------------- run

def run(html_dir: Path, pages: list[str], file_pages: list[str], shots: Path | None,
        ) -> list[PageResult]:
    from playwright.sync_api import sync_playwright  # the `site` extra

    if shots:
        shots.mkdir(parents=True, exist_ok=True)
        for old in shots.glob("*.png"):  # no stale shots of pages since removed
            old.unlink()
    server, base = serve(html_dir)
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
            for page in pages:
                results.append(check_page(browser, base, html_dir, page, "http", shots))
            file_base = html_dir.resolve().as_uri() + "/"
            for page in file_pages:
                results.append(check_page(browser, file_base, html_dir, page, "file", shots))
            browser.close()
    finally:
        server.shutdown()
    return results


def report(results: list[PageResult], static: list[tuple[str, str]]) -> list[str]:
    """Print the table; return the failure lines."""
    print(f"{'page':40} {'mode':4} {'ready s':>7} {'total s':>7} {'wire bytes':>11} "
          f"{'disk bytes':>11} {'reqs':>4} {'fails':>5}  content")
    for r in results:
        print(f"{r.page:40} {r.mode:4} {r.ready_s:7.2f} {r.total_s:7.2f} {r.bytes:11,} {r.decoded:11,} "
              f"{r.requests:4} {len(r.failures):5}  {', '.join(r.notes)}")
    http = [r for r in results if r.mode == "http"]
    if http:
        big = max(http, key=lambda r: r.bytes)
        print(f"largest page: {big.page}: {big.bytes:,} bytes over the wire (budget "
              f"{BUDGET_BYTES:,}), {big.decoded:,} bytes of files")
    lines = [f"FAIL {page} [static]: {why}" for page, why in static]
    lines += [f"FAIL {r.page} [{r.mode}]: {why}" for r in results for why in r.failures]
    return lines


def main(argv: list[str] | None = None) -> int:
    global TIMEOUT_MS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=Path("_build/html"), help="the built book")
    ap.add_argument("--toc", type=Path, help="default: _toc.yml two levels above --html")
    ap.add_argument("--pages", nargs="*", help="pages to check instead of the toc's")
    ap.add_argument("--file-pages", nargs="*",
                    help="pages to check over file:// (default: index.html and the first chapter)")
    ap.add_argument("--screenshots", type=Path, help="default: screenshots/ beside --html")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_MS / 1000,
                    help="seconds for each wait (MathJax, widgets, explorers)")
    args = ap.parse_args(argv)
    TIMEOUT_MS = int(args.timeout * 1000)
    html_dir = args.html.resolve()
    if not (html_dir / "index.html").is_file() and not args.pages:
        print(f"no built book at {html_dir} (run `make book`)")
        return 1
    if args.pages is not None:
        pages = args.pages
    else:
        pages = toc_pages(args.toc or html_dir.parents[1] / "_toc.yml")
        pages += [p for p in ("genindex.html", "search.html") if (html_dir / p).is_file()]
    missing = [p for p in pages if not (html_dir / p).is_file()]
    if args.file_pages is not None:
        file_pages = args.file_pages
    else:
        file_pages = ["index.html"] + pages[1:2] if args.pages is None else []
    shots = args.screenshots or html_dir.parent / "screenshots"
    t0 = time.perf_counter()
    static = scan_static(html_dir, pages if args.pages is not None else None)
    results = run(html_dir, [p for p in pages if p not in missing], file_pages, shots)
    lines = [f"FAIL {p} [build]: page listed in the toc was not built" for p in missing]
    lines += report(results, static)
    print(f"checked {len(results)} page loads in {time.perf_counter() - t0:.1f} s; "
          f"screenshots in {shots}")
    for line in lines:
        print(line)
    print("site check: " + (f"{len(lines)} failure(s)" if lines else "all passed"))
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
