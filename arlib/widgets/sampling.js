// SamplingExplorer: play back a recorded ancestral-sampling run, pixel by pixel.
// Python (sampling.py) passes the final samples x, the probability p(x_i = 1 | x_<i) each pixel
// was drawn from, and the order; the page shows the run at any step with no kernel.
import * as draw from "./draw.js";

const NOT_YET = "#cfe3f3"; // a pixel that has not been drawn yet

function render({ model, el }) {
  const H = model.get("height"), W = model.get("width"), D = H * W;
  const xs = model.get("x"), ps = model.get("probs"), order = model.get("order");
  const nShow = xs.length;
  const posOf = new Int32Array(D); // position of each pixel in the order
  order.forEach((i, t) => { posOf[i] = t; });
  let step = Math.min(Math.max(model.get("step"), 0), D - 1);
  let speed = 1;

  const box = draw.root(el, "SamplingExplorer");
  // pixels per image pixel: all samples side by side in about 620 px (a book column), at most 6
  const scale = Math.max(2, Math.min(6, Math.floor(168 / Math.max(H, W)), Math.floor((620 / nShow - 16) / W)));
  // one column per sample: the image so far above its probability map so far
  const panels = xs.map((_, j) => {
    const img = draw.el("canvas", { width: W * scale, height: H * scale, class: "arlib-canvas" });
    const map = draw.el("canvas", { width: W * scale, height: H * scale, class: "arlib-canvas" });
    const node = draw.el("figure", { class: "arlib-figure" }, [
      img, draw.el("div", { style: { height: "4px" } }), map,
      draw.el("figcaption", { text: nShow > 1 ? `sample ${j + 1}` : "" }),
    ]);
    return { node, img: img.getContext("2d"), map: map.getContext("2d") };
  });

  // the Bernoulli the current pixel is drawn from (sample 1): a bar of p and the drawn value
  const bar = draw.el("canvas", { width: 220, height: 40, class: "arlib-canvas" });
  const bctx = bar.getContext("2d");
  const stepSlider = draw.slider({ label: "step", min: 0, max: D - 1, value: step, format: (v) => `${v + 1} / ${D}`,
                                   onInput: (v) => { controls.stop(); go(v, true); } });
  const controls = draw.transport({ at: () => step, go: (t) => go(t, true), last: D - 1, speed: () => speed });
  const speedSel = draw.select({
    label: "pixels per tick",
    options: [1, 4, 28, 112].filter((v) => v <= D).map((v) => ({ value: String(v), label: String(v) })),
    value: "1", onChange: (v) => { speed = Number(v); },
  });
  const panel = draw.table();
  box.append(
    draw.el("div", { class: "arlib-row" }, [
      draw.el("div", { class: "arlib-controls" }, [
        stepSlider.node,
        controls.node,
        speedSel.node,
        draw.el("figure", { class: "arlib-figure" }, [bar, draw.el("figcaption", {
          text: "p(x_i = 1 | x_<i) of this pixel, sample 1 (▲: x_i = 1 when a uniform u < p)" })]),
        panel.node,
      ]),
      draw.el("div", {}, [
        draw.el("div", { class: "arlib-row" }, panels.map((p) => p.node)),
        draw.el("div", { style: { fontSize: "12px", color: "#555" } }, [
          "top: the sample so far (black = 1, white = 0, blue = not drawn yet); ",
          "bottom: the probability p(x_i = 1 | x_<i) each drawn pixel came from; red box: the pixel drawn now.",
        ]),
      ]),
    ]),
  );

  function paint() {
    panels.forEach((pn, j) => {
      const x = xs[j], p = ps[j];
      for (let i = 0; i < D; i++) {
        const r = Math.floor(i / W), c = i % W, done = posOf[i] <= step;
        pn.img.fillStyle = done ? draw.colour(x[i], "gray") : NOT_YET;
        pn.img.fillRect(c * scale, r * scale, scale, scale);
        pn.map.fillStyle = done ? draw.colour(p[i], "seq") : "#fff";
        pn.map.fillRect(c * scale, r * scale, scale, scale);
      }
      const i = order[step], r = Math.floor(i / W), c = i % W;
      for (const ctx of [pn.img, pn.map]) {
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#e4572e";
        ctx.strokeRect(c * scale - 1, r * scale - 1, scale + 2, scale + 2);
      }
    });
  }

  function paintBar(p, value) {
    const w = bar.width, h = bar.height, x0 = 10, x1 = w - 10;
    bctx.clearRect(0, 0, w, h);
    bctx.fillStyle = "#eee";
    bctx.fillRect(x0, 8, x1 - x0, 14);
    bctx.fillStyle = draw.colour(p, "seq");
    bctx.fillRect(x0, 8, (x1 - x0) * p, 14);
    bctx.strokeStyle = "#333";
    bctx.strokeRect(x0, 8, x1 - x0, 14);
    bctx.fillStyle = "#222";
    bctx.font = "11px sans-serif";
    bctx.fillText("0", x0 - 8, 20);
    bctx.fillText("1", x1 + 3, 20);
    // x_i = 1 when the uniform draw u < p: the drawn value says on which side of p u fell
    const side = value === 1 ? x0 + ((x1 - x0) * p) / 2 : x0 + (x1 - x0) * (p + (1 - p) / 2);
    bctx.fillText(`▲ x_i = ${value}`, Math.min(side - 6, w - 60), 36);
  }

  function go(t, fromPage) {
    step = Math.min(Math.max(Math.round(t), 0), D - 1);
    const i = order[step];
    const readout = { step, pixel: i, row: Math.floor(i / W), col: i % W, p: ps[0][i], value: xs[0][i] };
    draw.setReadout(box, readout);
    stepSlider.set(step);
    paint();
    paintBar(readout.p, readout.value);
    panel.update([
      ["step", `${step + 1} of ${D}`],
      ["pixel i (row, col)", `${i} (${readout.row}, ${readout.col})`],
      ["p(x_i = 1 | x_<i)", draw.fmt(readout.p)],
      ["drawn x_i", String(readout.value)],
      ...(nShow > 1 ? [["x_i in samples 1…" + nShow, xs.map((x) => x[i]).join(" ")]] : []),
    ]);
    if (fromPage) {
      model.set("step", step);
      model.save_changes();
    }
  }

  const follow = () => { if (model.get("step") !== step) go(model.get("step"), false); };
  model.on("change:step", follow);
  go(step, false);
  return () => { controls.stop(); model.off("change:step", follow); };
}

export default { render };
