// CountsExplorer: exact parameter counts of every factorisation, computed here with BigInt
// (2**784 - 1 does not fit in a JS number), with the formulas of arlib/counting.py.
import * as draw from "./draw.js";

const FAMILIES = [
  // key, label, formula, colour, binary-only, dash pattern of its curve ("" = solid)
  ["tabular", "tabular (chain rule)", "dⁿ − 1", "#e4572e", false, ""],
  ["markov_exact", "Markov-k, exact", "(dᵐ − 1) + (n−m) dᵏ (d−1), m = min(k, n)", "#1b7837", false, ""],
  // the lecture's Markov-k count is within a few parameters of the exact one, so its curve lies on
  // top of the exact curve: drawn after it, dashed, in a contrasting colour, both stay visible
  ["markov", "Markov-k, lecture", "dᵏ (d−1) n", "#f3a712", false, "7 5"],
  ["latent", "latent |h| (+ prior)", "|h| (d−1) n + |h| − 1", "#4a90d9", false, ""],
  ["fvsbn", "FVSBN (logistic)", "n (n+1) / 2", "#29335c", true, ""],
  ["nade", "NADE, H hidden", "2nH + H + n", "#8e44ad", true, ""],
  ["made", "MADE, 2 layers of H", "2nH + H² + 2H + n", "#d63384", true, ""],
];
const FIXED_COLOURS = ["#555", "#999", "#bbb"];
const FIXED_DASH = "10 3 2 3";  // dash-dot: a count that does not depend on n
const MNIST_COLOUR = "#888", SLIDER_COLOUR = "#e4572e";

// 10 to a power, with a real superscript (unicode digits work in SVG text and <option> alike).
const SUP = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };
const tenTo = (e) => "10" + Array.from(String(e), (ch) => SUP[ch]).join("");

// ---- the formulas (BigInt in, BigInt out), as in arlib/counting.py
function counts(n, d, k, h, H) {
  const [N, D, K, Hh, HH] = [n, d, k, h, H].map(BigInt);
  const m = K < N ? K : N;
  return {
    tabular: D ** N - 1n,
    markov: D ** K * (D - 1n) * N,
    markov_exact: (D ** m - 1n) + (N - m) * D ** K * (D - 1n),
    latent: Hh * (D - 1n) * N + (Hh - 1n),
    fvsbn: (N * (N + 1n)) / 2n,
    nade: 2n * N * HH + HH + N,
    made: (N * HH + HH) + (HH * HH + HH) + (HH * N + N),
  };
}

// log10 of a positive BigInt, to double precision (its leading 17 digits and its length).
function log10Big(b) {
  const s = b.toString();
  if (s.length <= 15) return Math.log10(Number(b));
  return Math.log10(Number(s.slice(0, 17))) + (s.length - 17);
}

// "307,720" for short numbers; "1.017 × 10²³⁶ (237 digits)" for long ones.
function pretty(b) {
  const s = b.toString();
  if (s.length <= 16) return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${s[0]}.${s.slice(1, 4)} × ${tenTo(s.length - 1)}  (${s.length} digits)`;
}

function render({ model, el }) {
  const box = draw.root(el, "CountsExplorer");
  const knobs = { n: model.get("n"), d: model.get("d"), k: model.get("k"), h: model.get("h"), H: model.get("H") };
  const nMax = model.get("n_max"), markN = model.get("mark_n");
  const fixed = model.get("fixed").map(([label, c]) => [label, BigInt(c)]);
  let yCap = "12"; // start zoomed in on the models we train; "everything" shows the tabular count's climb

  const specs = [
    ["n", "n", 1, 1000], ["d", "d", 2, 256], ["k", "k", 0, 16], ["h", "|h|", 1, 1000], ["H", "H", 1, 2000],
  ];
  const sliders = {};
  for (const [key, label, min, max] of specs) {
    sliders[key] = draw.slider({ label, min, max, value: knobs[key],
                                 onInput: (v) => { knobs[key] = v; update(true); } });
  }
  const cap = draw.select({
    label: "y up to",
    options: [{ value: "all", label: "everything" }, { value: "100", label: tenTo(100) }, { value: "12", label: tenTo(12) }],
    value: yCap, onChange: (v) => { yCap = v; update(false); },
  });

  const tableNode = draw.el("table", { class: "arlib-readout arlib-counts-table" });
  const W = 540, Hgt = 300, padL = 58, padR = 12, padT = 12, padB = 36;
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", W);
  svg.setAttribute("height", Hgt);
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // one line style per curve, used by the plot and by the table's swatches alike
  const lineStyle = (key) => {
    const fam = FAMILIES.find(([k]) => k === key);
    if (fam) return { colour: fam[3], dash: fam[5] };
    return { colour: FIXED_COLOURS[Number(key.slice(5)) % FIXED_COLOURS.length], dash: FIXED_DASH };
  };
  const swatch = (key) => {
    const { colour, dash } = lineStyle(key);
    const s = document.createElementNS(NS, "svg");
    s.setAttribute("width", 30);
    s.setAttribute("height", 10);
    s.style.marginRight = "6px";
    s.append(mk("line", { x1: 1, y1: 5, x2: 29, y2: 5, stroke: colour, "stroke-width": 2.5, "stroke-dasharray": dash || "none" }));
    return s;
  };
  const CAPTION = `Log-scale count against n. Vertical lines: grey, MNIST (n = ${markN}); red dotted, ` +
    "the slider's n. Each curve's colour and line style are shown beside its name in the table.";
  const caption = draw.el("figcaption", { text: CAPTION, style: { maxWidth: `${W}px` } });
  const note = draw.el("div", { style: { fontSize: "12px", color: "#555", maxWidth: "540px" } });
  box.append(
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [...specs.map(([key]) => sliders[key].node), cap.node]),
      draw.el("figure", { class: "arlib-figure" }, [svg, caption]),
    ]),
    tableNode, note,
  );

  // the curves: every family at ~200 values of n (plus the marks), exact counts -> log10
  function curves() {
    const ns = new Set([1, nMax, markN, knobs.n]);
    for (let j = 0; j <= 200; j++) ns.add(Math.max(1, Math.round(1 + (j * (nMax - 1)) / 200)));
    const xs = [...ns].filter((v) => v <= nMax).sort((a, b) => a - b);
    const out = {};
    for (const [key] of FAMILIES) out[key] = [];
    for (const n of xs) {
      const c = counts(n, knobs.d, knobs.k, knobs.h, knobs.H);
      for (const [key] of FAMILIES) out[key].push([n, log10Big(c[key])]);
    }
    fixed.forEach(([, c], j) => { out[`fixed${j}`] = xs.map((n) => [n, log10Big(c)]); });
    return out;
  }

  function plot(lines) {
    svg.replaceChildren();
    let yMax = 1;
    for (const pts of Object.values(lines)) for (const [, y] of pts) yMax = Math.max(yMax, y);
    const top = yMax;
    if (yCap !== "all") yMax = Math.min(yMax, Number(yCap));
    yMax = Math.ceil(yMax);
    const sx = (n) => padL + ((n - 1) / (nMax - 1)) * (W - padL - padR);
    const sy = (y) => padT + (1 - Math.min(y, yMax) / yMax) * (Hgt - padT - padB);
    // axes and ticks
    svg.append(mk("line", { x1: padL, y1: sy(0), x2: W - padR, y2: sy(0), stroke: "#333" }));
    svg.append(mk("line", { x1: padL, y1: sy(0), x2: padL, y2: padT, stroke: "#333" }));
    const yStep = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => yMax / s <= 6) || 1000;
    for (let y = 0; y <= yMax; y += yStep) {
      svg.append(mk("line", { x1: padL, y1: sy(y), x2: W - padR, y2: sy(y), stroke: "#eee" }));
      svg.append(mk("text", { x: padL - 4, y: sy(y) + 4, "text-anchor": "end", "font-size": 11 }, tenTo(y)));
    }
    const xStep = nMax > 500 ? 200 : nMax > 100 ? 50 : 10;
    for (let n = 0; n <= nMax; n += xStep) {
      if (n < 1) continue;
      svg.append(mk("text", { x: sx(n), y: Hgt - padB + 14, "text-anchor": "middle", "font-size": 10 }, String(n)));
    }
    svg.append(mk("text", { x: (padL + W - padR) / 2, y: Hgt - 4, "text-anchor": "middle", "font-size": 11 },
                  "n (number of variables)"));
    svg.append(mk("text", { x: 12, y: (padT + Hgt - padB) / 2, "text-anchor": "middle", "font-size": 11,
                            transform: `rotate(-90 12 ${(padT + Hgt - padB) / 2})` }, "parameters"));
    // MNIST and the current n
    if (markN <= nMax) {
      svg.append(mk("line", { x1: sx(markN), y1: padT, x2: sx(markN), y2: sy(0), stroke: MNIST_COLOUR, "stroke-width": 1.5 }));
      svg.append(mk("text", { x: sx(markN) - 3, y: padT + 10, "text-anchor": "end", "font-size": 10 }, `MNIST n = ${markN}`));
    }
    caption.textContent = CAPTION + (top > yMax ? ` Curves above ${tenTo(yMax)} run along the top: choose "everything" to see them.` : "");
    svg.append(mk("line", { x1: sx(knobs.n), y1: padT, x2: sx(knobs.n), y2: sy(0), stroke: SLIDER_COLOUR, "stroke-width": 1.5, "stroke-dasharray": "2 3" }));
    // the families (clipped at the top when y is capped)
    for (const [key, pts] of Object.entries(lines)) {  // in FAMILIES' order, then the fixed ones
      const { colour, dash } = lineStyle(key);
      const d = pts.map(([n, y], j) => `${j ? "L" : "M"}${sx(n).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
      svg.append(mk("path", { d, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash || "none" }));
    }
  }

  function update(fromPage) {
    const c = counts(knobs.n, knobs.d, knobs.k, knobs.h, knobs.H);
    fixed.forEach(([, v], j) => { c[`fixed${j}`] = v; });
    const readout = { ...knobs };
    for (const [key, v] of Object.entries(c)) {
      readout[key] = v.toString();
      readout[`log10_${key}`] = log10Big(v);
    }
    draw.setReadout(box, readout);
    // table
    const rows = [draw.el("tr", {}, ["family", "formula", `count at n = ${knobs.n}`, "log₁₀"].map(
      (t) => draw.el("th", { text: t })))];
    for (const [key, label, formula, , binary] of FAMILIES) {
      const name = draw.el("td", {}, [swatch(key), label + (binary && knobs.d !== 2 ? " (binary: d = 2)" : "")]);
      rows.push(draw.el("tr", {}, [name, draw.el("td", { text: formula }),
        draw.el("td", { text: pretty(c[key]), title: c[key].toString() }),
        draw.el("td", { text: log10Big(c[key]).toFixed(2) })]));
    }
    fixed.forEach(([label, v], j) => {
      rows.push(draw.el("tr", {}, [draw.el("td", {}, [swatch(`fixed${j}`), label]),
        draw.el("td", { text: "independent of n" }),
        draw.el("td", { text: pretty(v), title: v.toString() }),
        draw.el("td", { text: log10Big(v).toFixed(2) })]));
    });
    tableNode.replaceChildren(...rows);
    const lecture = c.markov, exact = c.markov_exact;
    note.textContent = `Markov-${knobs.k}: the lecture's count exceeds the exact one by ${(lecture - exact).toString()} ` +
      `(x₁ … x_k have fewer than k parents). FVSBN, NADE and MADE model binary pixels; their counts do not use d. ` +
      `Hover a count to see all its digits.`;
    plot(curves());
    for (const [key] of specs) sliders[key].set(knobs[key]);
    if (fromPage) {
      for (const [key] of specs) model.set(key, knobs[key]);
      model.save_changes();
    }
  }
  const follow = () => { for (const [key] of specs) knobs[key] = model.get(key); update(false); };
  for (const [key] of specs) model.on(`change:${key}`, follow);
  update(false);
  return () => { for (const [key] of specs) model.off(`change:${key}`, follow); };
}

export default { render };
