// The explorer's code in the browser (inlined into explorer.html by lib/explorer/page.ts). It reads
// the JSON payload of the page, runs the decoders with tfjs on its "cpu" backend and draws:
// the plane of the codes (2-D latent codes as they are, others on their first two principal
// axes), the image decoded at the pointer, a picked test image beside its reconstruction, and an
// interpolation between two test images' codes with the nearest training images of the current
// code. Plain JavaScript, no imports: tfjs is the global `tf` of the scripts before this one.
"use strict";

(function () {
  const SIDE = 28;
  const PIXELS = SIDE * SIDE;
  const $ = (id) => document.getElementById(id);
  const status = $("kx-status");
  const config = JSON.parse($("kx-data").textContent);
  const payload = config.payload;
  const colors = config.colors;
  const state = {
    run: null,
    cache: new Map(),
    model: null,
    a: 0,
    b: 1,
    nextPick: "a",
    picked: null,
    pointerCode: null,
    pointerPixel: null,
    interpCode: null,
  };
  let images = null;

  /** Says something in the status line; `kind` is "info", "ready" or "error". */
  function say(text, kind = "info") {
    status.textContent = text;
    status.className = `kx-status kx-${kind}`;
  }

  /** Writes a message over a canvas (and in its overlay), so that it is never blank. */
  function canvasMessage(canvasId, text) {
    const overlay = $(`${canvasId}-msg`);
    if (overlay) {
      overlay.textContent = text;
      overlay.hidden = text === "";
    }
    const canvas = $(canvasId);
    if (!canvas || text === "") return;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#f3f3f3";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function fail(text) {
    say(text, "error");
    for (const id of ["kx-plane", "kx-glyph", "kx-interp"]) canvasMessage(id, text);
    document.documentElement.dataset.explorer = "error";
  }

  async function unpack(packed) {
    if (typeof DecompressionStream === "undefined") {
      throw new Error(
        "this browser has no DecompressionStream (needs Chrome 80, Firefox 113, Safari 16.4 or later)",
      );
    }
    const binary = atob(packed.data);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length !== packed.bytes) {
      throw new Error(`a data block inflated to ${out.length} bytes, expected ${packed.bytes}`);
    }
    return out;
  }

  function float16Value(bits) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >>> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) return sign * mantissa * 2 ** -24;
    if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
    return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }

  /** [0,1] to 0..255, clamped and rounded half up (lib/explorer/encoding.ts `quantize`). */
  function quantize(values) {
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Math.min(1, Math.max(0, values[i]));
      out[i] = Math.floor(v * 255 + 0.5);
    }
    return out;
  }

  /** Paints 784 grey levels on a 28x28 canvas and, scaled up without smoothing, on `big`. */
  function paint(small, big, grey) {
    const ctx = small.getContext("2d");
    const data = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < PIXELS; i++) {
      data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = grey[i];
      data.data[4 * i + 3] = 255;
    }
    ctx.putImageData(data, 0, 0);
    if (!big) return;
    const b = big.getContext("2d");
    b.setTransform(1, 0, 0, 1, 0, 0);
    b.imageSmoothingEnabled = false;
    b.drawImage(small, 0, 0, big.width, big.height);
  }

  function imageOf(set, index) {
    return set.images.subarray(index * PIXELS, (index + 1) * PIXELS);
  }

  function className(label) {
    const c = payload.classes[label];
    return `${c.char} (${c.romaji})`;
  }

  /** Decodes one code with the current run's decoder: 784 grey levels. */
  function decode(code) {
    const out = tf.tidy(() => state.model.predict(tf.tensor2d(code, [1, code.length])));
    try {
      return quantize(out.dataSync());
    } finally {
      out.dispose();
    }
  }

  // ---- the plane -------------------------------------------------------------------------------
  const plane = $("kx-plane");
  const PLANE = plane.width;
  const base = document.createElement("canvas");
  base.width = base.height = PLANE;

  function project(run, code) {
    const p = run.projection;
    const out = [0, 0];
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let j = 0; j < code.length; j++) s += (code[j] - p.mean[j]) * p.axes[c][j];
      out[c] = s;
    }
    return out;
  }

  function codeAt(run, x, y) {
    const p = run.projection;
    const code = new Float32Array(run.latentDim);
    for (let j = 0; j < run.latentDim; j++) {
      code[j] = p.mean[j] + x * p.axes[0][j] + y * p.axes[1][j];
    }
    return code;
  }

  function fitView(xy) {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      minX = Math.min(minX, xy[i]);
      maxX = Math.max(maxX, xy[i]);
      minY = Math.min(minY, xy[i + 1]);
      maxY = Math.max(maxY, xy[i + 1]);
    }
    return {
      cx: (minX + maxX) / 2,
      cy: (minY + maxY) / 2,
      hx: 0.54 * Math.max(maxX - minX, 1e-6),
      hy: 0.54 * Math.max(maxY - minY, 1e-6),
    };
  }

  const toPixel = (view, x, y) => [
    ((x - view.cx + view.hx) / (2 * view.hx)) * PLANE,
    ((view.cy + view.hy - y) / (2 * view.hy)) * PLANE,
  ];
  const fromPixel = (view, px, py) => [
    view.cx - view.hx + (px / PLANE) * 2 * view.hx,
    view.cy + view.hy - (py / PLANE) * 2 * view.hy,
  ];

  function drawBase(entry) {
    const ctx = base.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, PLANE, PLANE);
    const [ox, oy] = toPixel(
      entry.view,
      ...project(entry.run, new Float32Array(entry.run.latentDim)),
    );
    ctx.strokeStyle = "#e3e3e3";
    ctx.beginPath();
    ctx.moveTo(ox, 0);
    ctx.lineTo(ox, PLANE);
    ctx.moveTo(0, oy);
    ctx.lineTo(PLANE, oy);
    ctx.stroke();
    for (let i = 0; i < images.test.count; i++) {
      const [px, py] = toPixel(entry.view, entry.xy[2 * i], entry.xy[2 * i + 1]);
      ctx.fillStyle = colors[images.test.labels[i] % colors.length];
      ctx.globalAlpha = 0.75;
      ctx.beginPath();
      ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "#888";
    ctx.strokeRect(0.5, 0.5, PLANE - 1, PLANE - 1);
  }

  function marker(ctx, x, y, label, color) {
    ctx.fillStyle = "#ffffff";
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    if (label) {
      ctx.fillStyle = color;
      ctx.font = "bold 13px sans-serif";
      ctx.fillText(label, x + 8, y - 8);
    }
  }

  function drawPlane() {
    const entry = state.run;
    const ctx = plane.getContext("2d");
    ctx.drawImage(base, 0, 0);
    const at = (i) => toPixel(entry.view, entry.xy[2 * i], entry.xy[2 * i + 1]);
    const [ax, ay] = at(state.a);
    const [bx, by] = at(state.b);
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx, by);
    ctx.stroke();
    ctx.setLineDash([]);
    marker(ctx, ax, ay, "A", "#222");
    marker(ctx, bx, by, "B", "#222");
    if (state.interpCode) {
      const [x, y] = toPixel(entry.view, ...project(entry.run, state.interpCode));
      marker(ctx, x, y, "", "#D55E00");
    }
    if (state.pointerPixel) {
      const [x, y] = state.pointerPixel;
      ctx.strokeStyle = "#D55E00";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x - 8, y);
      ctx.lineTo(x + 8, y);
      ctx.moveTo(x, y - 8);
      ctx.lineTo(x, y + 8);
      ctx.stroke();
    }
    if (state.picked !== null) {
      const [x, y] = at(state.picked);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  function planePoint(event) {
    const rect = plane.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) / rect.width) * PLANE,
      ((event.clientY - rect.top) / rect.height) * PLANE,
    ];
  }

  // ---- the outputs -----------------------------------------------------------------------------
  let pointerPending = null;
  function showPointer() {
    const code = pointerPending;
    pointerPending = null;
    if (!code || !state.model) return;
    paint($("kx-glyph28"), $("kx-glyph"), decode(code));
    $("kx-glyph28").dataset.code = JSON.stringify(Array.from(code));
    const shown = Array.from(code.slice(0, 2), (v) => v.toFixed(3)).join(", ");
    $("kx-glyph-z").textContent = state.run.run.latentDim === 2
      ? `z = (${shown})`
      : `plane point (${Array.from(project(state.run.run, code), (v) => v.toFixed(2)).join(", ")})`;
    canvasMessage("kx-glyph", "");
    drawPlane();
  }

  function pick(index) {
    state.picked = index;
    paint($("kx-picked28"), $("kx-picked"), imageOf(images.test, index));
    const code = state.run.codes.subarray(
      index * state.run.run.latentDim,
      (index + 1) * state.run.run.latentDim,
    );
    if (state.model) paint($("kx-recon28"), $("kx-recon"), decode(code));
    else canvasMessage("kx-recon", state.run.problem);
    $("kx-picked-caption").textContent = `test image ${index}, ${
      className(images.test.labels[index])
    }`;
    if (state.nextPick === "a") state.a = index;
    else state.b = index;
    state.nextPick = state.nextPick === "a" ? "b" : "a";
    $("kx-a").value = String(state.a);
    $("kx-b").value = String(state.b);
    showEnds();
    interpolate();
  }

  function showEnds() {
    paint($("kx-a28"), $("kx-a-img"), imageOf(images.test, state.a));
    paint($("kx-b28"), $("kx-b-img"), imageOf(images.test, state.b));
    $("kx-a-caption").textContent = `A: ${className(images.test.labels[state.a])}`;
    $("kx-b-caption").textContent = `B: ${className(images.test.labels[state.b])}`;
  }

  function nearest(code, k) {
    const entry = state.run;
    const d = entry.run.latentDim;
    const best = [];
    for (let i = 0; i < images.train.count; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = entry.trainCodes[i * d + j] - code[j];
        s += diff * diff;
      }
      if (best.length < k || s < best[best.length - 1][1]) {
        best.push([i, s]);
        best.sort((p, q) => p[1] - q[1]);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }

  function showNeighbours(code) {
    const box = $("kx-nn");
    box.textContent = "";
    for (const [index, s] of nearest(code, 6)) {
      const figure = document.createElement("figure");
      const small = document.createElement("canvas");
      small.width = small.height = SIDE;
      const big = document.createElement("canvas");
      big.width = big.height = 84;
      paint(small, big, imageOf(images.train, index));
      const caption = document.createElement("figcaption");
      caption.textContent = `${className(images.train.labels[index])} · d ${
        Math.sqrt(s).toFixed(2)
      }`;
      figure.append(big, caption);
      figure.dataset.index = String(index);
      box.append(figure);
    }
  }

  function interpolate() {
    const entry = state.run;
    const d = entry.run.latentDim;
    const t = Number($("kx-t").value) / Number($("kx-t").max);
    const code = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      code[j] = (1 - t) * entry.codes[state.a * d + j] + t * entry.codes[state.b * d + j];
    }
    state.interpCode = code;
    $("kx-t-value").textContent = `t = ${t.toFixed(2)}`;
    $("kx-interp28").dataset.code = JSON.stringify(Array.from(code));
    showNeighbours(code);
    drawPlane();
    if (!state.model) return;
    paint($("kx-interp28"), $("kx-interp"), decode(code));
    canvasMessage("kx-interp", "");
  }

  // ---- runs ------------------------------------------------------------------------------------
  async function loadRun(run) {
    const codes = new Float32Array((await unpack(run.testCodes)).buffer);
    const bits = new Uint16Array((await unpack(run.trainCodes)).buffer);
    const trainCodes = Float32Array.from(bits, float16Value);
    const xy = new Float32Array(2 * images.test.count);
    for (let i = 0; i < images.test.count; i++) {
      const [x, y] = project(run, codes.subarray(i * run.latentDim, (i + 1) * run.latentDim));
      xy[2 * i] = x;
      xy[2 * i + 1] = y;
    }
    let model = null;
    let problem = "";
    if (!run.decoder) {
      problem = `No decoder for run "${run.name}" (${run.directory}): re-export the page with ` +
        "deno task explorer after training it.";
    } else {
      try {
        const weightData = (await unpack(run.decoder.weightData)).buffer;
        model = await tf.loadLayersModel(tf.io.fromMemory({
          modelTopology: run.decoder.modelTopology,
          weightSpecs: run.decoder.weightSpecs,
          weightData,
        }));
      } catch (error) {
        problem = `The decoder of run "${run.name}" did not load (${error.message}): re-export ` +
          "the page with deno task explorer.";
      }
    }
    return { run, codes, trainCodes, xy, view: fitView(xy), model, problem };
  }

  async function selectRun(name) {
    const run = payload.runs.find((r) => r.name === name);
    say(`Loading ${name}…`);
    if (!state.cache.has(name)) state.cache.set(name, await loadRun(run));
    const entry = state.cache.get(name);
    state.run = entry;
    state.model = entry.model;
    state.picked = null;
    state.pointerPixel = null;
    drawBase(entry);
    const v = entry.view;
    const [h, w] = run.latentDim === 2 ? ["z₁", "z₂"] : ["PC 1", "PC 2"];
    $("kx-plane-axes").textContent = `${h} from ${(v.cx - v.hx).toFixed(2)} to ` +
      `${(v.cx + v.hx).toFixed(2)} (→), ${w} from ${(v.cy - v.hy).toFixed(2)} to ` +
      `${(v.cy + v.hy).toFixed(2)} (↑)`;
    const latent = run.latentDim === 2;
    $("kx-plane-title").textContent = latent
      ? `Latent plane: codes of ${images.test.count} test images`
      : `${run.latentDim}-D codes of ${images.test.count} test images on their first two ` +
        `principal axes (${
          run.projection.explained.map((v) => `${(100 * v).toFixed(0)}%`).join(" + ")
        } of the variance)`;
    $("kx-pointer-title").textContent = latent
      ? "Decoded at the pointer"
      : "Decoded at the pointer (plane of the two axes through the mean code)";
    $("kx-glyph-z").textContent = "\u00a0";
    $("kx-picked-caption").textContent = "Click a point of the plane.";
    for (const id of ["kx-picked", "kx-recon"]) {
      $(id).getContext("2d").clearRect(0, 0, $(id).width, $(id).height);
    }
    $("kx-info").textContent = `${run.kind}, latent ${run.latentDim}, ` +
      `${run.params.toLocaleString("en-US")} parameters, ${run.directory}`;
    canvasMessage("kx-plane", "");
    if (entry.problem) {
      for (const id of ["kx-glyph", "kx-interp"]) canvasMessage(id, entry.problem);
      say(entry.problem, "error");
    } else {
      canvasMessage("kx-glyph", "Move the pointer over the plane.");
    }
    drawPlane();
    showEnds();
    interpolate();
    if (!entry.problem) {
      say(
        `${run.name}: the decoder runs in this page (tfjs ${tf.version_core}, ${tf.getBackend()} ` +
          "backend). Move over the plane, click points to pick A and B, drag the slider.",
        "ready",
      );
    }
    document.documentElement.dataset.explorer = entry.problem ? "error" : "ready";
    document.documentElement.dataset.run = name;
  }

  function setEnd(which, text) {
    const index = Number(text);
    if (!Number.isInteger(index) || index < 0 || index >= images.test.count) {
      say(`Test image numbers go from 0 to ${images.test.count - 1}; got "${text}".`, "error");
      return;
    }
    state[which] = index;
    showEnds();
    interpolate();
  }

  async function main() {
    if (typeof tf === "undefined" || !tf.loadLayersModel) {
      throw new Error("tfjs did not load in this page");
    }
    await tf.setBackend("cpu");
    await tf.ready();
    const unpackSet = async (set) => ({
      count: set.count,
      images: await unpack(set.images),
      labels: await unpack(set.labels),
    });
    images = { test: await unpackSet(payload.test), train: await unpackSet(payload.train) };
    const legend = $("kx-legend");
    payload.classes.forEach((c, i) => {
      const item = document.createElement("span");
      item.className = "kx-key";
      const dot = document.createElement("i");
      dot.style.background = colors[i % colors.length];
      item.append(dot, `${c.char} ${c.romaji}`);
      legend.append(item);
    });
    const notes = $("kx-notes");
    for (const note of payload.notes) {
      const li = document.createElement("li");
      li.textContent = note;
      notes.append(li);
    }
    const select = $("kx-model");
    for (const run of payload.runs) {
      const option = document.createElement("option");
      option.value = run.name;
      option.textContent = `${run.name} (${run.kind}, ${run.latentDim}-D)`;
      select.append(option);
    }
    select.addEventListener("change", () => {
      selectRun(select.value).catch((error) =>
        fail(`Could not show ${select.value}: ${error.message}`)
      );
    });
    state.b = Math.max(
      1,
      Array.from(images.test.labels).findIndex((l) => l !== images.test.labels[0]),
    );
    $("kx-a").max = $("kx-b").max = String(images.test.count - 1);
    $("kx-a").addEventListener("change", (e) => setEnd("a", e.target.value));
    $("kx-b").addEventListener("change", (e) => setEnd("b", e.target.value));
    $("kx-t").addEventListener("input", () => interpolate());
    plane.addEventListener("pointermove", (event) => {
      if (!state.run) return;
      const pixel = planePoint(event);
      state.pointerPixel = pixel;
      const [x, y] = fromPixel(state.run.view, ...pixel);
      const first = pointerPending === null;
      pointerPending = codeAt(state.run.run, x, y);
      if (first) requestAnimationFrame(showPointer);
    });
    plane.addEventListener("click", (event) => {
      if (!state.run) return;
      const [px, py] = planePoint(event);
      let best = -1;
      let bestDistance = 12 * 12;
      for (let i = 0; i < images.test.count; i++) {
        const [x, y] = toPixel(state.run.view, state.run.xy[2 * i], state.run.xy[2 * i + 1]);
        const dd = (x - px) ** 2 + (y - py) ** 2;
        if (dd < bestDistance) [best, bestDistance] = [i, dd];
      }
      if (best >= 0) pick(best);
    });
    const first = payload.runs.find((r) => r.latentDim === 2) ?? payload.runs[0];
    select.value = first.name;
    await selectRun(first.name);
  }

  /** What the browser test uses: where a plane point lies on the screen, and the page's state. */
  globalThis.kmnistExplorer = {
    ready: null,
    clientPoint(x, y) {
      const rect = plane.getBoundingClientRect();
      const [px, py] = toPixel(state.run.view, x, y);
      return { x: rect.left + (px / PLANE) * rect.width, y: rect.top + (py / PLANE) * rect.height };
    },
    testPoint(index) {
      return Array.from(state.run.xy.subarray(2 * index, 2 * index + 2));
    },
    view: () => ({ ...state.run.view }),
  };
  globalThis.kmnistExplorer.ready = main().catch((error) => {
    fail(`The explorer could not start: ${error.message}.`);
  });
})();
