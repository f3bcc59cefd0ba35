// SoftmaxExplorer: softmax regression on a digit you can edit.
// Python (classifier.py) passes the weights theta^(k), biases b_k, some digits and their labels.
// Everything shown is computed here with the formulas of SoftmaxExplorer.compute:
//   logit_k = b_k + sum_j theta^(k)_j x_j,   P(y = k | x) = softmax(logit / T)_k,
//   loss = -log P(y = label | x)  (nats).
import * as draw from "./draw.js";

// Diverging colour for a weight: blue (negative) - white (0) - red (positive); t in [-1, 1].
function diverging(t) {
  t = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const [r, g, b] = t >= 0 ? [228, 87, 46] : [59, 110, 190];
  const a = Math.abs(t);
  const mix = (c) => Math.round(255 + a * (c - 255));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

// Paint H x W values on a canvas at `scale` pixels per cell with colour(value).
function paint(canvas, values, H, W, scale, colour) {
  canvas.width = W * scale;
  canvas.height = H * scale;
  const ctx = canvas.getContext("2d");
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      ctx.fillStyle = colour(values[r * W + c]);
      ctx.fillRect(c * scale, r * scale, scale, scale);
    }
  }
}

// The exact numbers (same order of operations as SoftmaxExplorer.compute in Python).
function compute(weights, bias, x, label, T) {
  const K = bias.length, D = x.length;
  const logits = [];
  for (let k = 0; k < K; k++) {
    let s = bias[k];
    const off = k * D;
    for (let j = 0; j < D; j++) if (x[j]) s += weights[off + j];
    logits.push(s);
  }
  const z = logits.map((v) => v / T);
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  let total = 0;
  for (const v of e) total += v;
  const probs = e.map((v) => v / total);
  let predicted = 0;
  for (let k = 1; k < K; k++) if (logits[k] > logits[predicted]) predicted = k;
  const loss = -(z[label] - top - Math.log(total));
  return { logits, probs, predicted, loss_nats: loss };
}

function render({ model, el }) {
  const H = model.get("height"), W = model.get("width"), D = H * W;
  const weights = model.get("weights"), bias = model.get("bias");
  const images = model.get("images"), labels = model.get("labels"), classes = model.get("classes");
  const K = bias.length;
  let index = model.get("index"), T = model.get("temperature"), selected = model.get("selected");
  let x = images[index].slice();

  // Largest |theta| per class sets its colour scale (so each template is readable).
  const wmax = [];
  for (let k = 0; k < K; k++) {
    let m = 1e-12;
    for (let j = 0; j < D; j++) m = Math.max(m, Math.abs(weights[k * D + j]));
    wmax.push(m);
  }

  const box = draw.root(el, "SoftmaxExplorer");

  // --- the digit (click or drag to toggle ink)
  const digit = draw.el("canvas", { class: "arlib-canvas", style: { cursor: "crosshair", touchAction: "none" } });
  let painting = null; // the value being painted while the pointer is down
  const cellAt = (ev) => {
    const box_ = digit.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - box_.left) / box_.width) * W);
    const r = Math.floor(((ev.clientY - box_.top) / box_.height) * H);
    return r >= 0 && r < H && c >= 0 && c < W ? r * W + c : null;
  };
  digit.addEventListener("pointerdown", (ev) => {
    const j = cellAt(ev);
    if (j === null) return;
    painting = x[j] ? 0 : 1;
    x[j] = painting;
    update(true);
  });
  digit.addEventListener("pointermove", (ev) => {
    if (painting === null) return;
    const j = cellAt(ev);
    if (j !== null && x[j] !== painting) { x[j] = painting; update(true); }
  });
  const stop = () => { painting = null; };
  digit.addEventListener("pointerup", stop);
  digit.addEventListener("pointerleave", stop);
  const digitCaption = draw.el("figcaption", { text: "", style: { maxWidth: `${W * 6}px` } });
  const digitFig = draw.el("figure", { class: "arlib-figure" }, [digit, digitCaption]);

  // --- the evidence map theta^(k) * x of the selected class
  const evidence = draw.el("canvas", { class: "arlib-canvas" });
  const evidenceCaption = draw.el("figcaption", { text: "", style: { maxWidth: `${W * 6}px` } });
  const evidenceFig = draw.el("figure", { class: "arlib-figure" }, [evidence, evidenceCaption]);

  // --- bars: P(y = k | x) with the logits written beside them
  const NS = "http://www.w3.org/2000/svg";
  const barW = 170, rowH = 17;  // compact: the explorer fits one 1280x900 screen
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", barW + 120);
  svg.setAttribute("height", K * rowH + 24);
  const barsFig = draw.el("figure", { class: "arlib-figure" }, [svg,
    draw.el("figcaption", { text: "P(y = k | x) = softmax(logits / T); click a class" })]);

  // --- the K weight images
  const templates = [];
  const templateRow = draw.el("div", { style: { display: "grid", gap: "0 6px",
    gridTemplateColumns: `repeat(${Math.min(K, 5)}, max-content)` } });
  for (let k = 0; k < K; k++) {
    const c = draw.el("canvas", { class: "arlib-canvas", style: { cursor: "pointer" } });
    paint(c, weights.slice(k * D, (k + 1) * D), H, W, 3, (v) => diverging(v / wmax[k]));
    const cap = draw.el("figcaption", { text: "" });
    const fig = draw.el("figure", { class: "arlib-figure" }, [c, cap]);
    c.addEventListener("click", () => { selected = k; update(true); });
    templates.push({ fig, canvas: c, cap });
    templateRow.append(fig);
  }

  // --- controls and the readout table
  const digitSlider = draw.slider({ label: "digit", min: 0, max: images.length - 1, value: index,
    onInput: (v) => { index = v; x = images[index].slice(); update(true); } });
  const tempSlider = draw.slider({ label: "T", min: 0.1, max: 5, step: 0.1, value: T,
    format: (v) => v.toFixed(1), onInput: (v) => { T = v; update(true); } });
  const buttons = draw.el("div", { class: "arlib-control" }, [
    draw.button("reset digit", () => { x = images[index].slice(); update(true); }),
    draw.button("clear", () => { x = new Array(D).fill(0); update(true); }),
  ]);
  const panel = draw.table();

  // two rows, about 500 px in all: the digit, its evidence and the probabilities; then the
  // controls with the readout beside the ten weight images
  box.append(
    draw.el("div", { class: "arlib-row" }, [digitFig, evidenceFig, barsFig]),
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [digitSlider.node, tempSlider.node, buttons, panel.node]),
      draw.el("div", { style: { maxWidth: "450px" } }, [
        draw.el("div", { text: "weight images θ⁽ᵏ⁾ (red: ink here raises the logit of k; blue: lowers it); " +
                               "click one to see its evidence" }),
        templateRow]),
    ]),
  );

  function drawBars(r, label) {
    svg.replaceChildren();
    const make = draw.svgMaker(svg);
    make("text", { x: 0, y: 12, "font-size": 11, fill: "#555" }, "class");
    make("text", { x: 36 + barW + 6, y: 12, "font-size": 11, fill: "#555" }, "P");
    make("text", { x: 36 + barW + 52, y: 12, "font-size": 11, fill: "#555" }, "logit");
    for (let k = 0; k < K; k++) {
      const y0 = 18 + k * rowH;
      const isLabel = k === label, isPred = k === r.predicted, isSel = k === selShown(r);
      make("text", { x: 4, y: y0 + 13, "font-size": 12, "font-weight": isPred ? "bold" : "normal" },
           classes[k] + (isLabel ? " ✓" : ""));
      make("rect", { x: 36, y: y0 + 3, width: barW, height: rowH - 6, fill: "#f1f1f1",
                     stroke: isSel ? "#333" : "none" });
      make("rect", { x: 36, y: y0 + 3, width: Math.max(0.5, barW * r.probs[k]), height: rowH - 6,
                     fill: isLabel ? "#21918c" : "#e4572e" });
      make("text", { x: 36 + barW + 6, y: y0 + 13, "font-size": 11 }, r.probs[k].toFixed(3));
      make("text", { x: 36 + barW + 52, y: y0 + 13, "font-size": 11 }, r.logits[k].toFixed(2));
      const hit = make("rect", { x: 0, y: y0, width: barW + 120, height: rowH, fill: "transparent",
                                 style: "cursor: pointer" });
      hit.addEventListener("click", () => { selected = k; update(true); });
    }
  }
  const selShown = (r) => (selected >= 0 ? selected : r.predicted);

  function update(fromPage) {
    const label = labels[index];
    const r = compute(weights, bias, x, label, T);
    const k = selShown(r);
    let nOn = 0, edited = 0;
    for (let j = 0; j < D; j++) { nOn += x[j]; edited += x[j] !== images[index][j] ? 1 : 0; }
    // the digit: ink black, with edited pixels tinted
    paint(digit, x.map((v, j) => v * 2 + (v !== images[index][j] ? 1 : 0)), H, W, 6,
          (v) => ["#fff", "#f4c7b8", "#111", "#b8401c"][v]);
    digitCaption.textContent = `digit ${index} (label ${classes[label]}); click or drag to edit`;
    const ev = x.map((v, j) => v * weights[k * D + j]);
    paint(evidence, ev, H, W, 6, (v) => diverging(v / wmax[k]));
    evidenceCaption.textContent = `evidence θ⁽${classes[k]}⁾ ⊙ x: sum ${draw.fmt(r.logits[k] - bias[k], 2)} + b = ${draw.fmt(r.logits[k], 2)}`;
    drawBars(r, label);
    templates.forEach((t, j) => {
      t.cap.textContent = `${classes[j]}: ${r.logits[j].toFixed(1)}`;
      t.canvas.style.outline = j === k ? "2px solid #333" : "none";
    });
    panel.update([
      ["label y", classes[label]],
      ["prediction argmax_k P(k | x)", classes[r.predicted]],
      ["P(y = label | x)", draw.fmt(r.probs[label])],
      ["loss −log P(y = label | x)", `${draw.fmt(r.loss_nats, 3)} nats`],
      ["ink pixels (edited)", `${nOn} (${edited})`],
      ["temperature T", T.toFixed(1)],
    ]);
    draw.setReadout(box, {
      index, label, temperature: T, selected: k, x: x.join(""), n_on: nOn, edited,
      logits: r.logits, probs: r.probs, predicted: r.predicted, loss_nats: r.loss_nats,
      p_label: r.probs[label], p_predicted: r.probs[r.predicted],
      logit_label: r.logits[label], logit_predicted: r.logits[r.predicted],
    });
    digitSlider.set(index);
    tempSlider.set(T);
    if (fromPage) {  // tell a live kernel too (a no-op in the static page)
      model.set("index", index);
      model.set("temperature", T);
      model.set("selected", selected);
      model.save_changes();
    }
  }
  const follow = () => {
    if (model.get("index") !== index) { index = model.get("index"); x = images[index].slice(); }
    T = model.get("temperature");
    selected = model.get("selected");
    update(false);
  };
  for (const name of ["index", "temperature", "selected"]) model.on(`change:${name}`, follow);
  update(false);
  return () => { for (const name of ["index", "temperature", "selected"]) model.off(`change:${name}`, follow); };
}

export default { render };
