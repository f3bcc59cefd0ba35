// PixelBitsExplorer: where the bits of an image go under independent Bernoulli pixels.
// Python (pixel_bits.py) passes theta and x; everything shown is computed here, in the page,
// with the same formulas as PixelBitsExplorer.pixel_readout (the browser test compares them).
import * as draw from "./draw.js";

// -log2 p(x_i) for x_i ~ Bernoulli(theta_i). (tests/site/test_checker_fails.py alters the
// return line below to prove the browser test catches wrong numbers: keep it as it is.)
function bitsOf(theta, x) {
  return -Math.log2(x === 1 ? theta : 1 - theta);
}

// Entropy of Bernoulli(theta) in bits (0 log 0 = 0).
function entropyBits(theta) {
  let h = 0;
  if (theta > 0) h -= theta * Math.log2(theta);
  if (theta < 1) h -= (1 - theta) * Math.log2(1 - theta);
  return h;
}

function render({ model, el }) {
  const H = model.get("height"), W = model.get("width");
  const theta = model.get("theta"), x = model.get("x");
  // Per-pixel bits of this image and their total, summed in index order like the Python side.
  const bits = theta.map((t, i) => bitsOf(t, x[i]));
  let total = 0;
  for (const b of bits) total += b;

  const box = draw.root(el, "PixelBitsExplorer");
  let row = model.get("row"), col = model.get("col");
  const pick = (r, c) => { row = r; col = c; update(true); };
  const scale = 7;
  const maps = [
    draw.heatmap({ values: theta, rows: H, cols: W, scale, vmin: 0, vmax: 1,
                   title: "θ_i = p(x_i = 1)", onPick: pick, legend: true }),
    draw.heatmap({ values: x, rows: H, cols: W, scale, vmin: 0, vmax: 1, cmap: "gray",
                   title: "the example x", format: String, onPick: pick }),
    draw.heatmap({ values: bits, rows: H, cols: W, scale, vmin: 0,
                   title: "bits −log₂ p(x_i)", onPick: pick, legend: true }),
  ];
  const rowSlider = draw.slider({ label: "row", min: 0, max: H - 1, value: row,
                                  onInput: (v) => { row = v; update(true); } });
  const colSlider = draw.slider({ label: "col", min: 0, max: W - 1, value: col,
                                  onInput: (v) => { col = v; update(true); } });
  const panel = draw.table();
  box.append(
    draw.el("div", { class: "arlib-row" }, maps.map((m) => m.node)),
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [rowSlider.node, colSlider.node]),
      panel.node,
    ]),
  );

  function update(fromPage) {
    const i = row * W + col;
    const t = theta[i], xi = x[i], b = bits[i];
    const readout = {
      row, col, theta: t, x: xi, p: xi === 1 ? t : 1 - t, bits: b,
      entropy: entropyBits(t), share: total > 0 ? b / total : 0, total_bits: total,
    };
    draw.setReadout(box, readout);
    maps.forEach((m) => m.mark(row, col));
    rowSlider.set(row);
    colSlider.set(col);
    panel.update([
      ["pixel (row, col)", `(${row}, ${col})`],
      ["θ_i", draw.fmt(t)],
      ["x_i in the example", String(xi)],
      ["bits for x_i: −log₂ p(x_i)", draw.fmt(b)],
      ["expected bits H(θ_i)", draw.fmt(readout.entropy)],
      ["share of the image's bits", `${draw.fmt(100 * readout.share, 2)} %`],
      ["bits for the image: −log₂ p(x)", draw.fmt(total, 1)],
    ]);
    if (fromPage) {  // tell a live kernel too (a no-op in the static page)
      model.set("row", row);
      model.set("col", col);
      model.save_changes();
    }
  }
  // Follow changes made from Python (w.row = 3) when a kernel is attached.
  const follow = () => { row = model.get("row"); col = model.get("col"); update(false); };
  model.on("change:row", follow);
  model.on("change:col", follow);
  update(false);
  return () => { model.off("change:row", follow); model.off("change:col", follow); };
}

export default { render };
