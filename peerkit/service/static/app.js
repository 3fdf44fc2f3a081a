// peerkit participant page: join a room, answer the current question live, see revealed results.
// Every string from the service is rendered as text (text nodes / textContent), never as HTML.
// Every word the page writes is looked up in the room's language (GET /api/v1/strings/<lang>):
// _("...") and ngettext(singular, plural, n), with {name} placeholders filled by fill().
'use strict';

(() => {
  // The service may live under a path (/services/peerkit/ behind JupyterHub): everything is
  // addressed relative to where this script was loaded from, <root>static/app.js.
  const ROOT = new URL('../', document.currentScript.src);
  const API = new URL('api/v1', ROOT).href;
  // The chart module the notebook and the presenter display draw with, loaded once.
  const charts = import(new URL('chart.js', document.currentScript.src).href);
  const joinPath = (code) => `${ROOT.pathname}join/${code}`;
  const CODE_RE = /^[A-Z0-9]{6}$/;
  const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End',
    'PageUp', 'PageDown']);

  const $ = (id) => document.getElementById(id);
  const normalise = (raw) => raw.replace(/\s+/g, '').toUpperCase();

  // ------------------------------------------------------------------------- the page's words

  let words = null; // the translation functions of the language shown (chart.js translation())
  let catalog = null; // the catalog they came from, for the charts
  const _ = (msgid) => words.gettext(msgid);
  const ngettext = (singular, plural, n) => words.ngettext(singular, plural, n);
  const fill = (text, values) => words.fill(text, values);
  const fmt = (x) => (typeof x === 'number' ? words.number(x) : '–');

  /** Load the words of `language` (English when the service has none) and show them. */
  async function useLanguage(language) {
    const module = await charts;
    if (!words) words = module.translation(null); // English while the first catalog loads
    let loaded = null;
    const res = await retrying(async () => {
      try {
        return await fetch(`${API}/strings/${encodeURIComponent(language)}`,
          { headers: { Accept: 'application/json' }, credentials: 'omit' });
      } catch (err) {
        throw new Offline(String(err));
      }
    });
    if (res.ok) loaded = await res.json().catch(() => null);
    catalog = loaded;
    words = module.translation(loaded);
    document.documentElement.lang = words.lang;
    // The page's own text, filled in by the service in its language: now in this one.
    $('skip').textContent = _('Skip to content');
    $('join-heading').textContent = _('Join a workshop poll');
    $('code-label').textContent = _('Room code');
    $('code-hint').textContent = _('The 6 letters or numbers the facilitator shows you.');
    $('join-button').textContent = _('Join');
    $('privacy').textContent = _('Your answers are anonymous. Only group totals are shown, '
      + 'and only when the facilitator reveals them.');
  }

  const heading = (kind) => ({ choice: _('Scenario'), scale: _('Slider'),
    text: _('Reflection') })[kind];

  /** What the page says about an error the service refused with, by its code. */
  function errorText(err) {
    const texts = {
      not_found: _('No room with that code. Check the code and try again.'),
      room_full: _('This room is full. Tell the facilitator.'),
      rate_limited: _('Too many tries from this connection. Wait a moment, then try again.'),
      question_closed: _('This question is closed.'),
      invalid_answer: _('That answer does not fit this question.'),
      too_large: _('That answer is too long.'),
      unauthorized: _('This page is no longer part of the room. Reload the page to join again.'),
      forbidden: _('This page is no longer part of the room. Reload the page to join again.'),
    };
    return texts[err.code] || _('The poll service could not take this.');
  }

  /** Build an element. String children become text nodes, so nothing is parsed as markup. */
  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  const tokens = {
    get(code) {
      try { return localStorage.getItem(`peerkit.token.${code}`); } catch { return null; }
    },
    set(code, token) {
      try { localStorage.setItem(`peerkit.token.${code}`, token); } catch { /* memory only */ }
    },
  };

  // ------------------------------------------------------------------------- talking to the service

  class Offline extends Error {}
  class NoStream extends Error {} // the answer was not an event stream: long-poll instead
  class HttpError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const state = { code: '', token: null, minGroup: 3 };
  let wake = null; // cuts a back-off short when the phone comes back online or to the front

  function sleep(ms) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); wake = null; resolve(); };
      const timer = setTimeout(done, ms);
      wake = done;
    });
  }
  window.addEventListener('online', () => wake && wake());
  document.addEventListener('visibilitychange', () => !document.hidden && wake && wake());

  async function api(method, path, { body, auth = true, timeout = 15000 } = {}) {
    const headers = { Accept: 'application/json' };
    if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    try {
      const res = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
      const data = await res.json().catch(() => null);
      if (res.status >= 500) throw new Offline(`HTTP ${res.status}`);
      if (!res.ok) {
        const err = (data && data.error) || {};
        throw new HttpError(res.status, err.code || 'error', err.message || `HTTP ${res.status}`);
      }
      return data;
    } catch (err) {
      if (err instanceof HttpError || err instanceof Offline) throw err;
      throw new Offline(String(err)); // no network, or the request timed out
    } finally {
      clearTimeout(timer);
    }
  }

  /** An error reply as the error to throw, as api() does. */
  async function failure(res) {
    const data = await res.json().catch(() => null);
    if (res.status >= 500) return new Offline(`HTTP ${res.status}`);
    const err = (data && data.error) || {};
    return new HttpError(res.status, err.code || 'error', err.message || `HTTP ${res.status}`);
  }

  /**
   * Read the room's view as a stream of server-sent events (one event now, one per change),
   * calling onView for each, until the service ends the stream (after 10 minutes). Throws as
   * api() does, or NoStream. A stream silent for a minute (the service sends a comment every
   * 25 s) counts as a dropped connection.
   */
  async function streamViews(onView) {
    const abort = new AbortController();
    let silence;
    const listen = () => {
      clearTimeout(silence);
      silence = setTimeout(() => abort.abort(), 60000);
    };
    listen();
    try {
      let res;
      try {
        res = await fetch(`${API}/rooms/${state.code}/current`, {
          headers: { Accept: 'text/event-stream', Authorization: `Bearer ${state.token}` },
          signal: abort.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch (err) {
        throw new Offline(String(err));
      }
      if (!res.ok) throw await failure(res);
      const type = res.headers.get('Content-Type') || '';
      if (!type.startsWith('text/event-stream') || !res.body || !window.TextDecoderStream) {
        throw new NoStream();
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw new Offline(String(err));
        }
        if (chunk.done) return;
        listen();
        buffer += chunk.value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.startsWith('data: ')) onView(JSON.parse(event.slice(6)));
        }
      }
    } finally {
      clearTimeout(silence);
      abort.abort();
    }
  }

  /** Repeat a request until the service answers: back off 1 s, 2 s, 4 s ... 15 s, with jitter. */
  async function retrying(request) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await request();
        setStatus('');
        return result;
      } catch (err) {
        if (!(err instanceof Offline)) {
          setStatus('');
          throw err;
        }
        setStatus(_('Reconnecting…'));
        await sleep(Math.min(15000, 1000 * 2 ** attempt) * (0.8 + Math.random() * 0.4));
      }
    }
  }

  async function join() {
    const res = await retrying(() => api('POST', `/rooms/${state.code}/join`, { auth: false }));
    state.token = res.token;
    tokens.set(state.code, res.token);
  }

  async function putAnswer(id, answer) {
    const put = () => api('PUT', `/questions/${id}/response`, { body: { answer } });
    try {
      return await put();
    } catch (err) {
      if (err.status !== 403) throw err;
      await join(); // the service no longer knows this token
      return put();
    }
  }

  // ------------------------------------------------------------------------- page states

  function setStatus(text) {
    if ($('status').textContent !== text) $('status').textContent = text;
  }

  function announce(text) {
    const region = $('announce');
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 100);
  }

  function setCodeError(message) {
    $('code-error').textContent = message;
    if (message) $('code').setAttribute('aria-invalid', 'true');
    else $('code').removeAttribute('aria-invalid');
  }

  function showJoin(code = '', error = '') {
    $('room-view').hidden = true;
    $('room-label').hidden = true;
    $('room-lang').hidden = true;
    $('join-view').hidden = false;
    $('code').value = code;
    setCodeError(error);
    document.title = _('Join a poll – peerkit');
    if (error) $('code').focus();
  }

  function showCard(heading, ...lines) {
    $('room-view').replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'card-h' },
      h('h1', { id: 'card-h', text: heading }), ...lines.map((line) => h('p', { text: line }))));
  }

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = normalise($('code').value);
    if (!CODE_RE.test(code)) {
      setCodeError(_('A room code has 6 letters or numbers, for example K7QM3X.'));
      $('code').focus();
      return;
    }
    location.assign(joinPath(code));
  });

  async function enterRoom(code) {
    state.code = code;
    $('join-view').hidden = true;
    $('room-view').hidden = false;
    showCard(_('Joining…'), fill(_('Connecting to room {code}.'), { code }));
    try {
      const room = await retrying(() => api('GET', `/rooms/${code}`, { auth: false }));
      const language = room.language || 'en';
      if (language !== words.lang) await useLanguage(language);
      state.code = room.code;
      state.minGroup = room.min_group;
      $('room-label').textContent = room.title
        ? fill(_('{title} · {code}'), { title: room.title, code: room.code })
        : fill(_('Room {code}'), { code: room.code });
      $('room-label').hidden = false;
      $('room-lang').textContent = fill(_('Language: {language}'), { language: words.name });
      $('room-lang').hidden = false;
      document.title = fill(_('{title} – peerkit'), { title: room.title || _('Live poll') });
      state.token = tokens.get(room.code);
      if (!state.token) await join();
      await poll();
    } catch (err) {
      if (err.status === 404) showJoin(code, errorText(err));
      else showCard(_('Something went wrong'), errorText(err), _('Reload the page to try again.'));
    }
  }

  /**
   * Follow the room: read its event stream, or long-poll where streams do not get through (a
   * proxy that holds the stream back, an old browser). A reply with the etag already shown
   * changes nothing the room sees; the page's own answer is known from its own PUT.
   */
  async function poll() {
    let etag = null;
    let shown = 0;
    const show = (view) => {
      shown += 1;
      setStatus('');
      if (view.etag === etag) return;
      etag = view.etag;
      render(view);
    };
    let failures = 0;
    for (let streams = true; streams;) {
      const before = shown;
      try {
        await streamViews(show);
      } catch (err) {
        if (err instanceof NoStream) break;
        if (err.status === 403) {
          await join(); // a stored token the service does not know: join afresh
          etag = null;
          continue;
        }
        if (!(err instanceof Offline)) throw err;
        if (shown === before) setStatus(_('Reconnecting…'));
      }
      failures = shown > before ? 0 : failures + 1;
      streams = failures < 3;
      const backOff = Math.min(15000, 1000 * 2 ** failures) * (0.8 + Math.random() * 0.4);
      if (failures) await sleep(backOff);
    }
    for (;;) {
      const wait = etag ? `?after=${encodeURIComponent(etag)}&timeout=25` : '';
      let view;
      try {
        view = await retrying(() => api('GET', `/rooms/${state.code}/current${wait}`,
          { timeout: 40000 }));
      } catch (err) {
        if (err.status !== 403) throw err;
        await join(); // a stored token the service does not know: join afresh
        etag = null;
        continue;
      }
      show(view);
    }
  }

  // ------------------------------------------------------------------------- the current question

  let ui = null; // the question on screen
  let rendered = false;

  function render(view) {
    const q = view.question;
    if (!q) {
      if (ui || !rendered) {
        showCard(_('You’re in'), _('Waiting for the facilitator to open a question.'),
          _('This page updates by itself, so you can leave it open.'));
        if (rendered) announce(_('Waiting for the facilitator to open a question.'));
      }
      ui = null;
    } else if (!ui || ui.id !== q.id) {
      const hadFocus = $('room-view').contains(document.activeElement);
      ui = buildQuestion(q);
      if (hadFocus) ui.heading.focus();
      if (rendered) announce(fill(_('New question: {title}'), { title: ui.heading.textContent }));
    }
    rendered = true;
    if (ui) ui.update(view);
  }

  function buildQuestion(q) {
    // open as the question arrived, so arriving at a closed question announces no change
    const ui = { id: q.id, open: q.state === 'open', answer: null, dirty: false, saving: false,
      error: '' };
    const changed = () => { ui.dirty = true; ui.error = ''; refresh(); };
    const kit = { choice: choiceKit, scale: scaleKit, text: textKit }[q.kind](q, changed);
    const submit = h('button', { type: 'submit', class: 'primary', text: _('Submit') });
    const pass = kit.passButton
      ? h('button', { type: 'button', class: 'secondary', text: _('Pass'),
        onclick: () => send(q.pass) })
      : null;
    const notice = h('p', { class: 'notice', 'aria-live': 'polite' });
    const closed = h('p', { class: 'closed', hidden: true },
      _('This question is closed. Answers can no longer be changed.'));
    const form = h('form', { class: 'answer', novalidate: true }, kit.body,
      h('div', { class: 'actions' }, submit, pass), notice);
    ui.heading = h('h1', { id: 'q-heading', tabindex: -1, text: q.title || heading(q.kind) });
    const results = h('section', { class: 'card results', 'aria-labelledby': 'results-h',
      hidden: true });
    $('room-view').replaceChildren(
      h('article', { class: 'card question', 'aria-labelledby': 'q-heading' }, ui.heading, closed,
        q.vignette ? h('p', { class: 'vignette', text: q.vignette }) : null, form),
      results);

    form.addEventListener('input', changed);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const answer = kit.read();
      if (answer === undefined) {
        ui.error = kit.missing;
        refresh();
      } else {
        send(answer);
      }
    });
    form.addEventListener('keydown', (event) => { // Enter on a radio or slider submits too
      if (event.key === 'Enter' && event.target.tagName === 'INPUT') {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    function describe() {
      if (ui.saving) return _('Saving…');
      if (ui.error) return ui.error;
      const passed = ui.answer === q.pass;
      if (!ui.open) {
        if (ui.answer === null) return _('You did not answer this question.');
        return passed ? _('You passed on this question.') : _('Your answer was saved.');
      }
      if (ui.answer === null) return '';
      if (ui.dirty) return _('You have changed your answer. Press Change answer to save it.');
      return passed ? _('You passed. You can still answer while the question is open.')
        : _('Your answer is saved. You can change it while the question is open.');
    }

    function refresh() {
      for (const control of form.elements) control.disabled = !ui.open;
      if (ui.open && kit.ready) submit.disabled = !kit.ready();
      submit.textContent = ui.answer === null ? _('Submit') : _('Change answer');
      closed.hidden = ui.open;
      const text = describe();
      if (notice.textContent !== text) notice.textContent = text;
      notice.classList.toggle('error', Boolean(ui.error));
      form.setAttribute('aria-busy', String(ui.saving));
    }

    async function send(answer) {
      if (ui.saving || !ui.open) return;
      ui.saving = true;
      ui.error = '';
      refresh();
      try {
        const res = await putAnswer(ui.id, answer);
        ui.answer = res.answer;
        ui.dirty = false;
        kit.write(res.answer);
      } catch (err) {
        if (err.code === 'question_closed') {
          ui.open = false;
          ui.dirty = false;
          kit.write(ui.answer);
          ui.error = _('This question closed before your answer was saved.');
        } else if (err instanceof HttpError) {
          ui.error = fill(_('Not saved: {reason}'), { reason: errorText(err) });
        } else {
          ui.error = _('Not saved: the connection dropped. Please try again.');
        }
      } finally {
        ui.saving = false;
        refresh();
      }
    }

    ui.update = (view) => {
      const wasOpen = ui.open;
      ui.open = view.question.state === 'open';
      ui.answer = view.your_answer ?? null;
      if (!ui.open) ui.dirty = false; // a closed question shows what was saved
      if (!ui.dirty && !ui.saving) kit.write(ui.answer);
      if (wasOpen !== ui.open) ui.error = '';
      if (wasOpen && !ui.open) announce(_('This question is closed.'));
      if (!wasOpen && ui.open) announce(_('This question is open again.'));
      refresh();
      showResults(results, view, q);
    };
    return ui;
  }

  function choiceKit(q) {
    const options = [...q.options, { id: q.pass, text: _('Pass / prefer not to say') }];
    const radios = options.map((o) => h('input', { type: 'radio', name: 'answer', id: `opt-${o.id}`,
      value: o.id }));
    const body = h('fieldset', { class: 'choices' }, h('legend', { text: q.prompt }),
      ...options.map((o, i) => h('label', { class: o.id === q.pass ? 'choice pass' : 'choice',
        for: `opt-${o.id}` }, radios[i], h('span', { text: o.text }))));
    return {
      body,
      read: () => radios.find((r) => r.checked)?.value,
      write: (answer) => radios.forEach((r) => { r.checked = r.value === answer; }),
      missing: _('Choose one of the options, or pass.'),
    };
  }

  function scaleKit(q, changed) {
    const steps = Math.round((q.max - q.min) / q.step);
    const mid = q.min + Math.round(steps / 2) * q.step;
    const slider = h('input', { type: 'range', id: 'scale', min: q.min, max: q.max, step: q.step,
      value: mid, class: 'unset', 'aria-labelledby': 'scale-prompt',
      'aria-describedby': 'scale-reading scale-poles' });
    const reading = h('p', { id: 'scale-reading', class: 'reading', 'aria-live': 'polite' });
    let chosen = false;
    const anchor = (value) => {
      let label = q.low_label;
      for (const [point, text] of q.anchors) if (point <= value + 1e-9) label = text;
      return label;
    };
    const show = () => {
      slider.classList.toggle('unset', !chosen);
      if (!chosen) {
        reading.textContent = _('Move the slider to choose.');
        slider.setAttribute('aria-valuetext', _('Not answered yet'));
        return;
      }
      const value = Number(slider.value);
      reading.replaceChildren(h('span', { class: 'value', text: fmt(value) }), anchor(value));
      slider.setAttribute('aria-valuetext',
        fill(_('{value}: {words}'), { value: fmt(value), words: anchor(value) }));
    };
    const choose = () => {
      if (!chosen) { chosen = true; show(); changed(); }
    };
    slider.addEventListener('input', () => { chosen = true; show(); });
    slider.addEventListener('click', choose);
    slider.addEventListener('keydown', (event) => NAV_KEYS.has(event.key) && choose());
    show();
    const body = h('fieldset', { class: 'scale' },
      h('legend', { id: 'scale-prompt', text: q.prompt }), reading, slider,
      // Seen: the poles at both ends; heard: the one sentence joining them.
      h('p', { id: 'scale-poles', class: 'poles' },
        h('span', { 'aria-hidden': 'true', text: q.low_label }),
        h('span', { class: 'vh', text: fill(_('{low} to {high}'),
          { low: q.low_label, high: q.high_label }) }),
        h('span', { 'aria-hidden': 'true', text: q.high_label })),
      q.note ? h('details', { class: 'note' }, h('summary', { text: _('About this slider') }),
        h('p', { text: q.note })) : null);
    return {
      body,
      passButton: true,
      ready: () => chosen,
      read: () => (chosen ? Number(slider.value) : undefined),
      write: (answer) => {
        chosen = typeof answer === 'number';
        slider.value = String(chosen ? answer : mid);
        show();
      },
      missing: _('Move the slider to choose, or pass.'),
    };
  }

  function textKit(q) {
    const area = h('textarea', { id: 'reflection', name: 'reflection', rows: 4,
      maxlength: q.max_length, 'aria-describedby': 'reflection-note reflection-count' });
    const count = h('p', { id: 'reflection-count', class: 'count' });
    let warned = null;
    const show = () => {
      const left = q.max_length - area.value.length;
      count.textContent = fill(ngettext('{count} / {max} character', '{count} / {max} characters',
        q.max_length), { count: fmt(area.value.length), max: fmt(q.max_length) });
      count.classList.toggle('near', left <= 20);
      if (left <= 20 && left % 10 === 0 && left !== warned) {
        announce(fill(ngettext('{count} character left', '{count} characters left', left),
          { count: fmt(left) }));
      }
      warned = left;
    };
    area.addEventListener('input', show);
    area.addEventListener('keydown', (event) => { // Ctrl+Enter or Cmd+Enter sends
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        area.form.requestSubmit();
      }
    });
    show();
    return {
      body: h('div', { class: 'field' },
        h('label', { for: 'reflection', class: 'prompt', text: q.prompt }),
        h('p', { id: 'reflection-note', class: 'hint', text: _('The facilitator sees what you '
          + 'write. It is shown to the group only if the facilitator approves it, and never '
          + 'with your name.') }),
        area, count),
      passButton: true,
      read: () => area.value.trim() || undefined,
      write: (answer) => {
        area.value = typeof answer === 'string' && answer !== q.pass ? answer : '';
        show();
      },
      missing: _('Write something first, or pass.'),
    };
  }

  // ------------------------------------------------------------------------- results

  function showResults(section, view, q) {
    const r = view.results;
    const key = JSON.stringify([r, view.question.revealed, view.your_answer]);
    if (section.dataset.key === key) return;
    const first = section.hidden || !section.querySelector('.figures');
    section.dataset.key = key;
    section.hidden = !r && !view.question.revealed;
    if (section.hidden) return;
    const content = !r
      ? [h('p', { text: fill(ngettext('The facilitator has shown the results. They appear here '
          + 'once at least {count} person has answered.', 'The facilitator has shown the '
          + 'results. They appear here once at least {count} people have answered.',
        state.minGroup), { count: fmt(state.minGroup) }) })]
      : (r.kind === 'text' ? textResults : chartResults)(q, r, view.your_answer);
    section.replaceChildren(h('h2', { id: 'results-h', text: _('Group results') }), ...content);
    if (r && first) announce(_('The group results are shown below the question.'));
  }

  function chartResults(q, r, mine) {
    // The shared view model with this participant's own answer marked (the service sends
    // everyone the same figures; only this page knows which answer is theirs).
    const view = structuredClone(r.view);
    if (q.kind === 'choice') {
      const index = q.options.findIndex((o) => o.id === mine);
      if (index >= 0) view.bars[index].own = true;
    } else if (typeof mine === 'number') {
      view.scale.own = mine;
    }
    const holder = h('div', { class: 'figures' });
    const strings = catalog;
    charts.then((module) => module.drawChart(holder, view, strings));
    const summary = q.kind === 'choice'
      ? [h('p', { text: fill(ngettext('{count} person chose an option.',
        '{count} people chose an option.', r.answered), { count: fmt(r.answered) }) })] : [];
    return [...summary, holder];
  }

  function textResults(q, r) {
    const texts = r.reflections || [];
    const summary = h('p', { text: fill(ngettext('{count} reflection received; {shared} shared '
      + 'with the group.', '{count} reflections received; {shared} shared with the group.', r.n),
    { count: fmt(r.n), shared: fmt(texts.length) }) });
    return [summary, texts.length
      ? h('ul', { class: 'reflections figures' }, ...texts.map((t) => h('li', { text: String(t) })))
      : h('p', { class: 'hint figures', text: _('None has been shared yet.') })];
  }

  // ------------------------------------------------------------------------- start

  const here = location.pathname.startsWith(ROOT.pathname)
    ? location.pathname.slice(ROOT.pathname.length) : '';
  const match = here.match(/^join\/([^/]+)\/?$/);
  // The service's own language (the page came filled in with it) until the room names its own.
  useLanguage(document.documentElement.lang || 'en').then(() => {
    if (match) {
      const code = normalise(decodeURIComponent(match[1]));
      if (location.pathname !== joinPath(code)) history.replaceState(null, '', joinPath(code));
      enterRoom(code);
    } else {
      showJoin();
    }
  });
})();
