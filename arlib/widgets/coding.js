// CodingExplorer: an exact arithmetic coder, run in the page on a model's quantized conditionals.
// Python (coding.py) passes q1[model][digit][step] (p(x_i = 1 | x_<i) as integers out of 2^precision,
// in the model's generation order) and the digits; the interval, the settled bits and the code length
// are computed here with BigInt, exactly as CodingExplorer.compute does (the browser test compares them).
import * as draw from "./draw.js";

const TAIL = 48;

function bitLength(v) { return v === 0n ? 0 : v.toString(2).length; }

// Fewest bits k such that a cell [m, m + 1) / 2^k lies inside [low, low + width) / 2^S.
function codeLength(low, width, S) {
  let k = Math.max(0, S - bitLength(width));
  for (;;) {
    if (k > S) return k;
    const s = BigInt(S - k);
    const m = -((-low) >> s);
    if ((m + 1n) << s <= low + width) return k;
    k += 1;
  }
}

function render({ model, el }) {
  const names = model.get("names"), q1All = model.get("q1"), orders = model.get("orders");
  const digits = model.get("digits"), P = model.get("precision");
  const H = model.get("height"), W = model.get("width"), D = H * W;
  const TOP = 1 << P, PB = BigInt(P), TOPB = BigInt(TOP);
  let m = model.get("model"), k = model.get("digit"), step = model.get("step");
  let lows = [], widths = [], cum = [];

  // The intervals after 0..D steps, and the running sum of -log2 p (same order as Python).
  function recompute() {
    const q1 = q1All[m][k], order = orders[m], x = digits[k];
    lows = [0n]; widths = [1n]; cum = [0];
    let low = 0n, width = 1n, ideal = 0;
    for (let t = 0; t < D; t++) {
      const v = x[order[t]], q = q1[t];
      low = (low << PB) + (v ? width * BigInt(TOP - q) : 0n);
      width = width * BigInt(v ? q : TOP - q);
      ideal += -Math.log2((v ? q : TOP - q) / TOP);
      lows.push(low); widths.push(width); cum.push(ideal);
    }
  }

  const box = draw.root(el, "CodingExplorer");
  const stepSlider = draw.slider({ label: "step", min: 0, max: D, value: step, onInput: (v) => { step = v; update(true); } });
  const modelSel = draw.select({ label: "model", options: names.map((n, i) => ({ value: String(i), label: n })),
                                 value: String(m), onChange: (v) => { m = Number(v); recompute(); update(true); } });
  const digitSel = draw.select({ label: "digit", options: digits.map((_, i) => ({ value: String(i), label: `test digit ${i}` })),
                                 value: String(k), onChange: (v) => { k = Number(v); recompute(); update(true); } });
  const btn = (text, delta) => draw.button(text, () => { step = Math.min(D, Math.max(0, step + delta)); update(true); });
  const scale = 7;
  const coded = draw.heatmap({ values: new Array(D).fill(0), rows: H, cols: W, scale, vmin: 0, vmax: 1, cmap: "gray",
                               title: "pixels coded so far (grey: not yet)", format: (v) => (v < 0 ? "not yet" : String(v)),
                               onPick: (r, c) => { step = orders[m].indexOf(r * W + c) + 1; update(true); } });
  const bitsMap = draw.heatmap({ values: new Array(D).fill(0), rows: H, cols: W, scale, vmin: 0, vmax: 4,
                                 title: "bits spent per pixel, −log₂ p(x_i | x_<i)", legend: true,
                                 onPick: (r, c) => { step = orders[m].indexOf(r * W + c) + 1; update(true); } });
  const canvas = draw.el("canvas", { width: 460, height: 250, class: "arlib-canvas" });
  const ladder = draw.el("figure", { class: "arlib-figure" }, [canvas,
    draw.el("figcaption", { text: "the interval before each of the last steps, zoomed to full width: 0 takes the left part, 1 the right" })]);
  const bitsText = draw.el("pre", { style: { margin: "4px 0", fontSize: "12px", whiteSpace: "pre-wrap", maxWidth: "460px" } });
  const panel = draw.table();
  box.append(
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [stepSlider.node, modelSel.node, digitSel.node,
        draw.el("div", { class: "arlib-control" }, [btn("-1", -1), btn("+1", 1), btn("+28", 28)]), panel.node]),
      coded.node, bitsMap.node]),
    draw.el("div", { class: "arlib-row" }, [ladder, bitsText]),
  );

  function paintLadder() {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const rows = 5, x0 = 40, w = canvas.width - 60, rh = 22, gap = 24;
    const q1 = q1All[m][k], order = orders[m], x = digits[k];
    ctx.font = "11px sans-serif";
    for (let j = 0; j < rows; j++) {
      const t = step - rows + j;  // the step whose split this row shows
      const y = 10 + j * (rh + gap);
      if (t < 0) continue;
      const q0 = (TOP - q1[t]) / TOP, v = x[order[t]];
      ctx.fillStyle = v === 0 ? "#4c78a8" : "#ddd";
      ctx.fillRect(x0, y, w * q0, rh);
      ctx.fillStyle = v === 1 ? "#e4572e" : "#ddd";
      ctx.fillRect(x0 + w * q0, y, w * (1 - q0), rh);
      ctx.strokeStyle = "#333"; ctx.strokeRect(x0, y, w, rh);
      ctx.fillStyle = "#222";
      ctx.fillText(`t=${t + 1}`, 2, y + 15);
      const r = Math.floor(order[t] / W), c = order[t] % W;
      ctx.fillText(`pixel (${r},${c}) = ${v}: p = ${draw.fmt(v ? 1 - q0 : q0, 4)}, ${draw.fmt(-Math.log2(v ? 1 - q0 : q0), 3)} bits`,
                   x0 + 4, y + rh + 12);
      if (j < rows - 1) {  // the chosen part is the next row's whole width
        const a = v ? x0 + w * q0 : x0, b = v ? x0 + w : x0 + w * q0;
        ctx.strokeStyle = "#999";
        ctx.beginPath(); ctx.moveTo(a, y + rh); ctx.lineTo(x0, y + rh + gap); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(b, y + rh); ctx.lineTo(x0 + w, y + rh + gap); ctx.stroke();
      }
    }
  }

  function update(fromPage) {
    const q1 = q1All[m][k], order = orders[m], x = digits[k];
    const low = lows[step], width = widths[step], S = P * step;
    const settled = S - bitLength(low ^ (low + width - 1n));
    const bits = S ? low.toString(2).padStart(S, "0").slice(0, settled) : "";
    const readout = { model: names[m], digit: k, step, pixel: -1, value: null, p: null, pixel_bits: null,
                      ideal_bits: cum[step], settled_bits: settled, code_bits: codeLength(low, width, S),
                      emitted_tail: bits.slice(-TAIL) };
    if (step > 0) {
      const t = step - 1, v = x[order[t]];
      const p = (v ? q1[t] : TOP - q1[t]) / TOP;
      Object.assign(readout, { pixel: order[t], value: v, p, pixel_bits: -Math.log2(p) });
    }
    draw.setReadout(box, readout);
    const shown = new Array(D).fill(-1), spent = new Array(D).fill(0);
    for (let t = 0; t < step; t++) { shown[order[t]] = x[order[t]]; spent[order[t]] = cum[t + 1] - cum[t]; }
    coded.draw(shown.map((v) => (v < 0 ? 0.25 : v)));
    bitsMap.draw(spent);
    if (step > 0) { const i = order[step - 1]; coded.mark(Math.floor(i / W), i % W); bitsMap.mark(Math.floor(i / W), i % W); }
    stepSlider.set(step); modelSel.set(String(m)); digitSel.set(String(k));
    paintLadder();
    panel.update([
      ["pixels coded", `${step} of ${D}`],
      ["last pixel (row, col) = value", step > 0 ? `(${Math.floor(readout.pixel / W)}, ${readout.pixel % W}) = ${readout.value}` : "–"],
      ["its probability p(x_i | x_<i)", step > 0 ? draw.fmt(readout.p) : "–"],
      ["its bits −log₂ p", step > 0 ? draw.fmt(readout.pixel_bits, 3) : "–"],
      ["−log₂ (interval width) so far", draw.fmt(readout.ideal_bits, 2)],
      ["bits settled (came out)", String(settled)],
      ["code length if it ended here", `${readout.code_bits} bits`],
    ]);
    bitsText.textContent = `bits out so far (${settled}):\n${bits.length > 240 ? "…" + bits.slice(-240) : bits}`;
    if (fromPage) {
      model.set("step", step); model.set("model", m); model.set("digit", k);
      model.save_changes();
    }
  }
  const follow = () => {
    const changed = model.get("model") !== m || model.get("digit") !== k;
    m = model.get("model"); k = model.get("digit"); step = model.get("step");
    if (changed) recompute();
    update(false);
  };
  for (const key of ["step", "model", "digit"]) model.on(`change:${key}`, follow);
  recompute();
  update(false);
  return () => { for (const key of ["step", "model", "digit"]) model.off(`change:${key}`, follow); };
}

export default { render };
