// CompletionExplorer: PixelRNN image completions, precomputed in Python (completion.py) for a
// few test digits x numbers of given rows; the page switches between them and computes the
// readout from the stored data with the same formulas as CompletionExplorer.numbers.
import * as draw from "./draw.js";

const bits = (s) => Array.from(s, (ch) => (ch === "1" ? 1 : 0));

function numbers(state, digit, ri) {
  const side = state.side, r = state.rows_options[ri], k = r * side, nFree = side * side - k;
  const orig = state.originals[digit], comps = state.completions[digit][ri];
  let ink = 0, agree = 0;
  for (const s of comps) {
    let on = 0, same = 0;
    for (let t = k; t < side * side; t++) {
      if (s[t] === "1") on++;
      if (s[t] === orig[t]) same++;
    }
    ink += nFree ? on / nFree : 0;
    agree += nFree ? same / nFree : 1;
  }
  const nlls = state.nll_samples[digit][ri];
  let total = 0;
  for (const v of nlls) total += v;
  return { digit, rows_given: r, n_samples: comps.length, nll_given: state.nll_given[digit][ri],
           nll_mean: total / nlls.length, ink: ink / comps.length, agree: agree / comps.length };
}

function render({ model, el }) {
  const state = {};
  for (const key of ["side", "originals", "labels", "rows_options", "completions", "nll_given", "nll_samples"]) {
    state[key] = model.get(key);
  }
  const side = state.side, D = state.originals.length, R = state.rows_options.length;
  let digit = model.get("digit"), ri = model.get("rows_index");

  const box = draw.root(el, "CompletionExplorer");
  const scale = 5;
  const blank = new Array(side * side).fill(0);
  const given = draw.heatmap({ values: blank, rows: side, cols: side, scale, vmin: 0, vmax: 1, cmap: "gray",
                               title: "given to the model (grey: hidden)", format: (v) => (v === 0.15 ? "hidden" : String(v)) });
  const original = draw.heatmap({ values: blank, rows: side, cols: side, scale, vmin: 0, vmax: 1, cmap: "gray",
                                  title: "the original" });
  // the one image with values between 0 and 1 gets a colour scale (the others are binary)
  const mean = draw.heatmap({ values: blank, rows: side, cols: side, scale, vmin: 0, vmax: 1,
                              title: "mean of the completions (share of completions with ink)", legend: true });
  const S = state.completions[0][0].length;
  const grid = draw.imageGrid({ images: [blank], rows: side, cols: side, ncol: Math.min(S, 6), scale: 4,
                                title: "completions sampled by the PixelRNN" });
  const digitSlider = draw.slider({ label: "digit", min: 0, max: D - 1, value: digit,
                                    onInput: (v) => { digit = v; update(true); } });
  const rowsSlider = draw.slider({ label: "rows given", min: 0, max: R - 1, value: ri,
                                   format: (v) => String(state.rows_options[v]),
                                   onInput: (v) => { ri = v; update(true); } });
  const panel = draw.table();
  box.append(
    draw.el("div", { class: "arlib-row" }, [given.node, original.node, mean.node]),
    draw.el("div", { class: "arlib-row" }, [
      grid.node,
      draw.el("div", { class: "arlib-controls" }, [digitSlider.node, rowsSlider.node, panel.node]),
    ]),
  );

  function update(fromPage) {
    const r = state.rows_options[ri], k = r * side;
    const orig = bits(state.originals[digit]);
    const comps = state.completions[digit][ri].map(bits);
    given.draw(orig.map((v, t) => (t < k ? v : 0.15)));
    original.draw(orig);
    mean.draw(orig.map((v, t) => (t < k ? v : comps.reduce((a, c) => a + c[t], 0) / comps.length)));
    grid.draw(comps);
    digitSlider.set(digit);
    rowsSlider.set(ri);
    const nums = numbers(state, digit, ri);
    draw.setReadout(box, { ...nums, label: state.labels[digit] });
    panel.update([
      ["digit (label)", `${digit} (${state.labels[digit]})`],
      ["rows given", `${r} of ${side} (${k} pixels)`],
      ["−log p(given rows)", `${draw.fmt(nums.nll_given, 1)} nats`],
      ["mean −log p(completion)", `${draw.fmt(nums.nll_mean, 1)} nats`],
      ["ink in the completed part", `${draw.fmt(100 * nums.ink, 1)} %`],
      ["pixels equal to the original", `${draw.fmt(100 * nums.agree, 1)} %`],
    ]);
    if (fromPage) {  // tell a live kernel too (a no-op in the static page)
      model.set("digit", digit);
      model.set("rows_index", ri);
      model.save_changes();
    }
  }
  const follow = () => { digit = model.get("digit"); ri = model.get("rows_index"); update(false); };
  model.on("change:digit", follow);
  model.on("change:rows_index", follow);
  update(false);
  return () => { model.off("change:digit", follow); model.off("change:rows_index", follow); };
}

export default { render };
