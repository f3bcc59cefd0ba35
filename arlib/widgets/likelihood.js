// LikelihoodExplorer: where each model spends its nats.
// Python (likelihood.py) passes, for every model and digit, the D terms -log p(x_i | x_<i) (nats,
// rounded to 3 decimals) and each model's generation order; the page sums them (total, running
// total, bits/dim) and draws the maps with no kernel. Sums run one by one, in the same order as
// LikelihoodExplorer.compute, so the readout equals Python's.
import * as draw from "./draw.js";

const BLUE = "#3b528b", RED = "#e4572e";

// a diverging colour for t in [-1, 1]: blue (< 0), white (0), red (> 0)
function diverging(t) {
  t = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const [r, g, b] = t >= 0 ? [228, 87, 46] : [59, 82, 139];
  const a = Math.abs(t);
  const mix = (c) => Math.round(255 + a * (c - 255));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

function render({ model, el }) {
  const names = model.get("names"), terms = model.get("terms"), orders = model.get("orders");
  const digits = model.get("digits"), H = model.get("height"), W = model.get("width"), D = H * W;
  const vmax = model.get("vmax");
  const clampInt = (v, lo, hi) => Math.min(Math.max(Math.round(Number(v)) || 0, lo), hi);
  let m = clampInt(model.get("model"), 0, names.length - 1);
  let k = clampInt(model.get("digit"), 0, digits.length - 1);
  let p = clampInt(model.get("pixel"), 0, D - 1);
  let c = model.get("compare");
  c = c >= 0 && c < names.length ? c : -1;

  const box = draw.root(el, "LikelihoodExplorer");
  const scale = Math.max(3, Math.min(8, Math.floor(224 / Math.max(H, W))));

  // ---------------------------------------------------------------- controls
  const pixelSlider = draw.slider({
    label: "pixel", min: 0, max: D - 1, value: p,
    format: (v) => `${v} (row ${Math.floor(v / W)}, col ${v % W})`,
    onInput: (v) => { p = v; update(true); },
  });
  const modelSel = draw.select({
    label: "model", options: names.map((n, j) => ({ value: String(j), label: n })), value: String(m),
    onChange: (v) => { m = Number(v); update(true); },
  });
  const digitSel = draw.select({
    label: "digit", options: digits.map((_, j) => ({ value: String(j), label: `test digit ${j}` })),
    value: String(k), onChange: (v) => { k = Number(v); update(true); },
  });
  const compareSel = draw.select({
    label: "compare with",
    options: [{ value: "-1", label: "(none)" }, ...names.map((n, j) => ({ value: String(j), label: n }))],
    value: String(c), onChange: (v) => { c = Number(v); update(true); },
  });
  const panel = draw.table();

  // ---------------------------------------------------------------- figures
  const pick = (r, col) => { p = r * W + col; update(true); };
  const image = draw.heatmap({ values: digits[k], rows: H, cols: W, scale, vmin: 0, vmax: 1, cmap: "gray",
                               title: "the test digit (black = 1)", format: (v) => `x_i = ${v}`, onPick: pick });
  const map = draw.heatmap({ values: terms[m][k], rows: H, cols: W, scale, vmin: 0, vmax, cmap: "seq",
                             title: "-log p(x_i | x_<i), nats (one scale for all models)", onPick: pick,
                             legend: true, format: (v) => `${draw.fmt(v, 3)} nats` });

  // the difference map of compare mode (own canvas: a diverging scale)
  const diffCanvas = draw.el("canvas", { width: W * scale, height: H * scale, class: "arlib-canvas" });
  const diffCaption = draw.el("figcaption", { text: "" });
  const diffNode = draw.el("figure", { class: "arlib-figure" }, [diffCanvas, draw.el("div", {
    class: "arlib-colourbar" }, [draw.el("span", { text: `−${draw.fmt(vmax, 2)}` }), draw.el("span", {
    class: "arlib-ramp", style: { background: `linear-gradient(to right, ${diverging(-1)}, #fff, ${diverging(1)})` },
  }), draw.el("span", { text: `+${draw.fmt(vmax, 2)}` })]), diffCaption]);
  const dctx = diffCanvas.getContext("2d");
  diffCanvas.style.cursor = "crosshair";
  const cellAt = (ev) => {
    const b = diffCanvas.getBoundingClientRect();
    const col = Math.floor(((ev.clientX - b.left) / b.width) * W);
    const r = Math.floor(((ev.clientY - b.top) / b.height) * H);
    return r >= 0 && r < H && col >= 0 && col < W ? [r, col] : null;
  };
  diffCanvas.addEventListener("click", (ev) => { const cell = cellAt(ev); if (cell) pick(cell[0], cell[1]); });
  diffCanvas.addEventListener("mousemove", (ev) => {
    const cell = cellAt(ev);
    if (!cell || c < 0) return;
    const i = cell[0] * W + cell[1];
    diffCanvas.title = `row ${cell[0]}, col ${cell[1]}: ${draw.fmt(terms[m][k][i] - terms[c][k][i], 3)} nats`;
  });

  // the running total: -log p(x_{o_1..o_t}) against t, in each model's order
  const CW = 360, CH = 200;
  const curve = draw.el("canvas", { width: CW, height: CH, class: "arlib-canvas" });
  const cctx = curve.getContext("2d");
  const curveNode = draw.el("figure", { class: "arlib-figure", style: { maxWidth: `${CW + 2}px` } }, [curve, draw.el("figcaption", {
    text: "running total of -log p, pixel by pixel in the model's order (raster for all but MADE)" })]);

  box.append(draw.el("div", { class: "arlib-row" }, [
    draw.el("div", { class: "arlib-controls" }, [pixelSlider.node, modelSel.node, digitSel.node, compareSel.node,
                                                 panel.node]),
    image.node, map.node, diffNode, curveNode,
  ]));

  // ---------------------------------------------------------------- sums (as LikelihoodExplorer.compute)
  function total(j) {
    let s = 0;
    for (const v of terms[j][k]) s += v;
    return s;
  }
  function running(j) {  // cumulative sums in the model's order: out[t] = sum of the first t + 1 terms
    const t = terms[j][k], out = new Float64Array(D);
    let s = 0;
    orders[j].forEach((i, step) => { s += t[i]; out[step] = s; });
    return out;
  }

  function paintDiff() {
    diffNode.style.display = c >= 0 ? "" : "none";
    if (c < 0) return;
    diffCaption.textContent = `${names[m]} − ${names[c]} (red: ${names[m]} pays more)`;
    const a = terms[m][k], b = terms[c][k];
    for (let i = 0; i < D; i++) {
      dctx.fillStyle = diverging((a[i] - b[i]) / vmax);
      dctx.fillRect((i % W) * scale, Math.floor(i / W) * scale, scale, scale);
    }
    dctx.lineWidth = 2;
    dctx.strokeStyle = "#222";
    dctx.strokeRect((p % W) * scale + 1, Math.floor(p / W) * scale + 1, scale - 2, scale - 2);
  }

  function paintCurve(curves, steps) {
    const padL = 40, padB = 22, padT = 8, padR = 8;
    const top = Math.max(1, ...curves.map((cv) => cv.values[D - 1]));
    const X = (t) => padL + ((t + 1) / D) * (CW - padL - padR);
    const Y = (v) => CH - padB - (v / top) * (CH - padB - padT);
    cctx.clearRect(0, 0, CW, CH);
    cctx.fillStyle = "#fff";
    cctx.fillRect(0, 0, CW, CH);
    cctx.strokeStyle = "#999";
    cctx.lineWidth = 1;
    cctx.beginPath();
    cctx.moveTo(padL, padT);
    cctx.lineTo(padL, CH - padB);
    cctx.lineTo(CW - padR, CH - padB);
    cctx.stroke();
    cctx.fillStyle = "#555";
    cctx.font = "10px sans-serif";
    cctx.fillText(draw.fmt(top, 0), 2, padT + 8);
    cctx.fillText("0", padL - 10, CH - padB);
    cctx.fillText(`pixels in order (1 … ${D})`, padL + 60, CH - 6);
    curves.forEach((cv) => {
      cctx.strokeStyle = cv.colour;
      cctx.lineWidth = 1.5;
      cctx.beginPath();
      cv.values.forEach((v, t) => (t ? cctx.lineTo(X(t), Y(v)) : cctx.moveTo(X(t), Y(v))));
      cctx.stroke();
    });
    curves.forEach((cv, j) => {  // the picked pixel on each curve
      const t = steps[j];
      cctx.fillStyle = cv.colour;
      cctx.beginPath();
      cctx.arc(X(t), Y(cv.values[t]), 3.5, 0, 2 * Math.PI);
      cctx.fill();
      cctx.fillText(cv.label, padL + 6, padT + 10 + 12 * j);
    });
  }

  function update(fromPage) {
    const t = terms[m][k];
    const tot = total(m);
    const run = running(m);
    const step = orders[m].indexOf(p);
    const readout = {
      model: names[m], digit: k, total_nats: tot, bits_per_dim: tot / (D * Math.LN2), pixel: p,
      pixel_nats: t[p], cumulative_nats: run[step], compare: c >= 0 ? names[c] : null,
      compare_total_nats: c >= 0 ? total(c) : null,
    };
    draw.setReadout(box, readout);
    pixelSlider.set(p);
    modelSel.set(String(m));
    digitSel.set(String(k));
    compareSel.set(String(c));
    const r = Math.floor(p / W), col = p % W;
    image.draw(digits[k]);
    image.mark(r, col);
    map.draw(t);
    map.mark(r, col);
    paintDiff();
    const curves = [{ values: run, colour: BLUE, label: names[m] }];
    const steps = [step];
    if (c >= 0 && c !== m) {
      curves.push({ values: running(c), colour: RED, label: names[c] });
      steps.push(orders[c].indexOf(p));
    }
    paintCurve(curves, steps);
    const rows = [
      ["total -log p(x)", `${draw.fmt(tot, 2)} nats`],
      ["bits/dim", draw.fmt(readout.bits_per_dim, 4)],
      [`pixel ${p} (row ${r}, col ${col}), x_i = ${digits[k][p]}`, `${draw.fmt(t[p], 3)} nats`],
      [`running total up to it (step ${step + 1} of ${D})`, `${draw.fmt(readout.cumulative_nats, 2)} nats`],
    ];
    if (c >= 0) {
      rows.push([`${names[c]}: total`, `${draw.fmt(readout.compare_total_nats, 2)} nats`]);
      rows.push([`${names[c]}: this pixel`, `${draw.fmt(terms[c][k][p], 3)} nats`]);
    }
    panel.update(rows);
    if (fromPage) {
      model.set("model", m);
      model.set("digit", k);
      model.set("pixel", p);
      model.set("compare", c);
      model.save_changes();
    }
  }

  const follow = () => {
    m = clampInt(model.get("model"), 0, names.length - 1);
    k = clampInt(model.get("digit"), 0, digits.length - 1);
    p = clampInt(model.get("pixel"), 0, D - 1);
    const cc = model.get("compare");
    c = cc >= 0 && cc < names.length ? cc : -1;
    update(false);
  };
  const events = ["change:model", "change:digit", "change:pixel", "change:compare"];
  events.forEach((e) => model.on(e, follow));
  update(false);
  return () => events.forEach((e) => model.off(e, follow));
}

export default { render };
