"""The live-model explorers in a real browser (called by check_site for each LiveModelExplorer).

Draws a fixed pattern on the explorer's canvas with the mouse, then checks against arlib's
Python models on the page's own weights (``LiveModelExplorer.expected_readout``): log p(x) of
the drawing under every model within 1e-3 nats, and the completion draw for draw; that the
completion keeps the given rows and is binary; that the same seed gives the same completion;
and records the time of one forward pass in the page (NADE must take under 50 ms).
"""
from __future__ import annotations

import json

NATS_TOL = 1e-3
NADE_MS = 50.0
# The pattern, in pixel coordinates (column, row) of the 28 x 28 canvas: a "7".
STROKES = [[(6, 6), (21, 6), (13, 23)], [(10, 14), (18, 14)]]

_WAIT_CHANGE = ("(el, before) => new Promise((ok, no) => { const t0 = Date.now();"
                " (function poll() { if (el.dataset.readout !== before) ok(true);"
                " else if (Date.now() - t0 > 5000) no(new Error('unchanged'));"
                " else setTimeout(poll, 50); })(); })")


def _readout(box) -> dict:
    return json.loads(box.get_attribute("data-readout"))


def _act(box, action, what: str, fail) -> bool:
    """Do ``action`` and wait until the readout changes; False (and a failure) if it does not."""
    before = box.get_attribute("data-readout")
    action()
    try:
        box.evaluate(_WAIT_CHANGE, before)
        return True
    except Exception:  # noqa: BLE001
        fail(f"{what}: the readout did not change")
        return False


def draw_pattern(pg, box) -> None:
    """Clear the canvas, then draw STROKES with the mouse."""
    box.locator("button", has_text="clear").click()
    pad = box.locator('canvas[data-role="pad"]')
    pad.scroll_into_view_if_needed()
    bb = pad.bounding_box()

    def at(c: float, r: float) -> tuple[float, float]:
        return bb["x"] + (c + 0.5) * bb["width"] / 28, bb["y"] + (r + 0.5) * bb["height"] / 28

    for stroke in STROKES:
        pg.mouse.move(*at(*stroke[0]))
        pg.mouse.down()
        for point in stroke[1:]:
            pg.mouse.move(*at(*point), steps=20)
        pg.mouse.up()


def check_live_explorer(pg, box, cls, model_state: dict, name: str, fail, notes: list[str]) -> None:
    """All checks of one LiveModelExplorer (see the module docstring)."""
    bad = lambda reason: fail(f"{name} (live models): {reason}")  # noqa: E731
    if not _act(box, lambda: draw_pattern(pg, box), "drawing on the canvas", bad):
        return
    pg.wait_for_timeout(300)   # the stroke's last update
    got = _readout(box)
    ink = got["image"].count("1")
    if not 30 <= ink <= 300:
        bad(f"the drawn pattern left {ink} pixels on; expected a stroke of 30-300")
    want = cls.expected_readout(model_state, got)
    names = [m["name"] for m in model_state["models"]]
    for k, model in enumerate(names):
        have, need = got.get(f"nats_{k}"), want[f"nats_{k}"]
        if have is None or abs(have - need) > NATS_TOL:
            bad(f"-log p(x) under {model} is {have} in the page, {need:.6f} in arlib")
    if got["completion"] != want["completion"]:
        diff = sum(a != b for a, b in zip(got["completion"], want["completion"]))
        bad(f"the completion differs from arlib's in {diff} pixels")
    keep = got["keep_rows"] * 28
    c = got["completion"]
    if len(c) != 784 or set(c) - {"0", "1"}:
        bad("the completion is not a binary 28 x 28 image")
    if c[:keep] != got["image"][:keep]:
        bad(f"the completion does not keep the {got['keep_rows']} given rows")
    # the same seed, the same completion: go to the next seed and back
    seed_box = box.locator('input[aria-label="seed"]')
    first = (got["seed"], c)
    _act(box, lambda: box.locator("button", has_text="again").click(), "the 'again' button", bad)
    _act(box, lambda: (seed_box.fill(str(first[0])), seed_box.dispatch_event("change")), "the seed box", bad)
    back = _readout(box)
    if (back["seed"], back["completion"]) != first:
        bad(f"seed {first[0]} gave another completion the second time")
    # one forward pass in the page, per model
    times = []
    select = box.locator('select[aria-label="model"]')
    for k, model in enumerate(names):
        if select.count() and _readout(box)["model_index"] != k:
            _act(box, lambda k=k: select.select_option(str(k)), f"choosing model {model}", bad)
        ms = _readout(box)["update_ms"]
        times.append(f"{model} {ms:.1f} ms")
        if model_state["models"][k]["kind"] == "nade" and ms > NADE_MS:
            bad(f"one NADE pass took {ms:.1f} ms in the page (limit {NADE_MS:.0f} ms)")
    # a MADE with several masks: another mask, another ordering; the page must follow it
    for k, spec in enumerate(model_state["models"]):
        if len(spec.get("masks", [])) < 2:
            continue
        if select.count() and _readout(box)["model_index"] != k:
            _act(box, lambda k=k: select.select_option(str(k)), f"choosing model {names[k]}", bad)
        other = str((spec.get("mask", 0) + 3) % len(spec["masks"]))
        if not _act(box, lambda: box.locator('select[aria-label="mask"]').select_option(other),
                    f"choosing mask {other} of {names[k]}", bad):
            continue
        got = _readout(box)
        want = cls.expected_readout(model_state, got)
        if got["mask"] != int(other) or abs(got[f"nats_{k}"] - want[f"nats_{k}"]) > NATS_TOL:
            bad(f"{names[k]}, mask {other}: -log p(x) {got[f'nats_{k}']} in the page, {want[f'nats_{k}']:.6f} in arlib")
        if got["completion"] != want["completion"]:
            bad(f"{names[k]}, mask {other}: the completion does not follow the mask's ordering as arlib's does")
        notes.append(f"{names[k]}: mask {other} checked")
    notes.append(f"live: {ink} pixels drawn, log p(x) within {NATS_TOL} nats of arlib; one pass: " + ", ".join(times))
