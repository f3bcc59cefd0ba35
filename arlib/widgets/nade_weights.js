// NadeWeightsExplorer: inside one NADE conditional. Pick pixel i and see which columns of the
// shared matrix W feed h_i (columns 1 .. i-1), the running sum a_i = c + W[:, <i] x_<i, h_i and
// p(x_i = 1 | x_<i). The numbers follow NadeWeightsExplorer.compute in arlib/widgets/nade_weights.py,
// in the same order (the browser test compares them).
import * as draw from "./draw.js";

const SIDE = 28, N = SIDE * SIDE;
const HOT = "#e4572e";

// ---------------------------------------------------------------- the math (as compute in Python)

// base64 of little-endian float16 -> Float64Array (exact: every float16 is a float64).
function decodeF16(b64) {
  const s = atob(b64);
  const view = new DataView(new ArrayBuffer(s.length));
  for (let k = 0; k < s.length; k++) view.setUint8(k, s.charCodeAt(k));
  const out = new Float64Array(s.length / 2);
  for (let k = 0; k < out.length; k++) {
    const u = view.getUint16(2 * k, true);
    const sign = u & 0x8000 ? -1 : 1, e = (u >> 10) & 0x1f, f = u & 0x3ff;
    out[k] = e === 0 ? sign * f * 2 ** -24
      : e === 31 ? (f ? NaN : sign * Infinity)
        : sign * (1 + f / 1024) * 2 ** (e - 15);
  }
  return out;
}

// The weights of the state, decoded once: W and V rows of the K embedded units.
function prepare(state) {
  return { ...state, K: state.units.length, W: decodeF16(state.W16), V: decodeF16(state.V16) };
}

// The readout for one digit, pixel (0-based) and number of units shown.
function readoutOf(net, digit, pixel, shown) {
  const x = net.digits[digit], logit = net.logits[digit][pixel];
  const a = [], h = [], parts = [];
  for (let k = 0; k < shown; k++) {
    let s = net.c[k];
    const row = k * N;
    for (let j = 0; j < pixel; j++) if (x[j]) s += net.W[row + j];   // a_i = c + sum_{j<i} W[:, j] x_j
    a.push(s);
    h.push(1 / (1 + Math.exp(-s)));                                   // h_i = sigmoid(a_i)
    parts.push(net.V[row + pixel] * h[k]);                            // V_ik h_ik
  }
  let contrib = 0;
  for (const v of parts) contrib += v;
  const bias = net.b[pixel];
  const p = 1 / (1 + Math.exp(-logit));
  const xi = x[pixel];
  let used = 0;
  for (let j = 0; j < pixel; j++) used += x[j];
  return {
    digit, pixel, shown, i: pixel + 1, x_i: xi, units: net.units.slice(0, shown), a, h, parts, contrib,
    b_i: bias, rest: logit - bias - contrib, logit, p, nats: -Math.log(xi === 1 ? p : 1 - p),
    columns: pixel, active_columns: used,
  };
}

// ---------------------------------------------------------------- the page (end of the math)

// blue (negative) - white - red (positive), t in [-1, 1]
function diverging(t) {
  t = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const [r, g, b] = t >= 0 ? [255, 255 - 190 * t, 255 - 200 * t] : [255 + 200 * t, 255 + 150 * t, 255];
  return [r, g, b];
}
const css = ([r, g, b]) => `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
const mix = (c, to, f) => c.map((v, k) => v + f * (to[k] - v));

function render({ model, el }) {
  const box = draw.root(el, "NadeWeightsExplorer");
  const net = prepare({
    units: model.get("units"), W16: model.get("W16"), V16: model.get("V16"), c: model.get("c"),
    b: model.get("b"), digits: model.get("digits"), logits: model.get("logits"),
  });
  const Htotal = model.get("H");
  const s = { digit: model.get("digit"), pixel: model.get("pixel"), shown: model.get("shown") };
  const rc = (p) => `row ${Math.floor(p / SIDE)}, col ${p % SIDE}`;

  const pixelSlider = draw.slider({ label: "pixel i", min: 1, max: N, value: s.pixel + 1,
    onInput: (v) => { s.pixel = v - 1; update(true); } });
  const unitSlider = draw.slider({ label: "H shown", min: 1, max: net.K, value: s.shown,
    onInput: (v) => { s.shown = v; update(true); } });
  const digitSel = draw.select({ label: "digit", value: String(s.digit),
    options: net.digits.map((_, d) => ({ value: String(d), label: `test digit ${d + 1}` })),
    onChange: (v) => { s.digit = Number(v); update(true); } });
  const panel = draw.table();
  const controls = draw.el("div", { class: "arlib-controls" },
    [pixelSlider.node, unitSlider.node, digitSel.node, panel.node]);
  const pick = (r, c) => { s.pixel = Math.min(N - 1, r * SIDE + c); pixelSlider.set(s.pixel + 1); update(true); };
  const seen = draw.heatmap({ values: new Array(N).fill(0), rows: SIDE, cols: SIDE, scale: 4, vmin: 0, vmax: 1,
    cmap: "gray", title: "x_<i (grey: not yet seen)", onPick: pick,
    format: (v) => (v === 0.5 ? "not yet seen" : `x = ${v}`) });
  const probs = draw.heatmap({ values: new Array(N).fill(0), rows: SIDE, cols: SIDE, scale: 4, vmin: 0, vmax: 1,
    title: "p(x_k = 1 | x_<k), every k", onPick: pick, legend: true });
  box.append(draw.el("div", { class: "arlib-row" },
    [controls, draw.el("div", { style: { display: "flex", flexDirection: "column", gap: "2px" } },
      [seen.node, probs.node])]));

  // W: one row per shown unit, one column per pixel
  const wCanvas = draw.el("canvas", { width: N, height: 150, class: "arlib-canvas",
    style: { width: "100%", maxWidth: "700px", height: "150px", cursor: "crosshair" } });
  const wTip = draw.el("div", { class: "arlib-tooltip" });
  const wCaption = draw.el("figcaption");
  box.append(draw.el("figure", { class: "arlib-figure", style: { maxWidth: "702px" } },
    [draw.el("div", { class: "arlib-canvas-wrap" }, [wCanvas, wTip]), wCaption]));
  const wAt = (ev) => {
    const r = wCanvas.getBoundingClientRect();
    const j = Math.floor(((ev.clientX - r.left) / r.width) * N);
    const k = Math.floor(((ev.clientY - r.top) / r.height) * s.shown);
    return j >= 0 && j < N && k >= 0 && k < s.shown ? [k, j] : null;
  };
  wCanvas.addEventListener("mousemove", (ev) => {
    const at = wAt(ev);
    if (!at) { wTip.style.display = "none"; return; }
    const [k, j] = at, x = net.digits[s.digit];
    const role = j >= s.pixel ? "not used by h_i" : x[j] ? "adds to a_i (x_j = 1)" : "in use, x_j = 0: adds 0";
    wTip.textContent = `unit ${net.units[k]}, column j = ${j + 1}: W = ${draw.fmt(net.W[k * N + j], 3)}, ${role}`;
    wTip.style.left = `${Math.min(ev.offsetX + 12, 420)}px`;
    wTip.style.top = `${ev.offsetY + 12}px`;
    wTip.style.display = "block";
  });
  wCanvas.addEventListener("mouseleave", () => { wTip.style.display = "none"; });
  wCanvas.addEventListener("click", (ev) => {
    const at = wAt(ev);
    if (at) { s.pixel = Math.min(N - 1, at[1]); pixelSlider.set(s.pixel + 1); update(true); }
  });

  const bars = draw.el("div");
  box.append(bars);

  function paintW() {
    const ctx = wCanvas.getContext("2d");
    const x = net.digits[s.digit], K = s.shown;
    const mags = [];                        // colour scale: the 99th percentile of |W| shown
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) mags.push(Math.abs(net.W[k * N + j]));
    mags.sort((u, v) => u - v);
    const big = Math.max(1e-12, mags[Math.floor(0.99 * (mags.length - 1))]);
    const H = wCanvas.height, top = 8;
    ctx.clearRect(0, 0, N, H);
    for (let j = 0; j < N; j++) {           // the strip on top: x_j for j < i
      ctx.fillStyle = j < s.pixel ? (x[j] ? "#222" : "#fff") : "#ddd";
      ctx.fillRect(j, 0, 1, top - 2);
    }
    for (let k = 0; k < K; k++) {
      const y0 = top + Math.floor((k * (H - top)) / K), y1 = top + Math.floor(((k + 1) * (H - top)) / K);
      for (let j = 0; j < N; j++) {
        let c = diverging(net.W[k * N + j] / big);
        if (j >= s.pixel) c = mix(c, [232, 232, 232], 0.88);      // not used by h_i
        else if (!x[j]) c = mix(c, [255, 255, 255], 0.6);        // used, but times x_j = 0
        ctx.fillStyle = css(c);
        ctx.fillRect(j, y0, 1, y1 - y0);
      }
    }
    ctx.fillStyle = HOT;
    ctx.fillRect(s.pixel, 0, 2, H);
    wCaption.textContent = `W, the ${K} unit(s) shown (rows) × the ${N} pixels (columns), blue < 0 < red ` +
      `(full colour at ±${draw.fmt(big, 2)}, the 99th percentile of |W|). h_i uses columns 1..${s.pixel} (left of the orange line); ` +
      "bright where x_j = 1, pale where x_j = 0 (they add nothing); the strip on top is x_<i.";
  }

  function barChart(r) {
    const NS = "http://www.w3.org/2000/svg";
    const width = 700, rowH = 44, left = 150, height = 3 * rowH + 22;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const make = draw.svgMaker(svg);
    const K = r.shown, w = (width - left - 4) / K;
    const rows = [["c_k (a_1: the start)", net.c.slice(0, K)], ["a_ik = c_k + W_k,<i x_<i", r.a],
      ["V_ik h_ik (share of logit)", r.parts]];
    rows.forEach(([name, vals], q) => {
      const mid = 10 + q * rowH + rowH / 2;
      const big = Math.max(1e-12, ...vals.map(Math.abs));
      make("text", { x: 0, y: mid - 4, "font-size": 11, fill: "#333" }, name);
      make("text", { x: 0, y: mid + 10, "font-size": 11, fill: "#777" }, `scale ±${draw.fmt(big, 2)}`);
      make("line", { x1: left, x2: width - 4, y1: mid, y2: mid, stroke: "#999", "stroke-width": 0.6 });
      vals.forEach((v, k) => {
        const hgt = (Math.abs(v) / big) * (rowH / 2 - 3);
        const bar = make("rect", { x: left + k * w + 0.5, width: Math.max(1, w - 1), y: v >= 0 ? mid - hgt : mid,
          height: Math.max(0.5, hgt), fill: css(diverging(v >= 0 ? 0.8 : -0.8)) });
        const t = document.createElementNS(NS, "title");
        t.textContent = `unit ${r.units[k]}: ${draw.fmt(v, 4)}` + (q === 1 ? `, h = ${draw.fmt(r.h[k], 4)}` : "");
        bar.append(t);
      });
    });
    make("text", { x: left, y: height - 2, "font-size": 11, fill: "#555" },
      `the ${K} unit(s) with the largest output weights ||V[:, k]|| (hover a bar for its number)`);
    return svg;
  }

  function update(fromPage) {
    const r = readoutOf(net, s.digit, s.pixel, s.shown);
    const x = net.digits[s.digit];
    seen.draw(x.map((v, j) => (j < s.pixel ? v : 0.5)));
    seen.mark(Math.floor(s.pixel / SIDE), s.pixel % SIDE);
    probs.draw(net.logits[s.digit].map((l) => 1 / (1 + Math.exp(-l))));
    probs.mark(Math.floor(s.pixel / SIDE), s.pixel % SIDE);
    paintW();
    bars.replaceChildren(barChart(r));
    draw.setReadout(box, r);
    panel.update([
      ["i", `${r.i} (${rc(s.pixel)}), x_i = ${r.x_i}`],
      ["columns of W read", `1..${r.columns}; x_j = 1 in ${r.active_columns}`],
      [`Σ V_ik h_ik, ${s.shown} shown`, draw.fmt(r.contrib)],
      [`the other ${Htotal - s.shown} units`, draw.fmt(r.rest)],
      ["bias b_i", draw.fmt(r.b_i)],
      ["logit (the sum)", draw.fmt(r.logit)],
      ["p(x_i = 1 | x_<i)", draw.fmt(r.p)],
      ["−log p(x_i | x_<i)", `${draw.fmt(r.nats)} nats`],
    ]);
    if (fromPage) {
      model.set("digit", s.digit); model.set("pixel", s.pixel); model.set("shown", s.shown);
      model.save_changes();
    }
  }
  update(false);
}

export default { render };
