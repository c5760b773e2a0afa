// @ts-check
// The execgate approval page. Everything in a request (argv, environment,
// labels, paths) comes from the sandbox and is hostile: it is only ever put
// into the page as text (textContent, text nodes, attribute values), never as
// HTML. The Content-Security-Policy backs this up: our own script only, and
// Trusted Types with no policy, so no HTML sink accepts a string at all.
//
// What the human sees is what they approve: a long argument is folded and
// unfolds on a click, and "This session" and "Always" (which approve the same
// bytes again without asking) stay disabled until every folded part of the
// request was unfolded. "Run once" and "Deny" do not wait.

import { FOLD_AT, FOLD_KEEP, MAX_ARGS, MAX_DENY_REASON, shellQuote } from './text.js';

/**
 * @typedef {{ id: string, sessionId: string, label: string, hostProgram: string, argv: string[],
 *   cwd: string, hostCwd: string, env: Record<string, string>, ruleId: string | null, projectCode: string | null, reason: string,
 *   explicit: boolean, deadline: number | null, onTimeout?: 'deny' | 'escalate', since?: number, folded?: boolean }} Req
 * @typedef {{ id: string, outcome: 'approved' | 'denied' | 'timed-out' | 'cancelled', scope?: string,
 *   by: string, reason?: string, ruleText?: string }} Resolution
 * @typedef {{ id: string, sessionId: string, label: string, hostProgram: string | null, argv: string[],
 *   decidedBy: string, scope?: string, state: 'running' | 'exited' | 'denied', reason?: string,
 *   exitCode: number | null, signal: string | null, durationMs?: number, time: number }} Recent
 */

/** Buttons stay disabled this long after a request appears, so that a key
 * pressed for the previous request cannot answer a new one. */
const ARM_MS = 700;
const NOTE_MS = 20_000;

/** @type {Map<string, { req: Req, el: HTMLElement, armedAt: number }>} */
const pending = new Map();
/** @type {Map<string, Recent>} */
const recent = new Map();
/** @type {Set<string>} ids this tab answered (to say "you" in the note) */
const answeredHere = new Set();
/** @type {Set<string>} ids already seen, so a reconnect does not notify twice */
const seen = new Set();
/** @type {Map<string, Notification>} */
const notifications = new Map();
let focusedId = /** @type {string | null} */ (null);
let denyOpenFor = /** @type {string | null} */ (null);
let live = false;
let firstSnapshot = true;
let clockSkew = 0; // server time - local time

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Builds an element. Children are nodes or strings; strings become text.
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attrs]
 * @param {(Node | string | null | undefined | false)[]} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

// ---------------------------------------------------------------- text

/** Escapes the broker made visible (\e, \xNN, \n, \u{...}) are highlighted,
 * so a hidden character stands out. `\\` is a literal backslash. */
const ESCAPES = /\\\\|\\[entr]|\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}/g;

/** What an escape stands for, for its tooltip. @param {string} esc */
function escapeTitle(esc) {
  if (esc.startsWith('\\u')) return `U+${esc.slice(3, -1).toUpperCase().padStart(4, '0')}: an invisible, control, format or look-alike character, shown escaped`;
  if (esc.startsWith('\\x') && parseInt(esc.slice(2), 16) >= 0x80) return `the byte 0x${esc.slice(2)}, which is not valid UTF-8, shown escaped`;
  return 'a control character, shown escaped';
}

/** @param {string} text @returns {DocumentFragment} */
function escapedText(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(ESCAPES)) {
    const i = /** @type {number} */ (m.index);
    if (i > last) frag.append(text.slice(last, i));
    frag.append(m[0] === '\\\\' ? '\\\\' : h('span', { class: 'esc', title: escapeTitle(m[0]) }, m[0]));
    last = i + m[0].length;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

/** One argument: folded when long, with a button that unfolds it.
 * @param {string} arg @param {string} [cls] */
function argNode(arg, cls = 'arg') {
  if (arg === '') return h('span', { class: `${cls} empty-arg`, title: 'empty argument' }, "''");
  const el = h('span', { class: cls });
  if (arg.length <= FOLD_AT) {
    el.append(escapedText(arg));
    return el;
  }
  const hidden = arg.length - 2 * FOLD_KEEP;
  const more = h('button', { type: 'button', class: 'fold', title: 'show the whole argument' }, `… ${hidden.toLocaleString('en-US')} more characters …`);
  more.addEventListener('click', (ev) => {
    ev.stopPropagation();
    el.replaceChildren(escapedText(arg));
    el.classList.add('unfolded');
    unfolded(el);
  });
  el.append(escapedText(arg.slice(0, FOLD_KEEP)), more, escapedText(arg.slice(-FOLD_KEEP)));
  return el;
}

/** The command line, one element per argument. Past MAX_ARGS arguments the
 * rest waits behind a button (a request can carry a hundred thousand).
 * @param {string[]} argv */
function commandLine(argv) {
  const line = h('code', { class: 'argv' });
  const add = (/** @type {number} */ from, /** @type {number} */ to) => {
    for (let i = from; i < to; i++) {
      if (i > 0) line.append(' ');
      line.append(argNode(argv[i], i === 0 ? 'arg arg0' : 'arg'));
    }
  };
  add(0, Math.min(argv.length, MAX_ARGS));
  if (argv.length > MAX_ARGS) {
    const more = h('button', { type: 'button', class: 'fold', title: 'show every argument' }, `… ${(argv.length - MAX_ARGS).toLocaleString('en-US')} more arguments …`);
    more.addEventListener('click', (ev) => {
      ev.stopPropagation();
      more.remove();
      add(MAX_ARGS, argv.length);
      unfolded(line);
    });
    line.append(' ', more);
  }
  return line;
}

/** A fold button was used: the request's card may now allow more answers.
 * @param {Element} el */
function unfolded(el) {
  const id = el.closest('li.request')?.getAttribute('data-id');
  const entry = pending.get(id ?? '');
  if (entry && !stillFolded(entry) && entry.el.querySelector('[data-role=status]')?.textContent === READ_FIRST) setStatusLine(entry, '');
  tick();
}

/** Whether part of a request is still folded on its card.
 * @param {{ el: HTMLElement }} entry */
const stillFolded = (entry) => entry.el.querySelector('button.fold') !== null;

/** A one-line plain version (notifications, notes, history), folded hard.
 * @param {string[]} argv @param {number} max */
function plainCommand(argv, max) {
  const s = argv.map((a) => shellQuote(a.length > 60 ? `${a.slice(0, 28)}…${a.slice(-28)}` : a)).join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** @param {number} ms */
function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** Who decided, for people. @param {string} by @param {string} id */
function who(by, id) {
  if (by === 'human:web') return answeredHere.has(id) ? 'you, here' : 'the web page (another tab)';
  if (by === 'human:tmux') return 'tmux popup';
  if (by === 'human:terminal') return 'execgate approve (terminal)';
  if (by === 'human:serve-terminal') return 'the execgate serve terminal';
  if (by.startsWith('human:')) return by.slice(6);
  if (by.startsWith('rule:')) return `rule ${by.slice(5)}`;
  if (by === 'session-grant') return 'approved for the session';
  if (by === 'timeout') return 'time-out';
  if (by === 'default') return 'policy default';
  if (by.startsWith('flag:')) return by.slice(5);
  return by;
}

const SCOPE_TEXT = /** @type {Record<string, string>} */ ({ once: 'once', session: 'for this session', always: 'always' });

// ---------------------------------------------------------------- pending

/** @param {Req} req */
function renderRequest(req) {
  const now = Date.now() + clockSkew;
  const env = Object.entries(req.env);
  const timeout = req.onTimeout === 'escalate' ? 'then runs' : 'then denied';

  const countdown = h('span', { class: 'countdown', 'data-role': 'countdown' },
    h('span', { class: 'countdown-time', 'data-role': 'countdown-time' }, req.deadline === null ? 'no time-out' : clock(req.deadline - now)),
    req.deadline === null ? null : h('span', { class: 'countdown-then' }, timeout));

  const head = h('div', { class: 'req-head' },
    h('span', { class: 'label', title: `session: ${req.label}` }, req.label || '(no label)'),
    h('span', { class: 'kind' }, req.explicit ? 'explicit host request' : 'host command'),
    h('span', { class: 'req-id' }, `#${req.id}`),
    h('span', { class: 'grow' }),
    countdown);

  const details = h('dl', { class: 'details' },
    h('dt', {}, 'Program'), h('dd', {}, h('code', { class: 'path' }, escapedText(req.hostProgram))),
    h('dt', {}, 'Directory'),
    h('dd', {},
      h('code', { class: 'path' }, escapedText(req.cwd)),
      req.hostCwd !== req.cwd ? h('span', { class: 'maps' }, ' on the host: ', h('code', { class: 'path' }, escapedText(req.hostCwd))) : h('span', { class: 'maps muted' }, ' (same path on the host)')),
    h('dt', {}, 'Environment'),
    h('dd', { class: 'env' }, ...(env.length
      ? env.map(([k, v]) => h('code', { class: 'envvar' }, h('span', { class: 'envkey' }, escapedText(k)), '=', argNode(v, 'envval')))
      : [h('span', { class: 'muted' }, 'nothing crosses from the sandbox')])),
    h('dt', {}, 'Rule'),
    h('dd', {}, req.ruleId ? h('code', { class: 'rule' }, escapedText(req.ruleId)) : h('span', { class: 'muted' }, 'no rule (default)'), req.reason && req.reason !== `rule ${req.ruleId}` ? h('span', { class: 'reason' }, ' — ', escapedText(req.reason)) : null),
    ...(req.projectCode ? [h('dt', {}, 'Note'), h('dd', { class: 'note' }, 'runs code from the project: ', escapedText(req.projectCode))] : []));

  const btn = (/** @type {string} */ key, /** @type {string} */ text, /** @type {string} */ cls, /** @type {string} */ action) =>
    h('button', { type: 'button', class: `act ${cls}`, 'data-action': action, 'data-help': `${text} (${key})`, disabled: true, title: `${text} (${key})` }, h('kbd', {}, key), text);

  const actions = h('div', { class: 'actions' },
    btn('y', 'Run once', 'approve primary', 'once'),
    btn('s', 'This session', 'approve', 'session'),
    btn('a', 'Always', 'approve', 'always'),
    h('span', { class: 'fold-hint muted small', 'data-role': 'fold-hint', hidden: true }, 'Expand every folded part to allow these two'),
    h('span', { class: 'grow' }),
    btn('n', 'Deny…', 'deny', 'deny'));

  const reasonInput = /** @type {HTMLInputElement} */ (h('input', { type: 'text', class: 'reason-input', maxlength: String(MAX_DENY_REASON), placeholder: 'Reason (optional) — the agent sees it', 'aria-label': 'deny reason', autocomplete: 'off', spellcheck: 'false' }));
  const denyForm = h('form', { class: 'deny-form', hidden: true },
    reasonInput,
    h('button', { type: 'submit', class: 'act deny solid', 'data-action': 'deny-send' }, h('kbd', {}, 'Enter'), 'Deny'),
    h('button', { type: 'button', class: 'act ghost', 'data-action': 'deny-cancel' }, h('kbd', {}, 'Esc'), 'Cancel'));

  const progress = h('div', { class: 'progress', 'aria-hidden': 'true' }, h('div', { class: 'progress-bar', 'data-role': 'bar' }));
  const status = h('p', { class: 'req-status', 'data-role': 'status', role: 'status' });

  const el = h('li', { class: 'request', tabindex: '-1', 'data-id': req.id, 'aria-label': `request from ${req.label}` },
    head,
    h('div', { class: 'command' }, h('span', { class: 'prompt', 'aria-hidden': 'true' }, '$'), commandLine(req.argv)),
    details, actions, denyForm, status, progress);

  el.addEventListener('click', (ev) => {
    const target = /** @type {HTMLElement} */ (ev.target);
    setFocus(req.id, false);
    const action = target.closest('[data-action]')?.getAttribute('data-action');
    if (!action) return;
    if (action === 'once' || action === 'session' || action === 'always') decide(req.id, { approve: true, scope: action });
    else if (action === 'deny') openDeny(req.id);
    else if (action === 'deny-cancel') closeDeny();
  });
  denyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    decide(req.id, { approve: false, reason: reasonInput.value.trim() || undefined });
  });
  reasonInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      closeDeny();
    }
  });
  return el;
}

/** @param {Req} req @param {boolean} fresh */
function addRequest(req, fresh) {
  if (pending.has(req.id)) return;
  const el = renderRequest(req);
  pending.set(req.id, { req, el, armedAt: Date.now() + (fresh ? ARM_MS : 0) });
  $('pending').append(el);
  if (focusedId === null) setFocus(req.id, false);
  if (fresh && !seen.has(req.id)) notify(req);
  seen.add(req.id);
  el.classList.add('arriving');
  setTimeout(() => el.classList.remove('arriving'), 1200);
  tick();
  updateChrome();
}

/** @param {string} id */
function removeRequest(id) {
  const entry = pending.get(id);
  if (!entry) return;
  const order = [...pending.keys()];
  const index = order.indexOf(id);
  pending.delete(id);
  entry.el.remove();
  notifications.get(id)?.close();
  notifications.delete(id);
  if (denyOpenFor === id) denyOpenFor = null;
  if (focusedId === id) {
    const rest = order.filter((x) => x !== id);
    focusedId = null;
    if (rest.length) setFocus(rest[Math.min(index, rest.length - 1)], false);
  }
  updateChrome();
}

/** @param {string} id @param {boolean} scroll */
function setFocus(id, scroll) {
  if (focusedId === id) return;
  if (focusedId !== null && denyOpenFor === focusedId) closeDeny();
  pending.get(focusedId ?? '')?.el.classList.remove('focused');
  focusedId = id;
  const entry = pending.get(id);
  if (!entry) return;
  entry.el.classList.add('focused');
  if (scroll) entry.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

/** @param {number} step */
function moveFocus(step) {
  const ids = [...pending.keys()];
  if (!ids.length) return;
  const i = focusedId === null ? -1 : ids.indexOf(focusedId);
  setFocus(ids[(i + step + ids.length) % ids.length], true);
}

/** @param {string} id */
function openDeny(id) {
  const entry = pending.get(id);
  if (!entry || !armed(entry)) return;
  setFocus(id, true);
  denyOpenFor = id;
  const form = /** @type {HTMLFormElement} */ (entry.el.querySelector('.deny-form'));
  form.hidden = false;
  entry.el.classList.add('denying');
  /** @type {HTMLInputElement} */ (form.querySelector('input')).focus();
}

function closeDeny() {
  const entry = pending.get(denyOpenFor ?? '');
  denyOpenFor = null;
  if (!entry) return;
  const form = /** @type {HTMLFormElement} */ (entry.el.querySelector('.deny-form'));
  form.hidden = true;
  form.reset();
  entry.el.classList.remove('denying');
  entry.el.focus({ preventScroll: true });
}

/** @param {{ armedAt: number }} entry */
const armed = (entry) => live && Date.now() >= entry.armedAt;

const READ_FIRST = 'Expand every folded part of this request first: “This session” and “Always” approve exactly these bytes again without asking. (“Run once” does not wait.)';

/** @param {string} id @param {{ approve: true, scope: string } | { approve: false, reason?: string }} answer */
async function decide(id, answer) {
  const entry = pending.get(id);
  if (!entry || !armed(entry) || entry.el.classList.contains('sending')) return;
  if (answer.approve && answer.scope !== 'once' && stillFolded(entry)) {
    setStatusLine(entry, READ_FIRST, true);
    return;
  }
  entry.el.classList.add('sending');
  setStatusLine(entry, 'Sending…');
  answeredHere.add(id);
  try {
    const res = await fetch('/api/decide', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, ...answer }),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      answeredHere.delete(id);
      entry.el.classList.remove('sending');
      setStatusLine(entry, `Could not answer: ${body.error ?? res.statusText}`, true);
    }
    // Success shows when the resolution arrives, as for any channel.
  } catch {
    answeredHere.delete(id);
    entry.el.classList.remove('sending');
    setStatusLine(entry, 'Could not reach execgate; try again when the connection is back.', true);
  }
}

/** @param {{ el: HTMLElement }} entry @param {string} text @param {boolean} [error] */
function setStatusLine(entry, text, error = false) {
  const line = /** @type {HTMLElement} */ (entry.el.querySelector('[data-role=status]'));
  line.textContent = text;
  line.classList.toggle('error', error);
}

/** Countdowns, progress bars and arming, once a second (and on change). */
function tick() {
  const now = Date.now() + clockSkew;
  for (const entry of pending.values()) {
    const { req, el } = entry;
    const folded = stillFolded(entry);
    for (const b of el.querySelectorAll('.actions button')) {
      const button = /** @type {HTMLButtonElement} */ (b);
      const grant = button.dataset.action === 'session' || button.dataset.action === 'always';
      button.disabled = !armed(entry) || (grant && folded);
      button.title = grant && folded ? 'Expand every folded part of the request first' : button.dataset.help ?? '';
    }
    el.toggleAttribute('data-folded', folded);
    /** @type {HTMLElement} */ (el.querySelector('[data-role=fold-hint]')).hidden = !folded;
    el.toggleAttribute('data-armed', armed(entry));
    if (req.deadline === null) continue;
    const left = req.deadline - now;
    /** @type {HTMLElement} */ (el.querySelector('[data-role=countdown-time]')).textContent = clock(left);
    const cd = /** @type {HTMLElement} */ (el.querySelector('[data-role=countdown]'));
    cd.classList.toggle('warn', left <= 60_000 && left > 15_000);
    cd.classList.toggle('urgent', left <= 15_000);
    const total = Math.max(1, req.deadline - (req.since ?? req.deadline - left));
    const fraction = Math.max(0, Math.min(1, left / total));
    /** @type {HTMLElement} */ (el.querySelector('[data-role=bar]')).style.transform = `scaleX(${fraction})`;
  }
}

// ---------------------------------------------------------------- notes

/** A request answered (here or elsewhere) leaves a note of who answered.
 * @param {Resolution} res @param {Req} req */
function addNote(res, req) {
  const kind = res.outcome === 'approved' ? 'approved' : res.outcome === 'timed-out' ? (res.scope ? 'approved' : 'timedout') : res.outcome === 'cancelled' ? 'cancelled' : 'denied';
  const byHere = res.by === 'human:web' && answeredHere.has(res.id);
  let text;
  if (res.outcome === 'approved') text = `${byHere ? 'You approved' : 'Approved'} ${SCOPE_TEXT[res.scope ?? 'once'] ?? res.scope}${byHere ? '' : ` in ${who(res.by, res.id)}`}`;
  else if (res.outcome === 'denied') text = `${byHere ? 'You denied' : `Denied in ${who(res.by, res.id)}`}${res.reason && res.reason !== 'denied by a human' ? ` (“${res.reason}”)` : ''}`;
  else if (res.outcome === 'timed-out') text = res.scope ? 'Timed out, and ran (the policy runs on time-out)' : 'Timed out: denied';
  else text = 'Withdrawn: the command went away before anyone answered';
  const note = h('li', { class: `note ${kind}`, 'data-id': res.id, 'data-by': res.by },
    h('span', { class: 'note-icon', 'aria-hidden': 'true' }, kind === 'approved' ? '✓' : kind === 'denied' ? '✕' : '•'),
    h('span', { class: 'note-text' }, h('strong', {}, text), ' · ', h('span', { class: 'label small-label' }, req.label || '(no label)'), ' ', h('code', {}, plainCommand(req.argv, 90))),
    res.ruleText ? h('pre', { class: 'note-rule' }, `wrote rule:\n${res.ruleText.trim()}`) : null,
    h('button', { type: 'button', class: 'note-close', title: 'dismiss', 'aria-label': 'dismiss' }, '×'));
  note.querySelector('.note-close')?.addEventListener('click', () => note.remove());
  const notes = $('notes');
  notes.prepend(note);
  while (notes.children.length > 4) notes.lastElementChild?.remove();
  setTimeout(() => note.classList.add('fading'), NOTE_MS - 600);
  setTimeout(() => note.remove(), res.ruleText ? NOTE_MS * 3 : NOTE_MS);
}

// ---------------------------------------------------------------- recent

/** @param {Recent} r */
function resultBadge(r) {
  if (r.state === 'running') return h('span', { class: 'badge running' }, 'running…');
  if (r.state === 'denied') return h('span', { class: 'badge denied', title: r.reason ?? '' }, 'denied');
  if (r.signal) return h('span', { class: 'badge failed' }, `killed: ${r.signal}`);
  return h('span', { class: `badge ${r.exitCode === 0 ? 'ok' : 'failed'}` }, `exit ${r.exitCode}`);
}

/** @param {number | undefined} ms */
const duration = (ms) => (ms === undefined ? '' : ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : clock(ms));

function renderRecent() {
  const rows = [...recent.values()].sort((a, b) => b.time - a.time).map((r) =>
    h('tr', { 'data-id': r.id, 'data-state': r.state },
      h('td', { class: 'time' }, new Date(r.time - clockSkew).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })),
      h('td', {}, h('span', { class: 'label small-label', title: r.label }, r.label || '(no label)')),
      h('td', { class: 'cmd' }, h('code', { title: r.argv.join(' ') }, plainCommand(r.argv, 160))),
      h('td', { class: 'by' }, who(r.decidedBy, r.id), r.scope && r.scope !== 'once' ? h('span', { class: 'muted' }, ` (${r.scope})`) : null),
      h('td', { class: 'result' }, resultBadge(r), r.state === 'denied' && r.reason ? h('span', { class: 'why' }, r.reason) : null, r.durationMs !== undefined && r.state === 'exited' ? h('span', { class: 'muted dur' }, duration(r.durationMs)) : null)));
  /** @type {HTMLElement} */ ($('recent').querySelector('tbody')).replaceChildren(...rows);
  $('recent-empty').hidden = rows.length > 0;
  $('recent-wrap').hidden = rows.length === 0;
}

// ---------------------------------------------------------------- chrome

function updateChrome() {
  const n = pending.size;
  const count = $('pending-count');
  count.textContent = String(n);
  count.dataset.n = String(n);
  $('empty').hidden = n > 0;
  document.title = !live && !firstSnapshot ? `⚠ disconnected — execgate` : n > 0 ? `(${n}) ${n === 1 ? '1 request waiting' : `${n} requests waiting`} — execgate` : 'execgate — nothing waiting';
  /** @type {HTMLLinkElement} */ ($('favicon')).href = n > 0 ? '/assets/icon-pending.svg' : '/assets/icon.svg';
  document.body.classList.toggle('offline', !live);
}

/** @param {'connecting' | 'live' | 'reconnecting' | 'unauthorized'} state */
function setConnection(state) {
  live = state === 'live';
  const status = $('status');
  status.dataset.state = state;
  $('status-text').textContent = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Disconnected — reconnecting…', unauthorized: 'Disconnected' }[state];
  const banner = $('banner');
  if (state === 'reconnecting') {
    banner.hidden = false;
    banner.textContent = 'Lost the connection to execgate. Reconnecting by itself; answers are paused until it is back, and what is shown may be out of date.';
  } else if (state === 'unauthorized') {
    banner.hidden = false;
    banner.textContent = 'This page’s secret link is no longer valid: execgate was probably restarted. Open the new URL it printed (or wrote to its web-url file).';
  } else banner.hidden = true;
  tick();
  updateChrome();
}

// ---------------------------------------------------------------- notifications

function setupNotifications() {
  const button = $('notify');
  const state = $('notify-state');
  const refresh = () => {
    if (!('Notification' in window)) {
      button.hidden = true;
      return;
    }
    button.hidden = Notification.permission !== 'default';
    state.hidden = Notification.permission === 'default';
    state.textContent = Notification.permission === 'granted' ? 'Desktop notifications on' : 'Notifications blocked in the browser';
  };
  button.addEventListener('click', async () => {
    await Notification.requestPermission();
    refresh();
  });
  refresh();
}

/** @param {Req} req */
function notify(req) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(`execgate: approve a host command? (${req.label})`, {
      body: plainCommand(req.argv, 200),
      tag: `execgate-${req.id}`,
      icon: '/assets/icon-pending.svg',
      requireInteraction: false,
    });
    n.addEventListener('click', () => {
      window.focus();
      setFocus(req.id, true);
      n.close();
    });
    notifications.set(req.id, n);
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}

// ---------------------------------------------------------------- keyboard

document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const target = /** @type {HTMLElement} */ (ev.target);
  if (target.closest('input, textarea, select')) return;
  if (ev.key === '?') {
    toggleHelp();
    return;
  }
  if (ev.key === 'Escape') {
    if (!$('help').hidden) toggleHelp(false);
    else closeDeny();
    return;
  }
  const id = focusedId;
  switch (ev.key) {
    case 'j':
    case 'ArrowDown':
      ev.preventDefault();
      return moveFocus(1);
    case 'k':
    case 'ArrowUp':
      ev.preventDefault();
      return moveFocus(-1);
  }
  if (id === null) return;
  // Enter and Space keep their usual meaning on a focused button.
  if (target.closest('button')) return;
  switch (ev.key) {
    case 'y':
      return void decide(id, { approve: true, scope: 'once' });
    case 's':
      return void decide(id, { approve: true, scope: 'session' });
    case 'a':
      return void decide(id, { approve: true, scope: 'always' });
    case 'n':
    case 'd':
      ev.preventDefault(); // the key must not land in the reason field
      return openDeny(id);
  }
});

/** @param {boolean} [show] */
function toggleHelp(show) {
  const help = $('help');
  help.hidden = show === undefined ? !help.hidden : !show;
  $('help-toggle').setAttribute('aria-expanded', String(!help.hidden));
}
$('help-toggle').addEventListener('click', () => toggleHelp());

// ---------------------------------------------------------------- events

/** @type {EventSource | null} */
let source = null;
let retryDelay = 1000;
/** @type {ReturnType<typeof setTimeout> | null} */
let retryTimer = null;

function connect() {
  retryTimer = null;
  const es = new EventSource('/api/events');
  source = es;
  es.addEventListener('snapshot', (ev) => {
    const data = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    clockSkew = data.serverTime - Date.now();
    const ids = new Set(data.pending.map((/** @type {Req} */ r) => r.id));
    for (const id of [...pending.keys()]) if (!ids.has(id)) removeRequest(id);
    retryDelay = 1000;
    setConnection('live');
    for (const r of data.pending) addRequest(r, !firstSnapshot);
    recent.clear();
    for (const r of data.recent) recent.set(r.id, r);
    firstSnapshot = false;
    renderRecent();
    updateChrome();
  });
  es.addEventListener('request', (ev) => addRequest(JSON.parse(/** @type {MessageEvent} */ (ev).data), true));
  es.addEventListener('resolved', (ev) => {
    /** @type {Resolution} */
    const res = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    const entry = pending.get(res.id);
    if (entry) addNote(res, entry.req);
    removeRequest(res.id);
  });
  es.addEventListener('recent', (ev) => {
    /** @type {Recent} */
    const r = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    recent.delete(r.id);
    recent.set(r.id, r);
    while (recent.size > 50) recent.delete(/** @type {string} */ (recent.keys().next().value));
    renderRecent();
  });
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // The server answered with an error (e.g. the token is no longer
      // valid): EventSource gives up; we keep trying, more slowly.
      source = null;
      void diagnose();
    } else setConnection('reconnecting');
  });
}

async function diagnose() {
  let state = /** @type {'reconnecting' | 'unauthorized'} */ ('reconnecting');
  try {
    const res = await fetch('/api/pending', { cache: 'no-store', credentials: 'same-origin' });
    if (res.status === 401 || res.status === 403) state = 'unauthorized';
  } catch {
    // not reachable: still reconnecting
  }
  setConnection(state);
  if (retryTimer === null) retryTimer = setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 15_000);
}

setupNotifications();
setInterval(tick, 1000);
updateChrome();
connect();
