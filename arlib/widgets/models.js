// The book's trained models, in the page: FVSBN, NADE, MADE and PixelCNN on binary images.
//
// arlib/widgets/live.py exports a model as a plain object (its "spec"): kind, image size,
// generation order and tensors (weights as int8 with one float32 scale per output row,
// biases as float32, both base64). This file is the one JavaScript forward pass of those
// models, written as the ancestral loop of the lecture:
//
//   const step = stepper(net);             // a fresh pass
//   for (const i of net.order) {           // in the model's order
//     const logit = step(x, i);            // log-odds of p(x_i = 1 | x_<i): only x_<i is read
//     ...set x[i] (sampling) or keep it (evaluating)...
//   }
//
// Every model keeps what it computed for earlier pixels, so a whole pass costs one forward
// pass (O(n^2) for FVSBN, O(nH) for NADE and MADE, one convolution stack for PixelCNN). The
// same loop gives all conditionals of a drawn image (conditionals) and a completion
// (complete). arlib.widgets.live computes the same numbers in Python with the same weights.

// ---------------------------------------------------------------- weights

function bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// A tensor of the spec as a Float64Array (row-major): q * scale[row] for int8 weights.
export function decode(t) {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  if (t.f32 !== undefined) {
    const f = new Float32Array(bytes(t.f32).buffer);
    for (let i = 0; i < n; i++) out[i] = f[i];
    return out;
  }
  const q = new Int8Array(bytes(t.q).buffer);
  const scale = new Float32Array(bytes(t.scale).buffer);
  const cols = n / t.shape[0];
  for (let r = 0; r < t.shape[0]; r++) {
    const s = scale[r];
    for (let c = 0; c < cols; c++) out[r * cols + c] = q[r * cols + c] * s;
  }
  return out;
}

// The spec with its tensors decoded once: {...spec, T: {name: Float64Array}, D}.
export function prepare(spec) {
  const T = {};
  for (const [name, t] of Object.entries(spec.tensors)) T[name] = decode(t);
  const net = { ...spec, T, D: spec.height * spec.width };
  if (net.kind === "made") setMask(net, net.mask ?? 0);
  return net;
}

// MADE: use mask k of the spec's masks; its ordering (the inputs by degree) becomes net.order.
export function setMask(net, k) {
  const m0 = net.masks[k][0], order = new Array(m0.length);
  m0.forEach((deg, i) => { order[deg - 1] = i; });
  net.mask = k;
  net.order = order;
}

const sigmoid = (a) => 1 / (1 + Math.exp(-a));

// ---------------------------------------------------------------- one step per pixel

// FVSBN: logit_i = b_i + sum_j W[i, j] x_j (W is zero unless j comes before i).
function fvsbnStepper(net) {
  const { W, b } = net.T, D = net.D;
  return (x, i) => {
    let a = b[i];
    for (let j = 0; j < D; j++) a += W[i * D + j] * x[j];
    return a;
  };
}

// NADE: a = c + sum over earlier pixels j of W[:, j] x_j (the running sum, O(H) per pixel),
// logit_i = b_i + V[i, :] . sigmoid(a).
function nadeStepper(net) {
  const { W, c, V, b } = net.T, D = net.D, H = c.length;
  const a = Float64Array.from(c);
  let last = -1;
  return (x, i) => {
    if (last >= 0 && x[last]) for (let k = 0; k < H; k++) a[k] += W[k * D + last];
    last = i;
    let s = b[i];
    for (let k = 0; k < H; k++) s += V[i * H + k] * sigmoid(a[k]);
    return s;
  };
}

// MADE: a hidden unit of degree m reads only units of degree <= m below it (inputs: their
// position in the order, 1-based), and output d only last-layer units of degree < m0[d]. So
// when the pixel of degree t + 1 comes, every unit of degree t can be computed, once, from
// values that are all final; its logit reads the units of degree <= t.
function madeStepper(net) {
  const degrees = net.masks[net.mask ?? 0];
  const L = degrees.length - 1, D = net.D;
  const values = degrees.map((m) => new Float64Array(m.length));   // values[0] = the inputs
  const byDegree = degrees.map((m) => {
    const groups = Array.from({ length: D + 1 }, () => []);
    m.forEach((deg, k) => groups[deg].push(k));
    return groups;
  });
  let t = 0;   // pixels generated so far
  return (x, i) => {
    for (let j = 0; j < D; j++) values[0][j] = x[j];
    for (let l = 1; l <= L; l++) {
      const W = net.T[`W${l}`], bias = net.T[`b${l}`], below = degrees[l - 1], n = below.length;
      for (const k of byDegree[l][t]) {
        let s = bias[k];
        for (let j = 0; j < n; j++) if (below[j] <= t) s += W[k * n + j] * values[l - 1][j];
        values[l][k] = s > 0 ? s : 0;
      }
    }
    const W = net.T[`W${L + 1}`], top = degrees[L], H = top.length, deg = degrees[0][i];
    let s = net.T[`b${L + 1}`][i];
    for (let k = 0; k < H; k++) if (top[k] < deg) s += W[i * H + k] * values[L][k];
    if (net.T.direct) for (let j = 0; j < D; j++) if (degrees[0][j] < deg) s += net.T.direct[i * D + j] * x[j];
    t += 1;
    return s;
  };
}

// PixelCNN: masked convolutions computed one position at a time, in raster order. The masked
// kernel weights are zero below the centre row and right of the centre (type A: the centre
// too), so a position reads only positions already computed; all maps start at zero.
function pixelcnnStepper(net) {
  const { height: Hh, width: Ww } = net;
  const convs = net.layers.map((layer, l) => ({ ...layer, W: net.T[`conv${l}`], b: net.T[`bias${l}`] }));
  const maps = [new Float64Array(Hh * Ww), ...convs.map((c) => new Float64Array(c.cout * Hh * Ww))];
  const input = maps[0];   // channel 0 of the scaled image: 2x - 1 where set, 0 (padding) elsewhere
  let last = -1;
  function at(conv, src, r, s) {   // conv's outputs at (r, s), from map src
    const { k, cin, cout, W, b } = conv, p = (k - 1) / 2, out = new Float64Array(cout);
    for (let o = 0; o < cout; o++) {
      let v = b[o];
      for (let c = 0; c < cin; c++) {
        for (let dr = 0; dr <= p; dr++) {
          const rr = r - p + dr;
          if (rr < 0) continue;
          for (let dc = 0; dc < k; dc++) {
            const ss = s - p + dc;
            if (ss < 0 || ss >= Ww) continue;
            v += W[((o * cin + c) * k + dr) * k + dc] * src[(c * Hh + rr) * Ww + ss];
          }
        }
      }
      out[o] = v;
    }
    return out;
  }
  return (x, i) => {
    if (last >= 0) input[last] = 2 * x[last] - 1;
    last = i;
    const r = Math.floor(i / Ww), s = i % Ww;
    let h = null;
    convs.forEach((conv, l) => {
      const y = at(conv, maps[l], r, s);
      for (let o = 0; o < conv.cout; o++) {
        let v = conv.relu ? Math.max(0, y[o]) : y[o];
        if (conv.residual) v += maps[l][(o * Hh + r) * Ww + s];
        maps[l + 1][(o * Hh + r) * Ww + s] = v;
      }
      h = maps[l + 1];
    });
    return h[r * Ww + s];   // the last layer has one channel: the logit
  };
}

// PixelCNN, all positions at once (what conditionals uses): the same masked convolutions, layer
// by layer, with the loop over columns innermost, several times faster than position by position.
function pixelcnnLogits(net, x) {
  const { height: Hh, width: Ww } = net, n = Hh * Ww;
  let h = Float64Array.from(x, (v) => 2 * v - 1);
  net.layers.forEach((layer, l) => {
    const { k, cin, cout, relu, residual } = layer, W = net.T[`conv${l}`], b = net.T[`bias${l}`], p = (k - 1) / 2;
    const y = new Float64Array(cout * n);
    for (let o = 0; o < cout; o++) {
      const yo = y.subarray(o * n, (o + 1) * n);
      yo.fill(b[o]);
      for (let c = 0; c < cin; c++) {
        const hc = h.subarray(c * n, (c + 1) * n);
        for (let dr = 0; dr <= p; dr++) {
          for (let dc = 0; dc < k; dc++) {
            const w = W[((o * cin + c) * k + dr) * k + dc];
            if (w === 0) continue;   // masked
            const sr = dr - p, sc = dc - p, s0 = Math.max(0, -sc), s1 = Math.min(Ww, Ww - sc);
            for (let r = Math.max(0, -sr); r < Hh; r++) {
              const yrow = r * Ww, hrow = (r + sr) * Ww + sc;
              for (let s = s0; s < s1; s++) yo[yrow + s] += w * hc[hrow + s];
            }
          }
        }
      }
    }
    if (relu) for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
    if (residual) for (let i = 0; i < y.length; i++) y[i] += h[i];
    h = y;
  });
  return h;   // one channel: the logits
}

const STEPPERS = { fvsbn: fvsbnStepper, nade: nadeStepper, made: madeStepper, pixelcnn: pixelcnnStepper };
const FORWARDS = { pixelcnn: pixelcnnLogits };   // a faster whole-image pass, where there is one

// A fresh ancestral pass over net: a function (x, i) -> logit of pixel i, to be called for
// every pixel in net.order, with x_<i set (x: 0/1 array of length D).
export function stepper(net) {
  const make = STEPPERS[net.kind];
  if (!make) throw new Error(`no forward pass for model kind ${net.kind}`);
  return make(net);
}

// ---------------------------------------------------------------- what the page asks

// p(x_i = 1 | x_<i) for every pixel i of the binary image x, and its log-likelihood terms:
// {p, nats (-log p(x_i | x_<i) per pixel), total (-log p(x), nats)}.
export function conditionals(net, x) {
  const p = new Float64Array(net.D), nats = new Float64Array(net.D);
  const forward = FORWARDS[net.kind], logits = forward ? forward(net, x) : null, step = forward ? null : stepper(net);
  let total = 0;
  for (const i of net.order) {
    const a = logits ? logits[i] : step(x, i);
    p[i] = sigmoid(a);
    // -log sigmoid(+-a), stable for large |a|
    const z = x[i] ? -a : a;
    nats[i] = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    total += nats[i];
  }
  return { p, nats, total };
}

// Mulberry32 (as arlib.masks.Mulberry32): next() returns the next float in [0, 1).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Keep the pixels of x with keep[i] true, sample every other pixel in net.order:
// x_i = 1 when u < p(x_i = 1 | x_<i), u the next Mulberry32 number of seed (one per sampled
// pixel). Returns {x, p (the parameter each pixel was drawn from or kept under), order (the
// sampled pixels, in the order drawn)}. Exact for kept pixels that come first in the order.
export function complete(net, x, keep, seed) {
  const step = stepper(net), next = mulberry32(seed);
  const out = Uint8Array.from(x), p = new Float64Array(net.D), drawn = [];
  for (const i of net.order) {
    p[i] = sigmoid(step(out, i));
    if (!keep[i]) { out[i] = next() < p[i] ? 1 : 0; drawn.push(i); }
  }
  return { x: out, p, order: drawn };
}
