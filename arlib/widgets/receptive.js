// ReceptiveFieldExplorer: the receptive field and the blind spot of one pixel of a masked-conv stack.
// Everything is computed here, in the page, exactly as arlib.receptive.stack_field / blind_spot do:
// start from {pixel} at the top layer and, layer by layer down to the image, step back by every
// offset the layer's mask lets through (positions outside the image are padding: paths stop there).
// The Python side (receptive.py) measures the same field by gradients; the browser test compares.
import * as draw from "./draw.js";

const COLOURS = {
  future: "#e3e3e3",  // at or after the pixel in raster order: never allowed
  past: "#ffffff",    // allowed, but out of reach of this stack
  field: "#3b78c2",   // the receptive field
  blind: "#e4572e",   // the blind spot: allowed, within reach, yet never seen
  leak: "#8e44ad",    // in the field although at or after the pixel (a broken mask)
  pixel: "#111111",   // the output pixel
};

// (dr, dc) offsets that a one-group mask of type t ("A" or "B") and size k lets through.
function maskOffsets(k, t) {
  const p = Math.floor(k / 2), out = [];
  for (let dr = -p; dr <= 0; dr++) {
    for (let dc = -p; dc <= p; dc++) {
      if (dr < 0 || dc < 0 || (dc === 0 && t === "B")) out.push([dr, dc]);
    }
  }
  return out;
}

// Mask types of the layers, first (reads the image) to last.
function layerTypes(n, mask) {
  return Array.from({ length: n }, (_, i) => (mask === "AB" ? (i === 0 ? "A" : "B") : mask));
}

// The receptive field as a 0/1 array of H*W (row-major), by repeated dilation from the top layer down.
function fieldOf(H, W, n, k, mask, row, col) {
  let current = new Uint8Array(H * W);
  current[row * W + col] = 1;
  const types = layerTypes(n, mask);
  for (let l = n - 1; l >= 0; l--) {
    const offsets = maskOffsets(k, types[l]);
    const next = new Uint8Array(H * W);
    for (let i = 0; i < H * W; i++) {
      if (!current[i]) continue;
      const r = Math.floor(i / W), c = i % W;
      for (const [dr, dc] of offsets) {
        const rr = r + dr, cc = c + dc;
        if (rr >= 0 && rr < H && cc >= 0 && cc < W) next[rr * W + cc] = 1;
      }
    }
    current = next;
  }
  return current;
}

// The blind spot: pixels before (row, col) in raster order, inside the box the field reaches (its top
// row down to the pixel's row, its widest column distance either side), that the field misses.
function blindOf(field, H, W, row, col) {
  const blind = new Uint8Array(H * W);
  let top = H, side = -1;
  for (let i = 0; i < H * W; i++) {
    if (!field[i]) continue;
    top = Math.min(top, Math.floor(i / W));
    side = Math.max(side, Math.abs((i % W) - col));
  }
  if (side < 0) return blind;
  const here = row * W + col;
  for (let i = 0; i < here; i++) {
    const r = Math.floor(i / W), c = i % W;
    if (r >= top && Math.abs(c - col) <= side && !field[i]) blind[i] = 1;
  }
  return blind;
}

function indices(a) {
  const out = [];
  for (let i = 0; i < a.length; i++) if (a[i]) out.push(i);
  return out;
}

function render({ model, el }) {
  const H = model.get("height"), W = model.get("width"), maxLayers = model.get("max_layers");
  let n = model.get("n_layers"), k = model.get("kernel_size"), mask = model.get("mask");
  let row = model.get("row"), col = model.get("col");

  const box = draw.root(el, "ReceptiveFieldExplorer");
  const scale = Math.max(6, Math.floor(308 / Math.max(H, W)));
  const canvas = draw.el("canvas", { width: W * scale, height: H * scale, class: "arlib-canvas" });
  canvas.style.cursor = "crosshair";
  const ctx = canvas.getContext("2d");
  const caption = draw.el("figcaption", { text: "click a pixel" });
  const figure = draw.el("figure", { class: "arlib-figure" }, [canvas, caption]);

  const layersSlider = draw.slider({ label: "layers", min: 1, max: maxLayers, value: n,
                                     onInput: (v) => { n = v; update(true); } });
  const kernelSelect = draw.select({ label: "kernel", value: String(k),
                                     options: [3, 5, 7].map((v) => ({ value: String(v), label: `${v}×${v}` })),
                                     onChange: (v) => { k = Number(v); update(true); } });
  const maskSelect = draw.select({ label: "masks", value: mask,
                                   options: [{ value: "AB", label: "A, then B (option 1)" },
                                             { value: "A", label: "A in every layer" },
                                             { value: "B", label: "B in every layer" }],
                                   onChange: (v) => { mask = v; update(true); } });
  const rowSlider = draw.slider({ label: "row", min: 0, max: H - 1, value: row,
                                  onInput: (v) => { row = v; update(true); } });
  const colSlider = draw.slider({ label: "col", min: 0, max: W - 1, value: col,
                                  onInput: (v) => { col = v; update(true); } });
  const legend = draw.el("div", { class: "arlib-legend" }, [
    ["pixel", "the output pixel x_i"], ["field", "receptive field"], ["blind", "blind spot"],
    ["past", "earlier, out of reach"], ["future", "at or after x_i"], ["leak", "sees x_i or later (broken)"],
  ].map(([key, text]) => draw.el("div", { style: { display: "flex", gap: "6px", alignItems: "center" } }, [
    draw.el("span", { style: { display: "inline-block", width: "12px", height: "12px", background: COLOURS[key],
                               border: "1px solid #999" } }),
    draw.el("span", { text }),
  ])));
  const panel = draw.table();
  box.append(draw.el("div", { class: "arlib-row" }, [
    figure,
    draw.el("div", { class: "arlib-controls" }, [layersSlider.node, kernelSelect.node, maskSelect.node,
                                                 rowSlider.node, colSlider.node, legend, panel.node]),
  ]));

  canvas.addEventListener("click", (ev) => {
    const b = canvas.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - b.left) / b.width) * W);
    const r = Math.floor(((ev.clientY - b.top) / b.height) * H);
    if (r >= 0 && r < H && c >= 0 && c < W) { row = r; col = c; update(true); }
  });

  function paint(field, blind) {
    const here = row * W + col;
    for (let i = 0; i < H * W; i++) {
      let key = i < here ? "past" : "future";
      if (blind[i]) key = "blind";
      if (field[i]) key = i < here ? "field" : "leak";
      if (i === here && !field[i]) key = "pixel";
      ctx.fillStyle = COLOURS[key];
      ctx.fillRect((i % W) * scale, Math.floor(i / W) * scale, scale, scale);
    }
    ctx.strokeStyle = "rgba(0,0,0,0.08)";
    ctx.lineWidth = 1;
    for (let r = 0; r <= H; r++) { ctx.beginPath(); ctx.moveTo(0, r * scale + 0.5); ctx.lineTo(W * scale, r * scale + 0.5); ctx.stroke(); }
    for (let c = 0; c <= W; c++) { ctx.beginPath(); ctx.moveTo(c * scale + 0.5, 0); ctx.lineTo(c * scale + 0.5, H * scale); ctx.stroke(); }
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#111";
    ctx.strokeRect(col * scale + 1, row * scale + 1, scale - 2, scale - 2);
  }

  function update(fromPage) {
    const field = fieldOf(H, W, n, k, mask, row, col);
    const blind = blindOf(field, H, W, row, col);
    const here = row * W + col;
    let fieldCount = 0, futureCount = 0;
    for (let i = 0; i < H * W; i++) {
      if (field[i]) { fieldCount++; if (i >= here) futureCount++; }
    }
    const blindList = indices(blind);
    draw.setReadout(box, {
      n_layers: n, kernel_size: k, mask, row, col, field_count: fieldCount, blind_count: blindList.length,
      past_count: here, future_count: futureCount, field: indices(field), blind: blindList,
    });
    paint(field, blind);
    layersSlider.set(n);
    rowSlider.set(row);
    colSlider.set(col);
    kernelSelect.set(String(k));
    maskSelect.set(mask);
    caption.textContent = `pixel (${row}, ${col}); ${n} layer${n > 1 ? "s" : ""} of ${k}×${k}`;
    panel.update([
      ["pixels before x_i (allowed)", String(here)],
      ["in the receptive field", `${fieldCount - futureCount} (${draw.fmt(here ? (100 * (fieldCount - futureCount)) / here : 0, 1)} % of them)`],
      ["in the blind spot", String(blindList.length)],
      ["at or after x_i (must be 0)", String(futureCount)],
    ]);
    if (fromPage) {  // a live kernel follows (a no-op in the static page)
      model.set("n_layers", n); model.set("kernel_size", k); model.set("mask", mask);
      model.set("row", row); model.set("col", col);
      model.save_changes();
    }
  }
  const names = ["n_layers", "kernel_size", "mask", "row", "col"];
  const follow = () => {
    n = model.get("n_layers"); k = model.get("kernel_size"); mask = model.get("mask");
    row = model.get("row"); col = model.get("col");
    update(false);
  };
  names.forEach((name) => model.on(`change:${name}`, follow));
  update(false);
  return () => names.forEach((name) => model.off(`change:${name}`, follow));
}

export default { render };
