// peerkit room screen: follows the room's current question for a projector or second screen.
// It shows only what the whole room may see: the question, how many have answered while it is
// open, and the group's results once the facilitator reveals them (and enough have answered).
// Every string from the service is rendered as text, never as HTML.

const ROOT = new URL('../', import.meta.url);
const API = new URL('api/v1', ROOT).href;
const KINDS = { choice: 'Scenario', scale: 'Slider', text: 'Reflection' };
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const $ = (id) => document.getElementById(id);
const fmt = (x) => (typeof x === 'number' ? String(Math.round(x * 100) / 100) : '–');
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
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
class Refused extends Error {}

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
  throw new Refused((data.error && data.error.message) || `HTTP ${res.status}`);
}

// ----------------------------------------------------------------------------- drawing

const shown = { question: null, join: null };

function render(view) {
  const join = JSON.stringify([view.room, view.join_url]);
  if (shown.join !== join) {
    shown.join = join;
    $('code').textContent = view.room;
    $('join-url').textContent = view.join_url;
    const qr = $('qr');
    qr.src = `${API}/rooms/${view.room}/qr.svg`;
    qr.alt = `QR code that opens ${view.join_url}`;
    qr.hidden = false;
    document.title = `${view.title || 'Workshop'} · room ${view.room} · peerkit`;
  }
  $('people').textContent = plural(view.participants, 'person has', 'people have') + ' joined';
  const q = view.question;
  const key = JSON.stringify([q, view.results, view.shift, view.min_group]);
  if (shown.question !== key) {
    shown.question = key;
    $('stage').replaceChildren(...(q ? questionView(view) : waiting(view)));
  }
  const count = $('answers');
  if (count) count.textContent = plural(view.answers, 'answer', 'answers');
}

function waiting(view) {
  return [
    h('p', { class: 'kind', text: 'Waiting' }),
    h('h1', { id: 'stage-h', text: view.title || 'Welcome' }),
    h('p', { class: 'lead', text: 'The next question appears here when the facilitator opens it. '
      + 'Join now with the code or the QR code.' }),
  ];
}

function questionView(view) {
  const q = view.question;
  const parts = [
    h('p', { class: 'kind', text: KINDS[q.kind] || 'Question' }),
    h('h1', { id: 'stage-h', text: q.title || q.prompt }),
  ];
  if (q.vignette) parts.push(h('p', { class: 'vignette', text: q.vignette }));
  if (q.title && q.prompt) parts.push(h('p', { class: 'prompt', text: q.prompt }));
  if (q.kind === 'choice' && !view.results) { // once revealed, the bars carry the options
    parts.push(h('ol', { class: 'options', 'aria-label': 'Options' },
      ...q.options.map((o, i) => h('li', {},
        h('span', { class: 'letter', 'aria-hidden': 'true', text: letter(i) }),
        h('span', {}, h('span', { class: 'vh', text: `${letter(i)}: ` }), o.text)))));
  } else if (q.kind === 'scale' && !view.results) { // once revealed, the chart carries the poles
    parts.push(h('p', { class: 'poles' },
      h('span', { text: `${fmt(q.min)}: ${q.low_label}` }),
      h('span', { text: `${fmt(q.max)}: ${q.high_label}` })));
  }
  const open = q.state === 'open';
  parts.push(h('p', { class: 'status' },
    h('span', { class: `state ${open ? 'open' : 'closed'}`, text: open ? 'Open' : 'Closed' }),
    h('span', { id: 'answers', 'aria-live': 'polite' })));
  if (open) parts.push(h('p', { class: 'note', text: `Answer on your phone at ${view.join_url}` }));
  if (view.results) {
    parts.push(drawResults(q, view.results, view.shift));
  } else if (q.revealed) {
    parts.push(h('p', { class: 'notice', text: 'The results appear here once at least '
      + `${plural(view.min_group, 'person has', 'people have')} answered.` }));
  }
  return parts;
}

// The group's results. (Drawn here until the shared chart module draws them on every screen.)
function drawResults(q, r, shift) {
  const body = { choice: choiceResults, scale: scaleResults, text: textResults }[r.kind](q, r);
  const section = h('section', { class: 'results', 'aria-labelledby': 'results-h' },
    h('h2', { id: 'results-h', text: 'Group results' }), ...body);
  if (shift) section.append(shiftView(q, shift));
  else section.classList.add('roomy');
  return section;
}

function choiceResults(q, r) {
  const most = Math.max(1, ...Object.values(r.counts));
  const list = h('ul', { class: 'bars', 'aria-label': 'Answers per option' });
  q.options.forEach((o, i) => {
    const count = r.counts[o.id] ?? 0;
    const fill = h('span', { class: 'fill' });
    fill.style.width = `${(100 * count) / most}%`;
    list.append(h('li', { 'data-option': o.id },
      h('span', { class: 'letter', 'aria-hidden': 'true', text: letter(i) }),
      h('span', {}, h('span', { class: 'vh', text: `${letter(i)}: ` }),
        h('span', { class: 'text', text: o.text }),
        h('span', { class: 'track', 'aria-hidden': 'true' }, fill)),
      h('span', { class: 'figure', text: `${count} (${fmt(r.percentages[o.id] ?? 0)}%)` })));
  });
  const passes = r.passes ? ` ${plural(r.passes, 'person', 'people')} passed.` : '';
  return [h('p', { text: `${plural(r.answered, 'person', 'people')} chose an option.${passes}` }),
    list];
}

function scaleResults(q, r) {
  const stat = (term, value) => h('div', {}, h('dt', { text: term }), h('dd', { text: value }));
  const parts = [h('dl', { class: 'stats' }, stat('Answered', String(r.n)),
    stat('Median', fmt(r.median)), stat('Middle half', `${fmt(r.q1)} to ${fmt(r.q3)}`),
    r.passes ? stat('Passed', String(r.passes)) : null)];
  const points = r.histogram.length <= 41 ? r.histogram : [];
  if (points.length) {
    const most = Math.max(1, ...points.map(([, n]) => n));
    parts.push(h('ol', { class: 'histogram', 'aria-label': 'How many chose each point' },
      ...points.map(([value, n]) => {
        const col = h('span', { class: 'col', 'aria-hidden': 'true' });
        col.style.height = `${(80 * n) / most}%`;
        return h('li', {}, h('span', { class: 'n', 'aria-hidden': 'true', text: n ? String(n) : '' }),
          col, h('span', { class: 'x', 'aria-hidden': 'true', text: fmt(value) }),
          h('span', { class: 'vh', text: `${fmt(value)}: ${plural(n, 'person', 'people')}.` }));
      })),
    h('p', { class: 'poles' }, h('span', { text: q.low_label }), h('span', { text: q.high_label })));
  }
  return parts;
}

function shiftView(q, c) {
  const { moved } = c;
  const shift = c.median_shift;
  let change = ': no change.';
  if (shift) change = `: ${fmt(Math.abs(shift))} towards “${shift > 0 ? q.high_label : q.low_label}”.`;
  return h('div', { class: 'shift' },
    h('h2', { text: 'Before and after' }),
    h('p', {}, 'Median before ', h('span', { class: 'pre', text: fmt(c.pre.median) }),
      ', after ', h('span', { class: 'post', text: fmt(c.post.median) }), change,
      ` Of ${plural(c.paired, 'person', 'people')} who answered both times, `
      + `${moved.towards_high} moved towards “${q.high_label}”, ${moved.towards_low} towards `
      + `“${q.low_label}” and ${moved.unchanged} stayed where they were.`));
}

function textResults(q, r) {
  const texts = r.reflections || [];
  return [h('p', { text: `${plural(r.n, 'reflection', 'reflections')} received; `
    + `${texts.length} shared with the group.` }),
  texts.length ? h('ul', { class: 'wall', 'aria-label': 'Shared reflections' },
    ...texts.map((t) => h('li', { text: String(t) })))
    : h('p', { class: 'note', text: 'None has been shared yet.' })];
}

// ----------------------------------------------------------------------------- following

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function follow() {
  let etag = null;
  for (let failures = 0; ;) {
    try {
      const view = await screen(etag);
      failures = 0;
      $('connection').textContent = '';
      etag = view.etag;
      render(view);
    } catch (err) {
      if (err instanceof Refused) {
        $('stage').replaceChildren(h('h1', { id: 'stage-h', text: 'This screen cannot follow the room' }),
          h('p', { class: 'lead', text: err.message }),
          h('p', { class: 'note', text: 'Open the presenter link from the facilitator’s notebook again.' }));
        return;
      }
      failures += 1;
      etag = null; // ask for the screen as it is now, not for the next change
      $('connection').textContent = 'Reconnecting to the poll service…';
      await sleep(Math.min(5000, 250 * 2 ** failures));
    }
  }
}

if (CODE) follow();
else $('stage').replaceChildren(h('h1', { id: 'stage-h', text: 'No room in this address' }));
