// FilterExplorer: a 3x3 filter slid over an MNIST digit, computed here in the page.
// Python (filter.py) passes the digits and the presets; the output is F.conv2d(x, w, padding=1)
// (no flip, zero padding), and the readout's checksum uses the same formulas as
// FilterExplorer.expected_readout (arlib.conv.filter_checksum), which the browser test compares.
import * as draw from "./draw.js";

const N = 28;

// out[i][j] = sum_{u,v} w[u][v] * x[i + u - 1][j + v - 1], zero outside the image.
function convolve(x, w) {
  const out = new Array(N * N).fill(0);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let u = 0; u < 3; u++) {
        const r = i + u - 1;
        if (r < 0 || r >= N) continue;
        for (let v = 0; v < 3; v++) {
          const c = j + v - 1;
          if (c < 0 || c >= N) continue;
          s += w[u * 3 + v] * x[r * N + c];
        }
      }
      out[i * N + j] = s;
    }
  }
  return out;
}

function checksum(out, probes) {
  let sum = 0, absSum = 0, min = Infinity, max = -Infinity;
  for (const v of out) {
    sum += v;
    absSum += Math.abs(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const res = { sum, abs_sum: absSum, min, max };
  probes.forEach(([r, c], k) => { res[`v${k}`] = out[r * N + c]; });
  return res;
}

function render({ model, el }) {
  const digits = model.get("digits"), labels = model.get("labels");
  const names = model.get("preset_names"), kernels = model.get("preset_kernels");
  const probes = model.get("probes");
  let kernel = model.get("kernel").slice(), digit = model.get("digit");
  const presetOf = (k) => {
    const i = kernels.findIndex((p) => p.every((v, j) => v === k[j]));
    return i >= 0 ? names[i] : "custom";
  };

  const box = draw.root(el, "FilterExplorer");
  const scale = 6;
  const input = draw.heatmap({ values: digits[digit], rows: N, cols: N, scale, vmin: 0, vmax: 1, cmap: "gray",
                               title: "the digit x", format: String, legend: true });
  const output = draw.heatmap({ values: convolve(digits[digit], kernel), rows: N, cols: N, scale,
                                title: "output (x * w)[i, j]", legend: true });
  const digitSlider = draw.slider({ label: "digit", min: 0, max: digits.length - 1, value: digit,
                                    onInput: (v) => { digit = v; update(true); } });
  const preset = draw.select({
    label: "filter", value: presetOf(kernel),
    options: [...names.map((n) => ({ value: n })), { value: "custom", label: "custom (edited)" }],
    onChange: (v) => {
      const i = names.indexOf(v);
      if (i >= 0) { kernel = kernels[i].slice(); update(true); }
    },
  });
  // The nine weights as number inputs, laid out as the filter; shown to 4 decimals (1/9 as 0.1111),
  // wide enough for "-0.1111" beside the spin buttons. The kernel keeps full precision until edited.
  const shown = (v) => String(Number(Number(v).toFixed(4)));
  const cells = kernel.map((v, j) => {
    const inp = draw.el("input", { type: "number", step: "0.1", value: shown(v), "aria-label": `w[${Math.floor(j / 3)}][${j % 3}]`,
                                   style: { width: "7.5em", fontVariantNumeric: "tabular-nums" } });
    inp.addEventListener("input", () => {
      const val = Number(inp.value);
      if (inp.value.trim() === "" || !Number.isFinite(val)) return;
      kernel[j] = val;
      update(true, j);
    });
    return inp;
  });
  const grid = draw.el("div", { style: { display: "grid", gridTemplateColumns: "repeat(3, auto)", gap: "3px",
                                          justifyContent: "start" } }, cells);
  const panel = draw.table();
  box.append(
    draw.el("div", { class: "arlib-row" }, [input.node, output.node,
      draw.el("div", { class: "arlib-controls" }, [
        digitSlider.node, preset.node,
        draw.el("div", { class: "arlib-control" }, [draw.el("span", { text: "w" }), grid]),
        panel.node,
      ]),
    ]),
  );

  function update(fromPage, editing = -1) {
    const x = digits[digit];
    const out = convolve(x, kernel);
    const sums = checksum(out, probes);
    input.draw(x);
    output.draw(out);
    digitSlider.set(digit);
    const name = presetOf(kernel);
    preset.set(name);
    cells.forEach((c, j) => { if (j !== editing) c.value = shown(kernel[j]); });
    draw.setReadout(box, { digit, label: labels[digit], preset: name, kernel: kernel.slice(), ...sums });
    panel.update([
      ["digit (label)", `${digit} (${labels[digit]})`],
      ["sum of the output", draw.fmt(sums.sum, 3)],
      ["sum of |output|", draw.fmt(sums.abs_sum, 3)],
      ["min, max", `${draw.fmt(sums.min, 3)}, ${draw.fmt(sums.max, 3)}`],
      ...probes.map(([r, c], k) => [`output at (${r}, ${c})`, draw.fmt(sums[`v${k}`], 3)]),
    ]);
    if (fromPage) {  // tell a live kernel too (a no-op in the static page)
      model.set("kernel", kernel.slice());
      model.set("digit", digit);
      model.save_changes();
    }
  }
  const follow = () => { kernel = model.get("kernel").slice(); digit = model.get("digit"); update(false); };
  model.on("change:kernel", follow);
  model.on("change:digit", follow);
  update(false);
  return () => { model.off("change:kernel", follow); model.off("change:digit", follow); };
}

export default { render };
