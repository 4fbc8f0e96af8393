/* app.js — the review page. Plain JS, no framework, nothing from the network: it reads the
 * token from its URL (then drops it from the address bar), sends it as a Bearer header with
 * every /api/ call, and renders status, proposals, rules and enforce from the same JSON the
 * CLI's --json prints (docs/ui.md). DOM is built with createElement/textContent only. */
'use strict';

const params = new URLSearchParams(location.search);
const token = params.get('token') || sessionStorage.getItem('wfplearn-token') || '';
if (params.get('token')) {
  sessionStorage.setItem('wfplearn-token', token);
  history.replaceState(null, '', location.pathname);
}
let flagNotes = {};
let countdownTimer = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
  return e;
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + token } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch('/api/' + path, opts);
  const data = await r.json().catch(() => ({ error: 'bad answer (' + r.status + ')' }));
  if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
  return data;
}

function say(text, bad) {
  const m = document.getElementById('message');
  m.textContent = text;
  m.className = bad ? 'bad' : 'good';
  m.hidden = !text;
}

const fmtTime = (t) => (t ? t.slice(0, 19).replace('T', ' ') : '—');
const protoName = (p) => ({ 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' }[p] || (p === null ? 'any' : String(p)));

/* ---------------------------------------------------------------- status and enforce */

/* time left of a temporary rule as `rules` prints it (wl_expiry_left_text): "2d 3h", "1h 59m",
 * "4m 30s" */
const fmtIn = (s) => (s >= 86400 ? Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h'
  : s >= 3600 ? Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm'
  : Math.floor(s / 60) + 'm ' + s % 60 + 's');
const fmtLeft = (s) => (s >= 86400 ? Math.floor(s / 86400) + ' d ' : '') + Math.floor(s % 86400 / 3600) + ' h left';

/* The learning window (status's "window", service/window.h): active with its end and what is
 * left, or ended/stopped with its summary; without one, the span the store has seen. */
function windowText(st) {
  const w = st.window;
  const seen = st.first_seen ? fmtTime(st.first_seen) + ' .. ' + fmtTime(st.last_seen) : 'nothing recorded yet';
  if (!w) return 'none (wfplearn learn --for 7d), seen ' + seen;
  if (w.state === 'active')
    return 'active ' + fmtTime(w.since) + ' .. ' + fmtTime(w.until) + ', ' + fmtLeft(w.left_s)
      + (w.events_per_day ? ', ' + w.events_per_day + ' events/day' : ''); // 0 for its first minute
  return w.state + ' ' + fmtTime(w.ended) + (w.summary ? ': ' + w.summary : '');
}

function renderStatus(st) {
  document.getElementById('st-mode').textContent = st.mode;
  const win = document.getElementById('st-window');
  win.textContent = windowText(st);
  win.dataset.state = st.window ? st.window.state : 'none';
  const svc = document.getElementById('st-service');
  svc.textContent = (st.service_state || 'not running as a service')
    + (st.engine_state ? ', engine ' + st.engine_state : '');
  svc.dataset.state = st.service_state ? st.service_state.split(' ')[0] : 'none';
  document.getElementById('st-events').textContent = st.events + ' (' + st.apps + ' apps, ' + st.flows + ' flows)';
  document.getElementById('st-drops').textContent = String(st.drops);
  const sl = st.sublayers;
  document.getElementById('st-engine').textContent = !sl ? 'not reachable'
    : (sl.wfplearn !== null && sl.wfplearn !== undefined ? 'wfplearn sublayer installed' : 'no wfplearn sublayer yet')
      + (st.capture_state ? ', capture ' + st.capture_state : '');
  /* learning without allow events (issue 19's self-check, or CLASSIFY_ALLOW refused) */
  const warn = st.blind_since
    ? 'blind to allowed traffic since ' + fmtTime(st.blind_since)
      + ': connections are open but no allow event comes (see wfplearn status)'
    : (st.capture_warning || '');
  document.getElementById('st-warn').textContent = warn;
  document.getElementById('st-warn-row').hidden = !warn;
  renderEnforce(st);
}

function renderEnforce(st) {
  const pending = st.mode === 'pending', enforcing = st.mode === 'enforce';
  document.getElementById('enforce-btn').hidden = pending || enforcing;
  document.getElementById('enforce-inbound').parentElement.hidden = pending || enforcing;
  document.getElementById('confirm-btn').hidden = !pending;
  document.getElementById('relax-btn').hidden = !(pending || enforcing);
  document.getElementById('enforce-text').textContent = pending
    ? 'The default block is pending: check that what you need still works, then confirm, or it rolls back by itself.'
    : enforcing ? 'Enforcing: everything the rules do not allow is blocked (loopback, DHCP, DNS and neighbour discovery excepted).'
      : 'Learning: nothing is blocked by wfplearn. Enforce tries a default block that rolls back unless confirmed.';
  clearInterval(countdownTimer);
  const cd = document.getElementById('countdown');
  cd.textContent = '';
  if (pending && st.confirm_before) {
    const end = Date.parse(st.confirm_before);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      cd.textContent = left + ' s left to confirm';
      if (!left) { clearInterval(countdownTimer); setTimeout(refresh, 1500); }
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }
}

/* What Enforce would do (GET /api/dryrun = enforce --dry-run --json): the recorded attempts
 * replayed against the rules, the default block and its exceptions; shown while learning. The
 * "inbound too" box drives both the backtest and the Enforce button (enforce --inbound); the
 * baseline exceptions are always kept by the page's Enforce, so the backtest keeps them too. */
const inboundWanted = () => document.getElementById('enforce-inbound').checked;
function loadDryrun() {
  api('GET', 'dryrun' + (inboundWanted() ? '?inbound=1' : '')).then(renderDryrun, (e) => say(e.message, true));
}

function renderDryrun(d) {
  const box = document.getElementById('dryrun');
  if (document.getElementById('st-mode').textContent !== 'learn') d = null; // came in after Enforce
  if (d && d.inbound !== inboundWanted()) return; // the box changed since: its own answer comes
  box.hidden = !d;
  if (!d) return;
  document.getElementById('dryrun-text').textContent = 'Backtest (' + (d.inbound ? 'outbound and inbound' : 'outbound')
    + ' default block): of the ' + d.events
    + ' connection attempts recorded, enforce would allow ' + d.allowed + ' and block ' + d.would_block
    + ' (' + d.by_block + ' by the default block, the rest by filters already there)'
    + (d.apps_missing ? ' (' + d.apps_missing + ' apps no longer on disk)' : '')
    + (d.rules_unresolved ? '; ' + d.rules_unresolved + ' rules cannot be built, enforce would refuse' : '') + '.';
  const body = document.querySelector('#dryrun-table tbody');
  body.replaceChildren(...d.apps.map((a) => el('tr', { class: a.blocked ? 'blocked' : 'allowed' },
    el('td', {}, a.app || '(no app)', a.missing ? ' (file gone)' : ''), el('td', {}, a.dir),
    el('td', {}, String(a.allowed)), el('td', {}, String(a.blocked)))));
}

/* ---------------------------------------------------------------- proposals */

function timelineChart(tl) {
  const ns = 'http://www.w3.org/2000/svg', n = tl.allowed.length, w = 2 * n, h = 60;
  const max = Math.max(1, ...tl.allowed.map((a, i) => a + tl.blocked[i]));
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const sum = (v) => v.reduce((a, b) => a + b, 0);
  svg.setAttribute('aria-label', `events per hour over ${n / 24} days from ${fmtTime(tl.start)}: ${sum(tl.allowed)} allowed, ${sum(tl.blocked)} blocked`);
  for (let i = 0; i < n; i++) {
    const a = tl.allowed[i] * h / max, b = tl.blocked[i] * h / max;
    for (const [v, y, cls] of [[a, h - a, 'allowed'], [b, h - a - b, 'blocked']]) {
      if (!v) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', 2 * i); r.setAttribute('y', y);
      r.setAttribute('width', 1.6); r.setAttribute('height', v);
      r.setAttribute('class', cls);
      svg.append(r);
    }
  }
  return el('figure', { class: 'timeline' }, svg,
    el('figcaption', {}, `per hour from ${fmtTime(tl.start)} (UTC): `,
      el('span', { class: 'allowed-key' }, 'allowed'), ' / ', el('span', { class: 'blocked-key' }, 'blocked')));
}

async function showTimeline(p, box, btn) {
  btn.disabled = true;
  box.replaceChildren(el('p', { class: 'hint' }, 'counting the week\'s events per hour…'));
  try {
    box.replaceChildren(timelineChart(await api('GET', 'timeline?id=' + p.id)));
    btn.remove();
  } catch (e) { say(e.message, true); box.replaceChildren(); btn.disabled = false; }
}

/* An app update (review's update_of / update, docs/cli.md "App updates"). */
function updateText(p) {
  const u = p.update, sg = u.signer;
  if (p.update_of) return 'update of rule ' + p.update_of + ' (' + u.kind + ' version folder, signed by ' + sg.name + '): Allow re-binds that rule to this path';
  if (!sg.checked) return 'looks like an update of rule ' + u.rule + ' (' + u.kind + ' version folder); signer not checked yet';
  return 'looks like an update of rule ' + u.rule + ', not re-bound: ' + sg.status + (sg.name ? ' by ' + sg.name : '') +
    ' (rule\'s signer: ' + (sg.rule_signer || 'none recorded') + ')';
}

function proposalCard(p) {
  const scope = el('select', { 'aria-label': 'scope of the rule for proposal ' + p.id, 'data-scope-for': p.id },
    ['app', 'port', 'remote'].map((s) => el('option', { value: s, selected: s === p.scope }, s)));
  /* promote --for D: a temporary rule, removed with its filters at the deadline (issue 15) */
  const dur = el('select', { 'aria-label': 'how long the rule for proposal ' + p.id + ' lasts', 'data-for': p.id },
    [['', 'permanently'], ['1h', 'for 1 hour'], ['1d', 'for 1 day'], ['7d', 'for 7 days']].map(([v, t]) =>
      el('option', { value: v }, t)));
  const allow = el('button', { type: 'button', class: 'allow', 'data-allow': p.id,
    onclick: () => promote([p.id], scope.value, allow, dur.value) }, 'Allow');
  const chartBox = el('div', { class: 'chart-box' });
  const tlBtn = el('button', { type: 'button', class: 'secondary', onclick: () => showTimeline(p, chartBox, tlBtn) }, 'Timeline');
  const ends = p.remotes.length ? p.remotes.join(', ') + (p.remotes_more ? ' …' : '') : 'any address';
  const ports = p.ports.length ? (p.dir === 'in' ? 'local port ' : 'port ') + p.ports.join(', ') : 'any port';
  return el('article', { class: 'proposal', 'data-id': p.id },
    el('div', { class: 'head' },
      el('span', { class: 'dir ' + p.dir }, p.dir === 'in' ? 'inbound' : 'outbound'),
      el('span', { class: 'pid' }, '#' + p.id),
      el('span', { class: 'counts' }, el('b', { class: 'blocked-key' }, String(p.blocked)), ' blocked, ',
        el('b', { class: 'allowed-key' }, String(p.allowed)), ' allowed, ', String(p.flows), ' flows')),
    el('dl', { class: 'facts' },
      el('dt', {}, 'seen'), el('dd', {}, fmtTime(p.first_seen) + ' .. ' + fmtTime(p.last_seen)),
      el('dt', {}, 'endpoints'), el('dd', {}, (p.proto === null ? 'any protocol' : protoName(p.proto)) + ', ' + ports + ' · ' + ends),
      el('dt', {}, 'stability'), el('dd', { class: 'stability' }, p.stability === null ? (p.update_of ? 'unknown (a new version of rule ' + p.update_of + "'s app)" : 'unknown (too little data)')
        : Math.round(p.stability * 100) + '% of the latest traffic' + (p.unstable_why.length ? ' (missed: ' + p.unstable_why.join(', ') + ')' : '')),
      p.update ? [el('dt', {}, 'update'), el('dd', { class: 'update' }, updateText(p))] : null,
      p.blocked_by.length ? [el('dt', {}, 'blocked by'), el('dd', {}, p.blocked_by.map((b) =>
        (b.name ? `"${b.name}"` : 'filter ' + b.filter_id) + (b.provider ? ' (' + b.provider + ')' : '') + ' ×' + b.count).join('; '))] : null),
    p.flags.length ? el('ul', { class: 'flags' }, p.flags.map((f) =>
      el('li', {}, el('b', {}, f), ': ' + (flagNotes[f] || '')))) : null,
    p.promotable ? null : el('p', { class: 'warn' }, 'Nothing narrows this proposal with its scope: choose another.'),
    el('div', { class: 'row' }, el('label', {}, 'scope ', scope), el('label', {}, 'allow ', dur), allow, tlBtn),
    chartBox);
}

/* review's revoke proposals (issue 15): rules nothing used for 30 days of event time. */
function unusedCard(p) {
  const r = p.rule;
  const btn = el('button', { type: 'button', class: 'revoke', 'data-revoke-unused': r.id,
    onclick: () => act('revoke', { ids: [r.id] }, btn, 'revoked rule ' + r.id) }, 'Revoke');
  return el('article', { class: 'proposal unused', 'data-unused-rule': r.id },
    el('div', { class: 'head' },
      el('span', { class: 'dir ' + r.dir }, r.dir === 'in' ? 'inbound' : 'outbound'),
      el('span', { class: 'pid' }, 'rule ' + r.id), el('b', {}, r.app || '(any app)')),
    el('ul', { class: 'flags' }, el('li', {}, el('b', {}, 'unused'), ': ' + (r.last_hit
      ? 'last used ' + fmtTime(r.last_hit) : 'never used since ' + fmtTime(r.created))
      + ', ' + r.hits + ' hits in all; nothing it allows was seen in the last ' + p.unused_days + ' days')),
    el('div', { class: 'row' }, btn));
}

function renderProposals(items) {
  const list = items.filter((p) => p.kind !== 'revoke'), unused = items.filter((p) => p.kind === 'revoke');
  const ubox = document.getElementById('unused');
  ubox.replaceChildren(...(unused.length ? [el('h3', {}, 'Unused rules, proposed for revoke ('
    + unused.length + ')'), ...unused.map(unusedCard)] : []));
  document.getElementById('proposal-count').textContent = '(' + list.length + ')';
  const box = document.getElementById('proposals');
  const groups = new Map();
  for (const p of list) {
    const k = p.app || '(no app)';
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(p);
  }
  box.replaceChildren(...[...groups].map(([app, ps]) =>
    el('section', { class: 'app' }, el('h3', {}, app), ps.map(proposalCard))));
  if (!list.length) box.append(el('p', { class: 'empty' }, 'Nothing to review: every connection seen is allowed by a rule.'));
  const clean = list.filter((p) => !p.flags.length && p.promotable);
  const all = document.getElementById('allow-all');
  all.disabled = !clean.length;
  all.textContent = 'Allow all without warnings (' + clean.length + ')';
  all.onclick = () => promote(clean.map((p) => p.id), null, all);
}

/* ---------------------------------------------------------------- rules */

function renderRules(rules) {
  document.getElementById('rule-count').textContent = '(' + rules.length + ')';
  const box = document.getElementById('rules');
  if (!rules.length) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No rules yet: allow a proposal above.'));
    return;
  }
  box.replaceChildren(el('ul', { class: 'rules' }, rules.map((r) => {
    const btn = el('button', { type: 'button', class: 'revoke', 'data-revoke': r.id,
      onclick: () => act('revoke', { ids: [r.id] }, btn, 'revoked rule ' + r.id) }, 'Revoke');
    return el('li', { 'data-rule': r.id },
      el('span', { class: 'dir ' + r.dir }, r.dir), ' ',
      el('b', {}, r.app || '(any app)'), ' ',
      el('span', { class: 'meta' }, [protoName(r.proto), r.ports.length ? 'ports ' + r.ports.join(',') : '',
        r.remotes.length ? 'remotes ' + r.remotes.join(', ') : '', r.scope + ' scope',
        r.filters.length + ' filters', r.origin].filter(Boolean).join(' · ')),
      ' ', el('span', { class: 'use' + (r.unused ? ' unused' : '') }, r.hits + ' hits'
        + (r.last_hit ? ', last ' + fmtTime(r.last_hit) : '') + (r.unused ? ', unused' : '')
        + (r.expires ? (r.expires_in_s ? ', expires in ' + fmtIn(r.expires_in_s) : ', expired') : '')),
      ' ', btn);
  })));
}

/* ---------------------------------------------------------------- table-only evidence */

/* review's "held" elements (issue 19): long-lived connections seen only in the connection
 * tables. Evidence, not proposals: no id, no Allow; each card says so. */
function heldCard(h) {
  const where = h.state === 'listen' ? 'listening on port ' + h.local_port
    : (h.ip_version === 6 ? '[' + h.remote + ']' : h.remote) + ':' + h.remote_port;
  return el('article', { class: 'proposal held', 'data-held': h.app },
    el('div', { class: 'head' },
      el('span', { class: 'dir' }, h.state === 'listen' ? 'listening' : 'connected'),
      el('b', {}, h.app)),
    el('dl', {},
      el('dt', {}, 'seen'), el('dd', {}, protoName(h.proto) + ' ' + where),
      el('dt', {}, 'when'), el('dd', {}, fmtTime(h.first_seen) + ' .. ' + fmtTime(h.last_seen)
        + ' (' + h.reads + ' table reads)')),
    el('p', { class: 'evidence' }, 'Table-only evidence, not a proposal: no event was recorded for '
      + 'this connection, so there is nothing to Allow here.'));
}

const HELD_SHOWN = 50; /* the rest counted, as review's text does */

function renderHeld(items) {
  const held = items.filter((p) => p.kind === 'held');
  document.getElementById('held-section').hidden = !held.length;
  document.getElementById('held-count').textContent = '(' + held.length + ')';
  const more = held.length - HELD_SHOWN;
  document.getElementById('held').replaceChildren(...held.slice(0, HELD_SHOWN).map(heldCard),
    ...(more > 0 ? [el('p', { class: 'empty' }, '... and ' + more + ' more (wfplearn review)')] : []));
}

/* status's "held" counts in the header, when there are any */
function renderHeldStatus(st) {
  const k = st.held || { connections: 0, table_only: 0, programs: 0 };
  document.getElementById('st-held-row').hidden = !k.connections;
  document.getElementById('st-held').textContent = k.connections + ' long-lived connection'
    + (k.connections === 1 ? '' : 's') + ', ' + k.table_only + ' seen only there ('
    + k.programs + ' program' + (k.programs === 1 ? '' : 's') + ')';
}

/* ---------------------------------------------------------------- actions */

async function act(what, body, btn, done) {
  if (btn) btn.disabled = true;
  try {
    const r = await api('POST', what, body);
    say(typeof done === 'function' ? done(r) : done, false);
  } catch (e) {
    say(what + ': ' + e.message, true);
  }
  if (btn) btn.disabled = false;
  await refresh();
}

function promote(ids, scope, btn, forD) {
  const body = { ids };
  if (scope) body.scope = scope;
  if (forD) body.for = forD;
  return act('promote', body, btn, (r) => `${r.added} rule${r.added === 1 ? '' : 's'} added (${r.filters} filters)` +
    (forD && r.added ? `, for ${forD}` : '') + (r.same ? `, ${r.same} already present` : '') +
    (r.rebound ? `, ${r.rebound} re-bound to the app's update` + (forD ? ' (a re-bound rule keeps its expiry)' : '') : ''));
}

async function refresh() {
  try {
    const [st, props, rules] = await Promise.all([api('GET', 'status'), api('GET', 'proposals'), api('GET', 'rules')]);
    renderStatus(st);
    renderHeldStatus(st);
    renderProposals(props.filter((p) => p.kind !== 'held'));
    renderHeld(props);
    renderRules(rules);
    /* the backtest replays every recorded event (about 1 s per 200,000): it comes in on its own */
    if (st.mode === 'learn') loadDryrun();
    else renderDryrun(null);
    document.body.dataset.ready = '1';
  } catch (e) {
    say(e.message, true);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('enforce-btn').addEventListener('click', (ev) => {
    const s = parseInt(document.getElementById('enforce-within').value, 10) || 60;
    act('enforce', { confirm_within: s, inbound: inboundWanted() }, ev.target,
      (r) => `enforce pending: confirm within ${r.confirm_within} s`);
  });
  document.getElementById('enforce-inbound').addEventListener('change', () => {
    if (document.getElementById('st-mode').textContent === 'learn') loadDryrun();
  });
  document.getElementById('confirm-btn').addEventListener('click', (ev) =>
    act('confirm', {}, ev.target, 'enforce confirmed: the default block is persistent'));
  document.getElementById('relax-btn').addEventListener('click', (ev) =>
    act('relax', {}, ev.target, 'relaxed: no default block; the rules stay'));
  if (!token) {
    say('No token: open the URL that `wfplearn ui` printed.', true);
    return;
  }
  try {
    for (const f of await api('GET', 'flags')) flagNotes[f.name] = f.note;
  } catch (e) { /* shown by refresh */ }
  await refresh();
});
