// peerkit room screen: follows the room's current question for a projector or second screen.
// It shows only what the whole room may see: the question, how many have answered while it is
// open, and the group's results once the facilitator reveals them (and enough have answered).
// Every string from the service is rendered as text, never as HTML. Results are drawn by the
// chart module the notebook and the phones share. Every word it writes is looked up in the
// room's language (GET /api/v1/strings/<lang>): _("...") and ngettext(singular, plural, n), with
// {name} placeholders filled by fill().

import { drawChart, translation } from './chart.js';

const ROOT = new URL('../', import.meta.url);
const API = new URL('api/v1', ROOT).href;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const $ = (id) => document.getElementById(id);

// ----------------------------------------------------------------------------- the words

let words = translation(null); // English until the service's catalog is loaded
let catalog = null;
let loaded = null; // the language whose catalog was loaded
const _ = (msgid) => words.gettext(msgid);
const ngettext = (singular, plural, n) => words.ngettext(singular, plural, n);
const fill = (text, values) => words.fill(text, values);
const fmt = (x) => (typeof x === 'number' ? words.number(x) : '–');

/** Load the words of `language` (English when the service has none) and show them. Throws
 * Offline when the service cannot be reached. */
async function useLanguage(language) {
  let res;
  try {
    res = await fetch(`${API}/strings/${encodeURIComponent(language)}`,
      { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  } catch (err) {
    throw new Offline(String(err));
  }
  if (res.status >= 500) throw new Offline(`HTTP ${res.status}`);
  catalog = res.ok ? await res.json().catch(() => null) : null;
  words = translation(catalog);
  loaded = language;
  document.documentElement.lang = words.lang;
  // The page's own text, filled in by the service in its language: now in this one.
  $('join-h').textContent = _('Join on your phone');
  $('code-label').textContent = _('Room code');
  $('open-label').textContent = _('or open');
  $('room-lang').textContent = fill(_('Language: {language}'), { language: words.name });
}

const kindName = (kind) => ({ choice: _('Scenario'), scale: _('Slider'),
  text: _('Reflection') })[kind] || _('Question');

/** Why the service refused this screen, by the error's code. */
function refusal(code) {
  if (code === 'not_found') return _('There is no room with this code.');
  if (code === 'forbidden' || code === 'unauthenticated') {
    return _('This presenter link is not (or no longer) valid for this room.');
  }
  return _('The poll service refused this screen.');
}
export const letter = (index) => LETTERS[index] || String(index + 1);

/** Build an element. String children become text nodes, so nothing is parsed as markup. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// ----------------------------------------------------------------------------- the token

const here = location.pathname.startsWith(ROOT.pathname)
  ? location.pathname.slice(ROOT.pathname.length) : '';
const CODE = decodeURIComponent((here.match(/^present\/([^/]+)\/?$/) || [])[1] || '')
  .replace(/\s+/g, '').toUpperCase();

/** The presenter token arrives in the address's #fragment (never sent to a server or in a
 * Referer). It is kept for this tab only and the fragment is taken out of the address bar. */
function presenterToken() {
  const key = `peerkit.presenter.${CODE}`;
  const given = new URLSearchParams(location.hash.slice(1)).get('token');
  if (given) {
    try { sessionStorage.setItem(key, given); } catch { /* memory only */ }
    history.replaceState(null, '', location.pathname);
    return given;
  }
  try { return sessionStorage.getItem(key); } catch { return null; }
}
const TOKEN = presenterToken();

class Offline extends Error {}
class Refused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function screen(after) {
  const headers = { Accept: 'application/json' };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  const query = after ? `?after=${encodeURIComponent(after)}&timeout=25` : '';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 40000);
  let res;
  try {
    res = await fetch(`${API}/rooms/${CODE}/screen${query}`, {
      headers, signal: abort.signal, cache: 'no-store', credentials: 'same-origin',
    });
  } catch (err) {
    throw new Offline(String(err));
  } finally {
    clearTimeout(timer);
  }
  const data = await res.json().catch(() => null);
  if (res.ok && data) return data;
  if (res.status >= 500 || res.status === 429 || !data) throw new Offline(`HTTP ${res.status}`);
  const error = data.error || {};
  throw new Refused(error.code, error.message || `HTTP ${res.status}`);
}

// ----------------------------------------------------------------------------- drawing

const shown = { question: null, join: null };

function render(view) {
  const join = JSON.stringify([view.room, view.join_url]);
  if (shown.join !== join) {
    shown.join = join;
    $('code').textContent = view.room;
    // A long address breaks after its last slash, so the room code stays in one piece.
    const cut = view.join_url.lastIndexOf('/') + 1;
    $('join-url').replaceChildren(view.join_url.slice(0, cut), document.createElement('wbr'),
      view.join_url.slice(cut));
    const qr = $('qr');
    qr.src = `${API}/rooms/${view.room}/qr.svg`;
    qr.alt = fill(_('QR code that opens {url}'), { url: view.join_url });
    qr.hidden = false;
    document.title = fill(_('{title} · room {code} · peerkit'),
      { title: view.title || _('Workshop'), code: view.room });
  }
  $('room-lang').hidden = false;
  $('people').textContent = fill(ngettext('{count} person has joined', '{count} people have joined',
    view.participants), { count: fmt(view.participants) });
  const q = view.question;
  const key = JSON.stringify([q, view.results, view.chart, view.pre_post, view.min_group]);
  if (shown.question !== key) {
    shown.question = key;
    $('stage').replaceChildren(...(q ? questionView(view) : waiting(view)));
    fit();
  }
  const count = $('answers');
  if (count) {
    count.textContent = fill(ngettext('{count} answer', '{count} answers', view.answers),
      { count: fmt(view.answers) });
  }
}

/** Shrink the stage's text, step by step, until a long scenario fits the screen. */
function fit() {
  const stage = $('stage');
  const frame = stage.parentElement;
  for (let size = 100; size >= 55; size -= 5) {
    stage.style.fontSize = `${size}%`;
    if (frame.scrollHeight <= frame.clientHeight) return;
  }
}
window.addEventListener('resize', fit);

function waiting(view) {
  return [
    h('p', { class: 'kind', text: _('Waiting') }),
    h('h1', { id: 'stage-h', text: view.title || _('Welcome') }),
    h('p', { class: 'lead', text: _('The next question appears here when the facilitator opens '
      + 'it. Join now with the code or the QR code.') }),
  ];
}

function questionView(view) {
  const q = view.question;
  const open = q.state === 'open';
  const parts = [
    h('p', { class: 'kind', text: kindName(q.kind) }),
    h('h1', { id: 'stage-h', text: q.title || q.prompt }),
    h('p', { class: 'status' },
      h('span', { class: `state ${open ? 'open' : 'closed'}`, text: open ? _('Open') : _('Closed') }),
      h('span', { id: 'answers', 'aria-live': 'polite' }),
      open ? h('span', { class: 'note', text: _('Answer on your phone') }) : null),
  ];
  if (q.vignette) parts.push(h('p', { class: 'vignette', text: q.vignette }));
  if (q.title && q.prompt) parts.push(h('p', { class: 'prompt', text: q.prompt }));
  if (q.kind === 'choice' && !view.results) { // once revealed, the bars carry the options
    parts.push(h('ol', { class: 'options', 'aria-label': _('Options') },
      ...q.options.map((o, i) => h('li', {},
        h('span', { class: 'letter', 'aria-hidden': 'true', text: letter(i) }),
        h('span', {}, h('span', { class: 'vh', text: `${fill(_('{letter}:'), { letter: letter(i) })} ` }),
          o.text)))));
  } else if (q.kind === 'scale' && !view.results) { // once revealed, the chart carries the poles
    parts.push(h('p', { class: 'poles' },
      h('span', { text: fill(_('{value}: {words}'), { value: fmt(q.min), words: q.low_label }) }),
      h('span', { text: fill(_('{value}: {words}'), { value: fmt(q.max), words: q.high_label }) })));
  }
  if (view.results) {
    parts.push(drawResults(q, view));
  } else if (q.revealed) {
    parts.push(h('p', { class: 'notice', text: fill(ngettext('The results appear here once at '
      + 'least {count} person has answered.', 'The results appear here once at least {count} '
      + 'people have answered.', view.min_group), { count: fmt(view.min_group) }) }));
  }
  return parts;
}

// The group's results: the shared chart (the before/after chart on a scale's "post" reading,
// once both are revealed), or the wall of approved reflections.
function drawResults(q, view) {
  const section = h('section', { class: 'results', 'aria-labelledby': 'results-h' },
    h('h2', { id: 'results-h', text: _('Group results') }));
  if (q.kind === 'text') {
    section.append(...textResults(view.results));
  } else {
    const chart = h('div', { class: 'chart' });
    drawChart(chart, view.pre_post || view.chart, catalog);
    section.append(chart);
  }
  return section;
}

function textResults(r) {
  const texts = r.reflections || [];
  return [h('p', { text: fill(ngettext('{count} reflection received; {shared} shared with the '
    + 'group.', '{count} reflections received; {shared} shared with the group.', r.n),
  { count: fmt(r.n), shared: fmt(texts.length) }) }),
  texts.length ? h('ul', { class: 'wall', 'aria-label': _('Shared reflections') },
    ...texts.map((t) => h('li', { text: String(t) })))
    : h('p', { class: 'note', text: _('None has been shared yet.') })];
}

// ----------------------------------------------------------------------------- following

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function follow() {
  let etag = null;
  for (let failures = 0; ;) {
    try {
      const view = await screen(etag);
      failures = 0;
      const language = view.language || 'en';
      if (language !== loaded) {
        await useLanguage(language);
        shown.question = shown.join = null; // draw everything again in this language
      }
      $('connection').textContent = '';
      etag = view.etag;
      render(view);
    } catch (err) {
      if (err instanceof Refused && err.code === 'hub_signin') {
        location.assign(`${location.pathname.replace(/\/+$/, '')}/signin`); // sign in at the hub
        return;
      }
      if (err instanceof Refused) {
        $('stage').replaceChildren(h('h1', { id: 'stage-h', text: _('This screen cannot follow the room') }),
          h('p', { class: 'lead', text: refusal(err.code) }),
          h('p', { class: 'note', text: _('Open the presenter link from the facilitator’s notebook again.') }));
        return;
      }
      failures += 1;
      etag = null; // ask for the screen as it is now, not for the next change
      $('connection').textContent = _('Reconnecting to the poll service…');
      await sleep(Math.min(5000, 250 * 2 ** failures));
    }
  }
}

// The service's own language (the page came filled in with it) until the room names its own.
try {
  await useLanguage(document.documentElement.lang || 'en');
} catch { /* English for now; the room's language is loaded with its first view */ }
if (CODE) follow();
else $('stage').replaceChildren(h('h1', { id: 'stage-h', text: _('No room in this address') }));
