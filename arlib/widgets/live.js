// LiveModelExplorer: draw a digit; the trained models (models.js, weights from live.py) compute
// p(x_i = 1 | x_<i), the per-pixel nats and log p(x) in the page as you draw, and complete the
// image from its first rows, pixel by pixel in the model's order, from a seed.
import * as draw from "./draw.js";
import * as models from "./models.js";

const SIDE = 28, D = SIDE * SIDE, PEN = 8, SMALL = 5;
const bits = (s) => Uint8Array.from(s, (ch) => (ch === "1" ? 1 : 0));
const str = (x) => Array.from(x, (v) => (v ? "1" : "0")).join("");

// A 28 x 28 binary image on a canvas: ink black, paper white; optional line under row `cut`.
function paintImage(ctx, x, scale, { shown = null, cut = null } = {}) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, SIDE * scale, SIDE * scale);
  for (let i = 0; i < D; i++) {
    if (shown && !shown[i]) {
      ctx.fillStyle = "#e8eef6";   // not drawn yet
    } else {
      ctx.fillStyle = x[i] ? "#111" : "#fff";
    }
    ctx.fillRect((i % SIDE) * scale, Math.floor(i / SIDE) * scale, scale, scale);
  }
  if (cut !== null && cut > 0 && cut < SIDE) {
    ctx.strokeStyle = "#e4572e";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(0, cut * scale);
    ctx.lineTo(SIDE * scale, cut * scale);
    ctx.stroke();
  }
}

function render({ model, el }) {
  const specs = model.get("models");
  const digits = model.get("digits");
  const nets = specs.map((s) => models.prepare(s));
  let current = Math.min(model.get("model_index"), nets.length - 1);
  let keepRows = model.get("keep_rows"), seed = model.get("seed");
  let x = bits(digits[0]), digit = 0, erase = false;
  let result = null, totals = nets.map(() => NaN), updateMs = 0, completion = null, animation = 0;

  const box = draw.root(el, "LiveModelExplorer");
  box.style.maxWidth = "100%";

  // ---- the drawing canvas
  const pad = draw.el("canvas", { width: SIDE * PEN, height: SIDE * PEN, class: "arlib-canvas",
                                  "aria-label": "drawing canvas", "data-role": "pad" });
  pad.style.touchAction = "none";
  pad.style.cursor = "crosshair";
  const padCtx = pad.getContext("2d");
  const modeButton = draw.button("pen: draw", () => { erase = !erase; modeButton.textContent = erase ? "pen: erase" : "pen: draw"; });
  const clearButton = draw.button("clear", () => { x.fill(0); changed(true); });
  const digitButton = draw.button("test digit", () => {
    digit = (digit + 1) % digits.length;
    x = bits(digits[digit]);
    changed(true);
  }, "load the next test digit");
  const padFigure = draw.el("figure", { class: "arlib-figure" }, [
    pad, draw.el("div", { style: { display: "flex", gap: "6px", marginTop: "4px" } }, [modeButton, clearButton, digitButton]),
    draw.el("figcaption", { text: "draw here (mouse or touch)" }),
  ]);
  let stroking = false, pending = false;
  function ink(ev) {
    const r0 = pad.getBoundingClientRect();
    const fc = ((ev.clientX - r0.left) / r0.width) * SIDE - 0.5, fr = ((ev.clientY - r0.top) / r0.height) * SIDE - 0.5;
    const c0 = Math.floor(fc), rr0 = Math.floor(fr);
    let touched = false;
    for (const [r, c] of [[rr0, c0], [rr0, c0 + 1], [rr0 + 1, c0], [rr0 + 1, c0 + 1]]) {   // a 2 x 2 pen
      if (r < 0 || r >= SIDE || c < 0 || c >= SIDE) continue;
      const v = erase ? 0 : 1;
      if (x[r * SIDE + c] !== v) { x[r * SIDE + c] = v; touched = true; }
    }
    if (touched && !pending) {   // at most one update per frame while drawing
      pending = true;
      requestAnimationFrame(() => { pending = false; changed(false); });
    }
  }
  pad.addEventListener("pointerdown", (ev) => { stroking = true; pad.setPointerCapture(ev.pointerId); ink(ev); });
  pad.addEventListener("pointermove", (ev) => { if (stroking) ink(ev); });
  const endStroke = () => { if (stroking) { stroking = false; changed(true); } };
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  // ---- the model's view of it
  const zeros = new Array(D).fill(0);
  const pMap = draw.heatmap({ values: zeros, rows: SIDE, cols: SIDE, scale: SMALL + 1, vmin: 0, vmax: 1, legend: true,
                              title: "p(xᵢ = 1 | x<ᵢ)", format: (v) => draw.fmt(v, 3) });
  const natsMap = draw.heatmap({ values: zeros, rows: SIDE, cols: SIDE, scale: SMALL + 1, vmin: 0, legend: true,
                                 title: "−log p(xᵢ | x<ᵢ), nats", format: (v) => `${draw.fmt(v, 3)} nats` });
  const orderMap = draw.heatmap({ values: zeros, rows: SIDE, cols: SIDE, scale: SMALL + 1, vmin: 0, vmax: D - 1, legend: true,
                                  title: "the order (step at which each pixel is drawn)", format: (v) => `step ${v + 1}`,
                                  legendFormat: (v) => String(v + 1) });
  const numbers = draw.table();
  const modelSelect = nets.length > 1
    ? draw.select({ label: "model", value: String(current), options: nets.map((n, k) => ({ value: String(k), label: n.name })),
                    onChange: (v) => { current = Number(v); maskControl(); changed(true); } })
    : null;
  const allModels = draw.table();
  const maskBox = draw.el("div");   // MADE with several masks: which one (its ordering) is in use
  function maskControl() {
    const net = nets[current];
    if (net.kind !== "made" || net.masks.length < 2) { maskBox.replaceChildren(); return; }
    const pick = draw.select({ label: "mask", value: String(net.mask),
                               options: net.masks.map((_, k) => ({ value: String(k), label: `${k + 1} of ${net.masks.length}` })),
                               onChange: (v) => { models.setMask(net, Number(v)); changed(true); } });
    maskBox.replaceChildren(pick.node);
  }

  // ---- completion
  const out = draw.el("canvas", { width: SIDE * PEN, height: SIDE * PEN, class: "arlib-canvas", "data-role": "completion" });
  const outCtx = out.getContext("2d");
  const rowsSlider = draw.slider({ label: "keep rows", min: 0, max: SIDE - 1, value: keepRows,
                                   onInput: (v) => { keepRows = v; complete(true); } });
  const seedBox = draw.el("input", { type: "number", min: 0, step: 1, value: seed, "aria-label": "seed", style: { width: "6em" } });
  seedBox.addEventListener("change", () => { seed = Math.max(0, Math.floor(Number(seedBox.value) || 0)); complete(true); });
  const again = draw.button("again", () => { seed += 1; seedBox.value = seed; complete(true); }, "the next seed");
  const outFigure = draw.el("figure", { class: "arlib-figure" }, [
    out, draw.el("figcaption", { text: "kept: the rows above the red line; the rest sampled" }),
    rowsSlider.node, draw.el("label", { class: "arlib-control" }, [draw.el("span", { text: "seed" }), seedBox, again]),
  ]);

  box.append(
    draw.el("div", { class: "arlib-row" }, [padFigure, pMap.node, natsMap.node]),
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [...(modelSelect ? [modelSelect.node] : []), maskBox, numbers.node,
        ...(nets.length > 1 ? [draw.el("div", { text: "every model, the same drawing:", style: { marginTop: "6px" } }), allModels.node] : [])]),
      outFigure,
      // the order panel where the order can change: a MADE with several masks, one ordering each
      ...(nets.some((n) => n.kind === "made" && n.masks.length > 1) ? [orderMap.node] : []),
    ]),
  );

  function publish() {
    const net = nets[current], total = result.total;
    const readout = { model: net.name, model_index: current, mask: net.mask ?? null, image: str(x), total_nats: total,
                      bits_per_dim: total / Math.LN2 / D, keep_rows: keepRows, seed,
                      completion: completion ? str(completion.x) : "", update_ms: updateMs };
    totals.forEach((t, k) => { readout[`nats_${k}`] = t; });
    draw.setReadout(box, readout);
  }

  // Recompute the shown model at once; the others (all = true) when a stroke ends.
  function changed(all) {
    paintImage(padCtx, x, PEN);
    const t0 = performance.now();
    result = models.conditionals(nets[current], x);
    updateMs = performance.now() - t0;
    totals[current] = result.total;
    if (all) nets.forEach((net, k) => { if (k !== current) totals[k] = models.conditionals(net, x).total; });
    pMap.draw(Array.from(result.p));
    natsMap.draw(Array.from(result.nats));
    const rank = new Array(D);
    nets[current].order.forEach((i, t) => { rank[i] = t; });
    orderMap.draw(rank);
    const net = nets[current];
    numbers.update([
      ["model", `${net.name}${net.kind === "made" ? ` (mask ${(net.mask ?? 0) + 1} of ${net.masks.length})` : ""}`],
      ["−log p(x)", `${draw.fmt(result.total, 2)} nats = ${draw.fmt(result.total / Math.LN2, 1)} bits`],
      ["bits per pixel", draw.fmt(result.total / Math.LN2 / D, 4)],
      ["one pass in this page", `${draw.fmt(updateMs, 1)} ms`],
    ]);
    if (nets.length > 1) allModels.update(nets.map((n, k) => [n.name, `${draw.fmt(totals[k], 2)} nats`]));
    if (all) complete(false);
    else publish();
  }

  // Keep the first keepRows rows of the drawing, sample the rest; animate = draw the sampled
  // pixels one by one in the order they were drawn (the readout holds the finished result).
  function complete(animate) {
    const keep = Array.from({ length: D }, (_, i) => i < keepRows * SIDE);
    completion = models.complete(nets[current], x, keep, seed);
    rowsSlider.set(keepRows);
    publish();
    cancelAnimationFrame(animation);
    const shown = Uint8Array.from(keep, (k) => (k ? 1 : 0));
    const steps = completion.order;
    if (!animate) { paintImage(outCtx, completion.x, PEN, { cut: keepRows }); return; }
    let t = 0;
    const frame = () => {
      for (let k = 0; k < SIDE && t < steps.length; k++, t++) shown[steps[t]] = 1;   // a row's worth per frame
      paintImage(outCtx, completion.x, PEN, { shown, cut: keepRows });
      if (t < steps.length) animation = requestAnimationFrame(frame);
    };
    frame();
  }

  maskControl();
  changed(true);
  return () => cancelAnimationFrame(animation);
}

export default { render };
