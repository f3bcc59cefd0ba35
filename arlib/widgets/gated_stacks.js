// ClassSamplingExplorer: choose a digit class and a seed, step through a recorded class-conditional
// Gated PixelCNN sampling run. Python (gated_stacks.py) records the runs; the page switches between
// them and computes the drawn pixel's receptive field through the vertical and horizontal stacks.
import * as draw from "./draw.js";

const NOT_YET = "#cfe3f3"; // a pixel not drawn yet
const FIELD = "rgba(228, 87, 46, 0.35)"; // the receptive field of the pixel drawn now

// Offsets (dr, dc) a stack mask lets through (arlib.masks.stack_mask_offsets).
function offsets(stack, k, first) {
  const c = Math.floor(k / 2), out = [];
  if (stack === "vertical") {
    for (let dr = -c; dr <= (first ? -1 : 0); dr++) for (let dc = -c; dc <= c; dc++) out.push([dr, dc]);
  } else {
    for (let dc = -c; dc <= (first ? -1 : 0); dc++) out.push([0, dc]);
  }
  return out;
}

// The receptive field of (r, c) through L gated layers, by dilation from the top layer down
// (arlib.masks.gated_stack_field): horizontal positions need horizontal ones (horizontal offsets) and
// vertical ones through the link (vertical offsets); vertical positions need vertical ones.
function gatedField(H, W, L, k, k0, r, c) {
  let hpos = new Uint8Array(H * W), vpos = new Uint8Array(H * W);
  hpos[r * W + c] = 1;
  const shift = (src, offs) => {
    const dst = new Uint8Array(H * W);
    for (let i = 0; i < H * W; i++) {
      if (!src[i]) continue;
      const a = Math.floor(i / W), b = i % W;
      for (const [dr, dc] of offs) {
        const a2 = a + dr, b2 = b + dc;
        if (a2 >= 0 && a2 < H && b2 >= 0 && b2 < W) dst[a2 * W + b2] = 1;
      }
    }
    return dst;
  };
  for (let layer = L - 1; layer >= 0; layer--) {
    const first = layer === 0, kk = first ? k0 : k;
    const both = hpos.map((v, i) => v | vpos[i]);
    const nh = shift(hpos, offsets("horizontal", kk, first));
    vpos = shift(both, offsets("vertical", kk, first));
    hpos = nh;
  }
  return hpos.map((v, i) => v | vpos[i]);
}

function render({ model, el }) {
  const H = model.get("height"), W = model.get("width"), D = H * W;
  const classes = model.get("classes"), seeds = model.get("seeds");
  const xs = model.get("x"), ps = model.get("probs");
  const L = model.get("n_layers"), k = model.get("kernel_size"), k0 = model.get("first_kernel_size");
  let label = model.get("label"), seed = model.get("seed");
  let step = Math.min(Math.max(model.get("step"), 0), D - 1);

  const box = draw.root(el, "ClassSamplingExplorer");
  // 6 px per pixel for 28x28: controls (270 px) and both images fit a 730 px book column
  const scale = Math.max(3, Math.min(6, Math.floor(170 / Math.max(H, W))));
  const mk = () => draw.el("canvas", { width: W * scale, height: H * scale, class: "arlib-canvas" });
  const imgC = mk(), mapC = mk();
  const img = imgC.getContext("2d"), map = mapC.getContext("2d");

  const stepSlider = draw.slider({ label: "step", min: 0, max: D - 1, value: step,
                                   format: (v) => `${v + 1} / ${D}`,
                                   onInput: (v) => { controls.stop(); go(v, true); } });
  const classSel = draw.select({ label: "class y", value: String(label),
    options: classes.map((c, j) => ({ value: String(j), label: String(c) })),
    onChange: (v) => { label = Number(v); go(step, true); } });
  const seedSel = draw.select({ label: "seed", value: String(seed),
    options: seeds.map((s, j) => ({ value: String(j), label: String(s) })),
    onChange: (v) => { seed = Number(v); go(step, true); } });
  const showField = draw.el("input", { type: "checkbox", checked: "" });
  showField.addEventListener("change", () => paint());
  const controls = draw.transport({ at: () => step, go: (t) => go(t, true), last: D - 1, speed: () => 4 });
  const panel = draw.table();
  panel.node.style.tableLayout = "fixed";
  panel.node.style.width = "270px";
  box.append(draw.el("div", { class: "arlib-row" }, [
    // a fixed width, so that the images do not move sideways when the readout's numbers change
    draw.el("div", { class: "arlib-controls", style: { width: "270px", minWidth: "270px", flex: "0 0 270px" } }, [
      stepSlider.node, classSel.node, seedSel.node,
      controls.node,
      draw.el("label", { class: "arlib-control" }, [showField, draw.el("span", { text: "show the receptive field" })]),
      panel.node,
    ]),
    draw.el("figure", { class: "arlib-figure" }, [imgC, draw.el("figcaption", { text: "the sample so far" })]),
    draw.el("figure", { class: "arlib-figure" }, [mapC, draw.el("figcaption", { text: "p(x_i = 1 | x_<i, y) so far" })]),
  ]), draw.el("div", { style: { fontSize: "12px", color: "#555" } }, [
    "Black = 1, white = 0, blue = not drawn yet; red box: the pixel drawn now; red tint: the pixels its ",
    "conditional depends on through the two stacks (every earlier pixel within reach: no blind spot).",
  ]));

  let field = null, fieldAt = -1;
  function paint() {
    const run = label * seeds.length + seed, x = xs[run], p = ps[run];
    if (fieldAt !== step) {
      field = gatedField(H, W, L, k, k0, Math.floor(step / W), step % W);
      fieldAt = step;
    }
    for (let i = 0; i < D; i++) {
      const r = Math.floor(i / W), c = i % W, done = i <= step;
      img.fillStyle = done ? draw.colour(x[i], "gray") : NOT_YET;
      img.fillRect(c * scale, r * scale, scale, scale);
      map.fillStyle = done ? draw.colour(p[i], "seq") : "#fff";
      map.fillRect(c * scale, r * scale, scale, scale);
      if (showField.checked && field[i]) {
        img.fillStyle = FIELD;
        img.fillRect(c * scale, r * scale, scale, scale);
      }
    }
    const r = Math.floor(step / W), c = step % W;
    for (const ctx of [img, map]) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#e4572e";
      ctx.strokeRect(c * scale - 1, r * scale - 1, scale + 2, scale + 2);
    }
  }

  function go(t, fromPage) {
    step = Math.min(Math.max(Math.round(t), 0), D - 1);
    const run = label * seeds.length + seed;
    stepSlider.set(step);
    paint();
    let count = 0;
    for (let i = 0; i < D; i++) count += field[i];
    const readout = { label: classes[label], seed: seeds[seed], step, pixel: step, row: Math.floor(step / W),
                      col: step % W, p: ps[run][step], value: xs[run][step], field_count: count };
    draw.setReadout(box, readout);
    panel.update([
      ["class y, seed", `${readout.label}, ${readout.seed}`],
      ["step", `${step + 1} of ${D}`],
      ["pixel (row, col)", `(${readout.row}, ${readout.col})`],
      ["p(x_i = 1 | x_<i, y)", draw.fmt(readout.p)],
      ["drawn x_i", String(readout.value)],
      ["receptive field", `${count} of ${step} earlier`],
    ]);
    if (fromPage) {
      model.set("label", label);
      model.set("seed", seed);
      model.set("step", step);
      model.save_changes();
    }
  }

  const follow = () => {
    const l = model.get("label"), s = model.get("seed"), t = model.get("step");
    if (l !== label || s !== seed || t !== step) {
      label = l; seed = s;
      classSel.set(String(l));
      seedSel.set(String(s));
      go(t, false);
    }
  };
  model.on("change:step", follow);
  model.on("change:label", follow);
  model.on("change:seed", follow);
  go(step, false);
  return () => { controls.stop(); model.off("change:step", follow); model.off("change:label", follow); model.off("change:seed", follow); };
}

export default { render };
