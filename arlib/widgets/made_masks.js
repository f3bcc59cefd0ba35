// MadeMaskExplorer: MADE's degrees, masks and the DAG they imply, computed in the page.
// The masks follow arlib/masks.py exactly; Mulberry32 below is the same generator as
// arlib.masks.Mulberry32 (models.js), so a seed gives the same orderings and degrees in both.
import * as draw from "./draw.js";
import * as models from "./models.js";

const MAX_D = 12, MAX_LAYERS = 4, MAX_WIDTH = 16;
const HOT = "#e4572e";

// ---------------------------------------------------------------- the math (as arlib.masks)

// Degrees [m0, m1, ..., mL] (m0[d] = 1-based position of input d in the ordering) and the order.
function madeDegrees(D, hidden, ordering, seed, custom) {
  const next = models.mulberry32(seed);
  let order;
  if (ordering === "random") {
    const u = Array.from({ length: D }, () => next());
    order = [...Array(D).keys()].sort((i, j) => (u[i] - u[j]) || (i - j));
  } else if (ordering === "custom") {
    order = custom.slice();
  } else {
    order = [...Array(D).keys()];
  }
  const m0 = new Array(D);
  order.forEach((d, k) => { m0[d] = k + 1; });
  const degrees = [m0];
  for (const h of hidden) {
    const low = Math.min(...degrees[degrees.length - 1]);
    const span = D - 1 - low + 1;
    degrees.push(Array.from({ length: h }, () => low + Math.floor(next() * span)));
  }
  return { order, degrees };
}

// Masks, each rows = units above, cols = units below: hidden >=, output strict >.
function madeMasks(degrees) {
  const masks = [];
  for (let l = 1; l < degrees.length; l++) {
    masks.push(degrees[l].map((mk) => degrees[l - 1].map((mj) => (mk >= mj ? 1 : 0))));
  }
  const last = degrees[degrees.length - 1];
  masks.push(degrees[0].map((md) => last.map((mk) => (md > mk ? 1 : 0))));
  return masks;
}

// For output d: which units of every layer lie on a path into it (live[l][i]).
function pathsInto(masks, sizes, d) {
  const L = sizes.length;
  const live = sizes.map((n) => new Array(n).fill(false));
  live[L - 1][d] = true;
  for (let l = L - 1; l > 0; l--) {
    const M = masks[l - 1];
    for (let k = 0; k < sizes[l]; k++) {
      if (!live[l][k]) continue;
      for (let j = 0; j < sizes[l - 1]; j++) if (M[k][j]) live[l - 1][j] = true;
    }
  }
  return live;
}

function parseList(text) {
  const parts = text.split(/[\s,]+/).filter((s) => s.length);
  if (!parts.length || parts.some((s) => !/^\d+$/.test(s))) return null;
  return parts.map(Number);
}

// ---------------------------------------------------------------- the page (end of the math)

function render({ model, el }) {
  const box = draw.root(el, "MadeMaskExplorer");
  const s = {
    D: model.get("D"), hidden: model.get("hidden").slice(), ordering: model.get("ordering"),
    seed: model.get("seed"), custom: model.get("custom_order").slice(), output: model.get("output"),
  };

  const dSlider = draw.slider({ label: "D", min: 2, max: MAX_D, value: s.D,
    onInput: (v) => { setD(v); update(true); } });
  const hiddenBox = draw.el("input", { type: "text", value: s.hidden.join(", "), size: 10,
    "aria-label": "hidden sizes" });
  const hiddenRow = draw.el("label", { class: "arlib-control" }, [draw.el("span", { text: "hidden" }), hiddenBox]);
  const ordSel = draw.select({ label: "order", value: s.ordering,
    options: [{ value: "natural" }, { value: "random" }, { value: "custom" }],
    onChange: (v) => { s.ordering = v; customRow.style.display = v === "custom" ? "" : "none"; update(true); } });
  const customBox = draw.el("input", { type: "text", value: s.custom.map((i) => i + 1).join(" "), size: 14,
    "aria-label": "custom order" });
  const customRow = draw.el("label", { class: "arlib-control" }, [draw.el("span", { text: "custom" }), customBox]);
  customRow.style.display = s.ordering === "custom" ? "" : "none";
  const seedSlider = draw.slider({ label: "seed", min: 0, max: 99, value: s.seed,
    onInput: (v) => { s.seed = v; update(true); } });
  const outSlider = draw.slider({ label: "output", min: 1, max: s.D, value: s.output + 1,
    format: (v) => `x̂${v}`, onInput: (v) => { s.output = v - 1; update(true); } });
  const message = draw.el("div", { style: { color: "#b00020", fontSize: "12px", minHeight: "1.2em" } });
  const panel = draw.table();
  const help = draw.el("div", { style: { fontSize: "12px", color: "#555", margin: "0 0 6px 0" } });
  help.textContent = "Numbers in the circles are degrees m(k): a hidden unit of degree k may depend on the " +
    "inputs at positions 1..k of the ordering. Click an output (top row) to trace its paths.";
  const controls = draw.el("div", { class: "arlib-controls" },
    [dSlider.node, hiddenRow, ordSel.node, customRow, seedSlider.node, outSlider.node, message, panel.node]);
  const graphWrap = draw.el("div");
  const maskRow = draw.el("div", { class: "arlib-row" });
  const maskAxes = draw.el("div", { style: { fontSize: "12px", color: "#555" },
    text: "Each mask: rows = the units of the layer it feeds, columns = the units below; yellow = connected." });
  box.append(help, draw.el("div", { class: "arlib-row" }, [controls, graphWrap]), maskRow, maskAxes);

  hiddenBox.addEventListener("change", () => {
    const h = parseList(hiddenBox.value);
    if (!h || h.length > MAX_LAYERS || h.some((v) => v < 1 || v > MAX_WIDTH)) {
      message.textContent = `hidden: 1 to ${MAX_LAYERS} widths of 1 to ${MAX_WIDTH}, e.g. "8, 8"`;
      return;
    }
    s.hidden = h;
    update(true);
  });
  customBox.addEventListener("change", () => {
    const o = parseList(customBox.value);
    const ok = o && o.length === s.D && [...o].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) { message.textContent = `custom order: a permutation of 1..${s.D}, e.g. "${s.D} 1 2 ..."`; return; }
    s.custom = o.map((v) => v - 1);
    update(true);
  });

  function setD(D) {
    s.D = D;
    if (s.custom.length !== D) {
      s.custom = [...Array(D).keys()];
      customBox.value = s.custom.map((i) => i + 1).join(" ");
    }
    s.output = Math.min(s.output, D - 1);
    outSlider.input.max = D;
    outSlider.set(s.output + 1);
  }

  function graph(sizes, masks, labels, live) {
    const NS = "http://www.w3.org/2000/svg";
    const width = 470, rowH = 62, pad = 22, height = pad * 2 + rowH * (sizes.length - 1) + 16;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const make = draw.svgMaker(svg);
    const left = 78;
    const pos = (l, i) => [left + ((i + 0.5) * (width - left - 8)) / sizes[l], height - pad - 8 - l * rowH];
    const names = sizes.map((_, l) => (l === 0 ? "inputs" : l === sizes.length - 1 ? "outputs" : `hidden ${l}`));
    names.forEach((nm, l) => make("text", { x: 4, y: pos(l, 0)[1] + 4, "font-size": 11, fill: "#555" }, nm));
    const cold = [], hot = [];
    masks.forEach((M, l) => M.forEach((row, k) => row.forEach((on, j) => {
      if (!on) return;
      (live[l][j] && live[l + 1][k] ? hot : cold).push([l, j, k]);
    })));
    for (const [list, colour, w] of [[cold, "#c8c8c8", 0.8], [hot, HOT, 1.8]]) {
      for (const [l, j, k] of list) {
        const [x1, y1] = pos(l, j), [x2, y2] = pos(l + 1, k);
        make("line", { x1, y1, x2, y2, stroke: colour, "stroke-width": w });
      }
    }
    sizes.forEach((n, l) => {
      for (let i = 0; i < n; i++) {
        const [cx, cy] = pos(l, i);
        const c = make("circle", { cx, cy, r: 9, fill: live[l][i] ? "#fde4dc" : "#fff",
          stroke: live[l][i] ? HOT : "#333", "stroke-width": 1.2 });
        make("text", { x: cx, y: cy + 4, "text-anchor": "middle", "font-size": 10 }, String(labels[l][i]));
        if (l === 0) make("text", { x: cx, y: cy + 24, "text-anchor": "middle", "font-size": 10 }, `x${i + 1}`);
        if (l === sizes.length - 1) {
          make("text", { x: cx, y: cy - 14, "text-anchor": "middle", "font-size": 10 }, `x̂${i + 1}`);
          c.style.cursor = "pointer";
          c.addEventListener("click", () => { s.output = i; outSlider.set(i + 1); update(true); });
        }
      }
    });
    return svg;
  }

  function update(fromPage) {
    message.textContent = "";
    const { order, degrees } = madeDegrees(s.D, s.hidden, s.ordering, s.seed, s.custom);
    const masks = madeMasks(degrees);
    const sizes = [s.D, ...s.hidden, s.D];
    // reachability: product of the masks, clamped to 0/1 after each layer
    let R = masks[0].map((row) => row.slice());
    for (let l = 1; l < masks.length; l++) {
      const M = masks[l];
      R = M.map((row) => R[0].map((_, j) => (row.some((on, k) => on && R[k][j]) ? 1 : 0)));
    }
    const connectivity = R.map((row) => row.flatMap((on, j) => (on ? [j] : [])));
    const live = pathsInto(masks, sizes, s.output);
    const labels = [degrees[0], ...degrees.slice(1), degrees[0]];
    graphWrap.replaceChildren(graph(sizes, masks, labels, live),
      draw.el("div", { class: "arlib-caption", style: { fontSize: "12px", color: "#555" },
        text: `orange: every path into output x̂${s.output + 1}; grey: the other connections the masks keep` }));
    // heatmaps: each mask, then the product in generation order
    const scale = Math.max(5, Math.min(14, Math.floor(150 / Math.max(...sizes))));
    const maps = masks.map((M, l) => draw.heatmap({ values: M.flat(), rows: M.length, cols: M[0].length, scale,
      vmin: 0, vmax: 1, title: l < masks.length - 1
        ? `hidden ${l + 1} × ${l === 0 ? "inputs x" : `hidden ${l}`}`
        : `outputs x̂ × hidden ${l} (strict >)`,
      format: (v) => (v ? "connected" : "masked") }).node);
    const P = order.flatMap((d) => order.map((j) => R[d][j]));
    const prod = draw.heatmap({ values: P, rows: s.D, cols: s.D, scale: Math.max(scale, 10), vmin: 0, vmax: 1,
      title: "product: x̂ × x, generation order", format: (v) => (v ? "reaches" : "cannot reach") });
    maskRow.replaceChildren(...maps, prod.node);
    const reachable = connectivity[s.output];
    const readout = {
      D: s.D, hidden: s.hidden, ordering: s.ordering, seed: s.seed, custom_order: s.custom, output: s.output,
      order, degrees, connections: masks.map((M) => M.flat().reduce((a, b) => a + b, 0)),
      reachable, connectivity,
    };
    draw.setReadout(box, readout);
    panel.update([
      ["ordering (x_d by position)", order.map((d) => `x${d + 1}`).join(" ")],
      [`output x̂${s.output + 1}: position`, String(order.indexOf(s.output) + 1)],
      ["reaches inputs", reachable.map((j) => `x${j + 1}`).join(", ") || "none"],
      ["connections per mask", readout.connections.join(" / ")],
    ]);
    if (fromPage) {
      model.set("D", s.D); model.set("hidden", s.hidden); model.set("ordering", s.ordering);
      model.set("seed", s.seed); model.set("custom_order", s.custom); model.set("output", s.output);
      model.save_changes();
    }
  }
  update(false);
}

export default { render };
