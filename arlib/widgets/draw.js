// Drawing helpers shared by every arlib explorer.
//
// An explorer's .js starts with `import * as draw from "./draw.js";`. anywidget loads the
// front end from a string, where relative imports cannot resolve, so arlib/widgets/base.py
// replaces that line with this file wrapped in a function (every `export` becomes a field
// of `draw`). Keep this file plain: top-level `export function` / `export const` only.

// ---------------------------------------------------------------- DOM and readout

// Create an element: el("div", {class: "x", text: "hi"}, [children...]).
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// The explorer's root: class arlib-explorer (the browser test finds explorers by it).
export function root(host, name) {
  const node = el("div", { class: "arlib-explorer", "data-explorer": name });
  host.append(node);
  return node;
}

// Write the explorer's state as JSON into data-readout (tests read it; keep keys stable).
export function setReadout(node, state) {
  node.dataset.readout = JSON.stringify(state);
}

// Format a number for people (the readout keeps full precision).
export function fmt(value, digits = 4) {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return value.toFixed(digits);
}

// ---------------------------------------------------------------- controls

// A labelled range input. Returns {node, input, set(v)}; onInput(v) gets an integer/float.
export function slider({ label, min, max, step = 1, value, onInput, format = String }) {
  const input = el("input", { type: "range", min, max, step, value, "aria-label": label });
  const shown = el("span", { class: "arlib-value", text: format(Number(value)) });
  const node = el("label", { class: "arlib-control" }, [el("span", { text: label }), input, shown]);
  const set = (v) => { input.value = v; shown.textContent = format(Number(input.value)); };
  input.addEventListener("input", () => { set(input.value); onInput(Number(input.value)); });
  return { node, input, set };
}

// A labelled select. options: [{value, label}]. Returns {node, select, set(v)}.
export function select({ label, options, value, onChange }) {
  const sel = el("select", { "aria-label": label });
  for (const o of options) sel.append(el("option", { value: o.value, text: o.label ?? o.value }));
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  const node = el("label", { class: "arlib-control" }, [el("span", { text: label }), sel]);
  return { node, select: sel, set: (v) => { sel.value = v; } };
}

// A small two-column table of (name, value) rows. Returns {node, update(rows)}.
export function table() {
  const node = el("table", { class: "arlib-readout" });
  const update = (rows) => {
    node.replaceChildren(...rows.map(([k, v]) => el("tr", {}, [el("th", { text: k }), el("td", { text: v })])));
  };
  return { node, update };
}

// A button that calls onClick when clicked (title: its tooltip).
export function button(text, onClick, title = "") {
  const node = el("button", { type: "button", text, title });
  node.addEventListener("click", onClick);
  return node;
}

// The step controls of a replay: |<  -1  play/pause  +1  >|. at() is the step shown, go(t) shows
// step t (clamping to [0, last] is go's job), speed() the steps a tick of `tick` ms advances.
// Returns {node, stop}: call stop() when anything else moves the step, and when the view goes.
export function transport({ at, go, last, speed = () => 1, tick = 30 }) {
  let timer = null;
  const playBtn = button("play", () => (timer ? stop() : play()), "play the run from this step");
  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    playBtn.textContent = "play";
  }
  function play() {
    if (at() >= last) go(0);
    playBtn.textContent = "pause";
    timer = setInterval(() => {
      if (at() >= last) { stop(); return; }
      go(at() + speed());
    }, tick);
  }
  const node = el("div", { class: "arlib-control" }, [
    button("|<", () => { stop(); go(0); }, "first step"),
    button("-1", () => { stop(); go(at() - 1); }, "one step back"),
    playBtn,
    button("+1", () => { stop(); go(at() + 1); }, "one step on"),
    button(">|", () => { stop(); go(last); }, "last step"),
  ]);
  return { node, stop };
}

// ---------------------------------------------------------------- colours

// Anchor colours of a dark-blue -> green -> yellow map (readable in grey print too).
export const CMAP_ANCHORS = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

// t in [0, 1] -> "rgb(...)". cmap: "seq" (the map above) or "gray" (0 white, 1 black, as ink).
export function colour(t, cmap = "seq") {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  if (cmap === "gray") {
    const g = Math.round(255 * (1 - t));
    return `rgb(${g},${g},${g})`;
  }
  const pos = t * (CMAP_ANCHORS.length - 1);
  const i = Math.min(CMAP_ANCHORS.length - 2, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [CMAP_ANCHORS[i], CMAP_ANCHORS[i + 1]];
  const c = a.map((v, k) => Math.round(v + f * (b[k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// ---------------------------------------------------------------- heatmap

// A rows x cols grid of values on a canvas, a tooltip with the value under the pointer,
// click to pick a cell, an outlined "marked" cell and (legend: true) a colour bar.
// Returns {node, canvas, draw(values), mark(r, c)}.
export function heatmap({ values, rows, cols, scale = 8, vmin = null, vmax = null,
                          cmap = "seq", title = "", format = fmt, onPick = null, legend = false,
                          legendFormat = (v) => fmt(v, 2) }) {
  const canvas = el("canvas", { width: cols * scale, height: rows * scale, class: "arlib-canvas" });
  const tip = el("div", { class: "arlib-tooltip" });
  const [loText, hiText] = [el("span"), el("span")];
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => colour(t, cmap)).join(", ");
  const bar = el("div", { class: "arlib-colourbar" }, [
    loText, el("span", { class: "arlib-ramp", style: { background: `linear-gradient(to right, ${stops})` } }),
    hiText,
  ]);
  const node = el("figure", { class: "arlib-figure" }, [
    el("div", { class: "arlib-canvas-wrap" }, [canvas, tip]),
    ...(legend ? [bar] : []),
    el("figcaption", { text: title }),
  ]);
  const ctx = canvas.getContext("2d");
  let data = values, marked = null;

  function paint() {
    const lo = vmin ?? Math.min(...data), hi = vmax ?? Math.max(...data);
    const span = hi > lo ? hi - lo : 1;
    loText.textContent = legendFormat(lo);
    hiText.textContent = legendFormat(hi);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = colour((data[r * cols + c] - lo) / span, cmap);
        ctx.fillRect(c * scale, r * scale, scale, scale);
      }
    }
    if (marked) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#e4572e";
      ctx.strokeRect(marked[1] * scale + 1, marked[0] * scale + 1, scale - 2, scale - 2);
    }
  }
  // Pointer position -> [row, col] (the canvas may be scaled by CSS).
  function cellAt(ev) {
    const box = canvas.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - box.left) / box.width) * cols);
    const r = Math.floor(((ev.clientY - box.top) / box.height) * rows);
    return r >= 0 && r < rows && c >= 0 && c < cols ? [r, c] : null;
  }
  canvas.addEventListener("mousemove", (ev) => {
    const cell = cellAt(ev);
    if (!cell) { tip.style.display = "none"; return; }
    tip.textContent = `row ${cell[0]}, col ${cell[1]}: ${format(data[cell[0] * cols + cell[1]])}`;
    tip.style.left = `${ev.offsetX + 12}px`;
    tip.style.top = `${ev.offsetY + 12}px`;
    tip.style.display = "block";
  });
  canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  if (onPick) {
    canvas.style.cursor = "crosshair";
    canvas.addEventListener("click", (ev) => { const cell = cellAt(ev); if (cell) onPick(cell[0], cell[1]); });
  }
  paint();
  return {
    node, canvas,
    draw(newValues) { data = newValues; paint(); },
    mark(r, c) { marked = [r, c]; paint(); },
  };
}

// ---------------------------------------------------------------- image grid

// n images (each rows*cols values in [vmin, vmax]) in a grid of ncol columns on one canvas.
// Returns {node, canvas, draw(images)}.
export function imageGrid({ images, rows, cols, ncol = 8, scale = 3, gap = 2, vmin = 0, vmax = 1,
                            cmap = "gray", title = "" }) {
  const canvas = el("canvas", { class: "arlib-canvas" });
  const node = el("figure", { class: "arlib-figure" }, [canvas, el("figcaption", { text: title })]);
  const ctx = canvas.getContext("2d");
  function paint(imgs) {
    const n = imgs.length, nc = Math.min(ncol, Math.max(1, n)), nr = Math.ceil(n / nc);
    canvas.width = nc * (cols * scale + gap) - gap;
    canvas.height = Math.max(1, nr * (rows * scale + gap) - gap);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const span = vmax > vmin ? vmax - vmin : 1;
    imgs.forEach((img, k) => {
      const x0 = (k % nc) * (cols * scale + gap), y0 = Math.floor(k / nc) * (rows * scale + gap);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          ctx.fillStyle = colour((img[r * cols + c] - vmin) / span, cmap);
          ctx.fillRect(x0 + c * scale, y0 + r * scale, scale, scale);
        }
      }
    });
  }
  paint(images);
  return { node, canvas, draw: paint };
}

// ---------------------------------------------------------------- SVG

// make = svgMaker(svg): make(tag, attrs, text) creates an SVG element with those attributes (and
// text), appends it to svg and returns it.
export function svgMaker(parent) {
  return (tag, attrs = {}, text) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    parent.append(e);
    return e;
  };
}

// ---------------------------------------------------------------- layer graph

// Units in layers (bottom = inputs, top = outputs) and the connections between consecutive
// layers, as SVG. layers: [n0, n1, ...]; edges: [[l, i, j], ...] joins unit i of layer l to
// unit j of layer l+1; labels: optional [[...], ...] text per unit (e.g. MADE's m(k)).
// Hovering a unit highlights its connections. Returns {node, svg, draw(edges, labels)}.
export function layerGraph({ layers, edges, labels = null, width = 420, height = 260, title = "" }) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("class", "arlib-graph");
  const node = el("figure", { class: "arlib-figure" }, [svg, el("figcaption", { text: title })]);
  const pad = 18;
  // Centre of unit i in layer l.
  const pos = (l, i) => {
    const n = layers[l];
    const x = pad + ((i + 0.5) * (width - 2 * pad)) / n;
    const y = height - pad - (l * (height - 2 * pad)) / Math.max(1, layers.length - 1);
    return [x, y];
  };
  const make = (tag, attrs) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };
  function paint(edgeList, unitLabels) {
    svg.replaceChildren();
    const lines = edgeList.map(([l, i, j]) => {
      const [x1, y1] = pos(l, i), [x2, y2] = pos(l + 1, j);
      const line = make("line", { x1, y1, x2, y2, class: "arlib-edge" });
      line.dataset.ends = `${l}:${i} ${l + 1}:${j}`;
      svg.append(line);
      return line;
    });
    layers.forEach((n, l) => {
      for (let i = 0; i < n; i++) {
        const [cx, cy] = pos(l, i);
        const g = make("g", { class: "arlib-unit" });
        g.append(make("circle", { cx, cy, r: 8 }));
        const text = unitLabels?.[l]?.[i];
        if (text !== undefined) {
          const t = make("text", { x: cx, y: cy + 4, "text-anchor": "middle" });
          t.textContent = text;
          g.append(t);
        }
        const key = `${l}:${i}`;
        g.addEventListener("mouseenter", () => lines.forEach((ln) => {
          ln.classList.toggle("arlib-edge-on", ln.dataset.ends.split(" ").includes(key));
        }));
        g.addEventListener("mouseleave", () => lines.forEach((ln) => ln.classList.remove("arlib-edge-on")));
        svg.append(g);
      }
    });
  }
  paint(edges, labels);
  return { node, svg, draw: paint };
}
