// Draws a peerkit chart view model (peerkit/chartview.py) as text-bearing HTML and SVG.
//
// One module for every place results are shown: the notebook's chart widget (anywidget loads
// the default export), the phone page and the presenter display (they import drawChart).
// No build step and nothing from elsewhere: plain DOM calls, so it also runs under a strict
// Content-Security-Policy (sizes are set through element.style, never inline markup).

const SVG = "http://www.w3.org/2000/svg";

function make(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmt(value) {
  if (value === null || value === undefined) return "-";
  const n = Math.round(Number(value) * 100) / 100;
  return String(n);
}

// The parts every chart keeps between redraws, so a live region is never replaced.
function skeleton(el) {
  let root = el.querySelector(":scope > .pk-chart");
  if (root) return root;
  root = make("figure", "pk-chart");
  const title = make("p", "pk-chart-title");
  const status = make("p", "pk-chart-status");
  const banner = make("p", "pk-chart-banner");
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  const body = make("div", "pk-chart-body");
  const caption = make("figcaption", "pk-chart-caption");
  root.append(title, status, banner, body, caption);
  el.append(root);
  return root;
}

function choiceBody(view) {
  const list = make("ol", "pk-bars");
  const max = Math.max(1, ...view.bars.map((b) => b.percent || 0));
  for (const bar of view.bars) {
    const row = make("li", bar.own ? "pk-bar pk-own" : "pk-bar");
    const head = make("div", "pk-bar-head");
    head.append(make("span", "pk-letter", bar.letter), make("span", "pk-label", bar.label));
    row.append(head);
    if (bar.count !== undefined) {
      const line = make("div", "pk-bar-line");
      const track = make("span", "pk-track");
      track.setAttribute("aria-hidden", "true");
      const fill = make("span", "pk-fill");
      fill.style.width = `${(100 * (bar.percent || 0)) / max}%`;
      track.append(fill);
      line.append(track, make("span", "pk-count", `${bar.count} (${bar.percent}%)`));
      row.append(line);
    }
    if (bar.own) row.append(make("strong", "pk-own-note", "Your answer"));
    list.append(row);
  }
  const body = [list];
  if (view.bars.some((b) => b.count !== undefined)) {
    body.push(make("p", "pk-note", `${view.passes} passed (not counted in the percentages).`));
  }
  if (view.lean) body.push(make("p", "pk-lean", `${view.lean.words}.`));
  return body;
}

// Columns for one distribution over a scale's points, as SVG with real text.
function columns(scale, points, opts) {
  // Drawn at the width it is shown (between a phone's and a projector's), so text stays legible.
  const width = Math.max(320, Math.min(720, opts.width || 640));
  const height = (opts.height || 220) + (width < 480 ? 18 : 0);
  const left = 24;
  const right = 24;
  const top = 46;
  const narrow = width < 480; // the poles on two lines
  const bottom = narrow ? 80 : 62;
  const n = points.length;
  const step = (width - left - right) / n;
  const span = Number(scale.max) - Number(scale.min) || 1;
  const xOf = (value) => left + ((Number(value) - Number(scale.min)) / span) * (step * (n - 1)) + step / 2;
  const most = Math.max(1, ...points.map((p) => p.count));
  const yOf = (count) => top + (height - top - bottom) * (1 - count / most);
  const out = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "pk-columns", "aria-hidden": "true" });
  if (opts.q1 !== undefined && opts.q1 !== null && opts.q3 !== null) {
    const x1 = xOf(opts.q1) - step * 0.1;
    const x2 = xOf(opts.q3) + step * 0.1;
    out.append(svg("rect", { x: x1, y: top - 6, width: Math.max(2, x2 - x1), height: height - top - bottom + 6, class: "pk-quartiles" }));
  }
  for (const p of points) {
    const x = xOf(p.value);
    const y = yOf(p.count);
    const cls = opts.own !== undefined && Number(opts.own) === Number(p.value) ? "pk-col pk-own" : "pk-col";
    out.append(svg("rect", { x: x - step * 0.35, y, width: step * 0.7, height: height - bottom - y, class: cls }));
    if (p.count) out.append(svg("text", { x, y: y - 4, class: "pk-col-count", "text-anchor": "middle" }, p.count));
    out.append(svg("text", { x, y: height - bottom + 16, class: "pk-col-value", "text-anchor": "middle" }, fmt(p.value)));
  }
  out.append(svg("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "pk-axis" }));
  out.append(svg("text", { x: left, y: height - (narrow ? 22 : 4), class: "pk-pole" }, `◀ ${scale.low}`));
  out.append(svg("text", { x: width - right, y: height - 4, class: "pk-pole", "text-anchor": "end" }, `${scale.high} ▶`));
  if (opts.median !== undefined && opts.median !== null) {
    const x = xOf(opts.median);
    out.append(svg("line", { x1: x, x2: x, y1: 22, y2: height - bottom, class: "pk-median" }));
    out.append(svg("text", { x: x + 4, y: 16, class: "pk-median-label" }, `${opts.label || ""}median ${fmt(opts.median)}`));
  }
  if (opts.own !== undefined) {
    out.append(svg("text", { x: xOf(opts.own), y: height - bottom + 32, class: "pk-own-note", "text-anchor": "middle" }, "▲ You"));
  }
  return out;
}

function scaleBody(view, width) {
  const scale = view.scale;
  const body = [];
  if (scale.points) {
    body.push(columns(scale, scale.points, { median: scale.median, q1: scale.q1, q3: scale.q3, own: scale.own, width }));
    body.push(make("p", "pk-note", `${view.answered} answered, ${view.passes} passed. Median ${fmt(scale.median)}; middle half from ${fmt(scale.q1)} to ${fmt(scale.q3)}.`));
    if (scale.own !== undefined) body.push(make("p", "pk-own-line", `Your answer: ${fmt(scale.own)}.`));
  } else if (view.own) {
    body.push(make("p", "pk-note", `Your answer: ${view.own}`));
  }
  return body;
}

function prePostBody(view, width) {
  const body = [];
  for (const series of view.series || []) {
    body.push(make("p", "pk-series", `${series.label}: ${series.n} answered`));
    body.push(columns(view.scale, series.points, { median: series.median, height: 190, width }));
  }
  if (view.shift) body.push(make("p", "pk-lean", `${view.shift.words}. ${view.shift.moved}.`));
  return body;
}

/** Draw (or redraw) the chart view model `view` into the element `el`. */
export function drawChart(el, view) {
  const root = skeleton(el);
  const [title, status, banner, body, caption] = root.children;
  view = view || {};
  root.dataset.state = view.state || "waiting";
  root.dataset.kind = view.kind || "";
  title.textContent = view.title || "";
  status.textContent = view.status || "";
  status.hidden = !view.status;
  if (banner.textContent !== (view.banner || "")) banner.textContent = view.banner || "";
  banner.className = `pk-chart-banner pk-banner-${view.state || "waiting"}`;
  let parts = [];
  const width = body.clientWidth || el.clientWidth || 640;
  if (view.kind === "choice" && view.bars) parts = choiceBody(view);
  else if (view.kind === "scale" && view.scale) parts = scaleBody(view, width);
  else if (view.kind === "pre-post") parts = prePostBody(view, width);
  body.replaceChildren(...parts);
  caption.textContent = view.caption || "";
  return root;
}

function render({ model, el }) {
  const draw = () => {
    drawChart(el, model.get("view"));
    el.dataset.drawn = String((Number(el.dataset.drawn) || 0) + 1);
  };
  draw();
  model.on("change:view", draw);
  return () => model.off("change:view", draw);
}

export default { render };
