// Draws a peerkit chart view model (peerkit/chartview.py) as text-bearing HTML and SVG.
//
// One module for every place results are shown: the notebook's chart widget (anywidget loads
// the default export), the phone page and the presenter display (they import drawChart).
// No build step and nothing from elsewhere: plain DOM calls, so it also runs under a strict
// Content-Security-Policy (sizes are set through element.style, never inline markup).
//
// Most of a chart's words come translated in its view model; the few this module writes itself
// are looked up in a page catalog (peerkit.i18n.page_catalog: {language, messages, plurals}),
// passed to drawChart or, in a notebook, set as the widget's "strings". A message missing from
// the catalog is shown as written here, in English.

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

const ENGLISH = { language: "en", messages: {}, plurals: {} };
const made = new WeakMap();

/**
 * The translation functions of a page catalog (null: English): `_(msgid)`, `ngettext(singular,
 * plural, n)` (the form Intl.PluralRules picks for n, else "other", else the English form),
 * `fill(text, {name: value})` for the {name} placeholders, and the language's way of writing
 * numbers (`number`, at most two decimals) and percentages (`percent`, from 0-100); `name` is
 * the language's own name for itself ("Español").
 * The phone page and the presenter display use it too.
 */
export function translation(catalog) {
  catalog = catalog && typeof catalog === "object" ? catalog : ENGLISH;
  if (made.has(catalog)) return made.get(catalog);
  const lang = String(catalog.language || "en").replace("_", "-");
  const messages = catalog.messages || {};
  const plurals = catalog.plurals || {};
  let rules;
  let numbers;
  let percents;
  try {
    rules = new Intl.PluralRules(lang);
    numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  } catch {
    rules = new Intl.PluralRules("en");
    numbers = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
    percents = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });
  }
  const english = new Intl.PluralRules("en");
  const words = {
    lang,
    name: ownName(lang),
    gettext: (msgid) => messages[msgid] || msgid,
    ngettext: (singular, plural, n) => {
      const forms = plurals[singular];
      const fallback = english.select(n) === "one" ? singular : plural;
      if (!forms) return fallback;
      return forms[rules.select(n)] || forms.other || fallback;
    },
    fill: (text, values) => String(text).replace(/\{(\w+)\}/g, (whole, name) =>
      (values && Object.hasOwn(values, name) ? String(values[name]) : whole)),
    number: (value) => {
      if (value === null || value === undefined || Number.isNaN(Number(value))) return "-";
      return numbers.format(Number(value));
    },
    percent: (value) => percents.format(Number(value) / 100),
  };
  made.set(catalog, words);
  return words;
}

/** A language's own name for itself ("Español"), as the browser knows it. */
function ownName(lang) {
  try {
    const name = new Intl.DisplayNames([lang], { type: "language" }).of(lang) || lang;
    return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
  } catch {
    return lang;
  }
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

function choiceBody(view, t) {
  const { gettext: _, ngettext } = t;
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
      line.append(track, make("span", "pk-count", t.fill(_("{count} ({percent})"),
        { count: t.number(bar.count), percent: t.percent(bar.percent || 0) })));
      row.append(line);
    }
    if (bar.own) row.append(make("strong", "pk-own-note", _("Your answer")));
    list.append(row);
  }
  const body = [list];
  if (view.bars.some((b) => b.count !== undefined)) {
    body.push(make("p", "pk-note", t.fill(ngettext("{count} passed (not counted in the percentages).",
      "{count} passed (not counted in the percentages).", view.passes), { count: t.number(view.passes) })));
  }
  if (view.lean) body.push(make("p", "pk-lean", `${view.lean.words}.`));
  return body;
}

// Columns for one distribution over a scale's points, as SVG with real text.
function columns(scale, points, opts, t) {
  const { gettext: _ } = t;
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
    if (p.count) out.append(svg("text", { x, y: y - 4, class: "pk-col-count", "text-anchor": "middle" }, t.number(p.count)));
    out.append(svg("text", { x, y: height - bottom + 16, class: "pk-col-value", "text-anchor": "middle" }, t.number(p.value)));
  }
  out.append(svg("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "pk-axis" }));
  out.append(svg("text", { x: left, y: height - (narrow ? 22 : 4), class: "pk-pole" }, `◀ ${scale.low}`));
  out.append(svg("text", { x: width - right, y: height - 4, class: "pk-pole", "text-anchor": "end" }, `${scale.high} ▶`));
  if (opts.median !== undefined && opts.median !== null) {
    const x = xOf(opts.median);
    // Over a column, the line leaves a gap for the column's count, which stays readable.
    const under = points.find((p) => p.count && Math.abs(xOf(p.value) - x) < step * 0.35);
    const gaps = under ? [[yOf(under.count) - 22, yOf(under.count) + 3]] : [];
    let from = 22;
    for (const [gapTop, gapBottom] of [...gaps, [height - bottom, height - bottom]]) {
      if (gapTop - from > 8) out.append(svg("line", { x1: x, x2: x, y1: from, y2: gapTop, class: "pk-median" }));
      from = Math.max(from, gapBottom);
    }
    out.append(svg("text", { x: x + 4, y: 16, class: "pk-median-label" }, t.fill(_("median {value}"), { value: t.number(opts.median) })));
  }
  if (opts.own !== undefined) {
    out.append(svg("text", { x: xOf(opts.own), y: height - bottom + 32, class: "pk-own-note", "text-anchor": "middle" }, _("▲ You")));
  }
  return out;
}

function scaleBody(view, width, t) {
  const { gettext: _, ngettext } = t;
  const scale = view.scale;
  const body = [];
  if (scale.points) {
    body.push(columns(scale, scale.points, { median: scale.median, q1: scale.q1, q3: scale.q3, own: scale.own, width }, t));
    const counts = t.fill(ngettext("{count} answered, {passes} passed.", "{count} answered, {passes} passed.", view.answered),
      { count: t.number(view.answered), passes: t.number(view.passes) });
    const spread = t.fill(_("Median {median}; middle half from {q1} to {q3}."),
      { median: t.number(scale.median), q1: t.number(scale.q1), q3: t.number(scale.q3) });
    body.push(make("p", "pk-note", `${counts} ${spread}`));
    if (scale.own !== undefined) body.push(make("p", "pk-own-line", `${t.fill(_("Your answer: {answer}"), { answer: t.number(scale.own) })}.`));
  } else if (view.own) {
    body.push(make("p", "pk-note", t.fill(_("Your answer: {answer}"), { answer: view.own })));
  }
  return body;
}

function prePostBody(view, width, t) {
  const { ngettext } = t;
  const body = [];
  for (const series of view.series || []) {
    body.push(make("p", "pk-series", t.fill(ngettext("{label}: {count} answered", "{label}: {count} answered", series.n),
      { label: series.label, count: t.number(series.n) })));
    body.push(columns(view.scale, series.points, { median: series.median, height: 190, width }, t));
  }
  if (view.shift) body.push(make("p", "pk-lean", `${view.shift.words}. ${view.shift.moved}.`));
  return body;
}

/**
 * Draw (or redraw) the chart view model `view` into the element `el`, writing this module's
 * own words from `strings` (a page catalog; none: English).
 */
export function drawChart(el, view, strings) {
  const t = translation(strings);
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
  if (view.kind === "choice" && view.bars) parts = choiceBody(view, t);
  else if (view.kind === "scale" && view.scale) parts = scaleBody(view, width, t);
  else if (view.kind === "pre-post") parts = prePostBody(view, width, t);
  body.replaceChildren(...parts);
  separatePoles(body);
  caption.textContent = view.caption || "";
  return root;
}

// A scale's two pole labels share the bottom line when they fit there. Their length depends on
// the language and the font the page gives them, so they are measured once laid out (when the
// chart is drawn before it is shown, as soon as it is): where they would overlap, the right-hand
// one moves to a line of its own below.
function separatePoles(body) {
  for (const drawn of body.querySelectorAll("svg.pk-columns")) {
    if (movePole(drawn) || typeof ResizeObserver !== "function") continue;
    const watch = new ResizeObserver(() => {
      if (!drawn.isConnected || movePole(drawn)) watch.disconnect();
    });
    watch.observe(drawn);
  }
}

// Whether the poles of one drawn scale are settled (measured, and moved apart if need be).
function movePole(drawn) {
  const [low, high] = drawn.querySelectorAll(".pk-pole");
  if (!low || !high || typeof low.getBBox !== "function") return true;
  let a;
  let b;
  try {
    a = low.getBBox();
    b = high.getBBox();
  } catch {
    return false; // not laid out yet
  }
  if (!a.width || !b.width) return false;
  if (a.x + a.width + 8 <= b.x || b.y > a.y + a.height / 2) return true;
  const lift = Math.ceil(b.height + 4);
  high.setAttribute("y", String(Number(high.getAttribute("y")) + lift));
  const box = drawn.getAttribute("viewBox").split(" ").map(Number);
  box[3] += lift;
  drawn.setAttribute("viewBox", box.join(" "));
  return true;
}

function render({ model, el }) {
  const draw = () => {
    drawChart(el, model.get("view"), model.get("strings"));
    el.dataset.drawn = String((Number(el.dataset.drawn) || 0) + 1);
  };
  draw();
  model.on("change:view", draw);
  model.on("change:strings", draw);
  return () => {
    model.off("change:view", draw);
    model.off("change:strings", draw);
  };
}

export default { render };
