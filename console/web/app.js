// suma-console page: plain browser JavaScript, no libraries.
// State comes from /api/group (a snapshot) and /api/events (Server-Sent
// Events); every change the operator makes goes through a confirmation.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { group: null, snap: null, snapAt: 0, source: null, refreshTimer: null, events: [] };

// --- HTTP -----------------------------------------------------------------
async function api(path, form) {
  const opts = { credentials: 'same-origin', headers: {} };
  if (form) {
    opts.method = 'POST';
    opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    opts.headers['X-Suma-Console'] = '1';
    opts.body = new URLSearchParams(form).toString();
  }
  const res = await fetch(path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401 && path !== '/login') { showLogin(); throw new Error('login required'); }
  if (!res.ok) throw new Error((body && body.error) || ('HTTP ' + res.status));
  return body;
}

// --- small DOM helpers ----------------------------------------------------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function ago(ms) {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return s.toFixed(1) + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  return Math.floor(s / 3600) + ' h ago';
}

function when(ts) { return ts ? new Date(ts).toLocaleString() : ''; }

// Server "now" extrapolated from the snapshot, so ages tick between refreshes.
function serverNow() { return state.snap ? state.snap.now_ms + (Date.now() - state.snapAt) : Date.now(); }

let toastTimer = null;
function toast(msg, bad) {
  const t = $('toast');
  t.textContent = msg;
  t.className = 'toast' + (bad ? ' bad' : '');
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

// Resolves true when the operator confirms.
function confirmAction(text, detail, okLabel) {
  return new Promise((resolve) => {
    $('confirm-text').textContent = text;
    $('confirm-detail').textContent = detail || '';
    $('confirm-detail').hidden = !detail;
    $('confirm-ok').textContent = okLabel || 'Confirm';
    $('confirm').hidden = false;
    $('confirm-ok').focus();
    const done = (v) => {
      $('confirm').hidden = true;
      $('confirm-ok').onclick = $('confirm-cancel').onclick = null;
      resolve(v);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
  });
}

// --- login ----------------------------------------------------------------
function showLogin() {
  closeFeed();
  if (typeof tenantsHide === 'function') tenantsHide();
  $('app-view').hidden = true;
  $('who').hidden = true;
  $('login-view').hidden = false;
  $('login-user').focus();
}

async function showApp(me) {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('who').hidden = false;
  $('user-name').textContent = me.auth ? me.user : '(no login)';
  $('logout').hidden = !me.auth;
  if (typeof tenantsSetup === 'function' && await tenantsSetup()) return;
  await loadGroups();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').hidden = true;
  try {
    await api('/login', { user: $('login-user').value, password: $('login-password').value });
    $('login-password').value = '';
    showApp(await api('/api/me'));
  } catch (e) {
    $('login-error').textContent = e.message;
    $('login-error').hidden = false;
  }
});

$('logout').addEventListener('click', async () => {
  await api('/logout', {});
  showLogin();
});

// --- groups ---------------------------------------------------------------
async function loadGroups() {
  const { groups } = await api('/api/groups');
  const ul = $('group-list');
  ul.replaceChildren(...groups.map((g) => el('li', {},
    el('button', { class: g === state.group ? 'active' : '', dataset: { group: g },
      onclick: () => selectGroup(g) }, g))));
  $('no-groups').hidden = groups.length > 0;
  const fromHash = decodeURIComponent((location.hash.match(/^#g=(.+)$/) || [])[1] || '');
  if (!state.group && fromHash && groups.includes(fromHash)) selectGroup(fromHash);
  else if (!state.group && groups.length === 1) selectGroup(groups[0]);
}

function selectGroup(g) {
  state.group = g;
  state.events = [];
  history.replaceState(null, '', '#g=' + encodeURIComponent(g));
  for (const b of document.querySelectorAll('#group-list button')) b.classList.toggle('active', b.dataset.group === g);
  $('pick-group').hidden = true;
  $('group-view').hidden = false;
  $('group-title').textContent = g;
  $('events').replaceChildren();
  resetPublishForm();
  refresh();
  openFeed(g);
}

// --- snapshot rendering ---------------------------------------------------
async function refresh() {
  const g = state.group;
  if (!g) return;
  try {
    const snap = await api('/api/group?g=' + encodeURIComponent(g));
    if (g !== state.group) return;
    state.snap = snap;
    state.snapAt = Date.now();
    $('group-error').hidden = true;
    render(snap);
  } catch (e) {
    $('group-error').textContent = 'Could not read the group: ' + e.message;
    $('group-error').hidden = false;
  }
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, 150);
}

function render(s) {
  $('leader-vip').textContent = s.leader.vip || '(none)';
  $('leader-epoch').textContent = String(s.leader.epoch);
  $('leader-lease').textContent = s.leader.vip ? (s.leader.lease_left_ms / 1000).toFixed(1) + ' s' : '-';

  // A replica refuses suma_ci_task (a write command): say so instead of zeros.
  const tasksOk = !s.tasks.error;
  $('tasks-queued').textContent = tasksOk ? String(s.tasks.queued) : '-';
  $('tasks-claimed').textContent = tasksOk ? String(s.tasks.claimed) : '-';
  $('tasks-pending').replaceChildren(...(tasksOk
    ? s.tasks.pending.slice(0, 10).map((t) => el('li', {}, '#' + t.id + ' ' + t.payload))
    : [el('li', { class: 'muted' }, 'not readable here: ' + s.tasks.error)]));

  $('drained-list').replaceChildren(...s.drained.map((d) =>
    el('li', { dataset: { vip: d.vip } }, d.vip + ' ', el('span', { class: 'muted' }, 'since ' + when(d.at_ms)))));
  $('drained-none').hidden = s.drained.length > 0;

  const counts = { live: 0, drained: 0, offline: 0 };
  const rows = s.hosts.map((h) => {
    counts[h.state] = (counts[h.state] || 0) + 1;
    const btn = h.drained
      ? el('button', { class: 'small action-restore', onclick: () => restore(h.vip) }, 'Restore')
      : el('button', { class: 'small warn action-drain', onclick: () => drain(h.vip) }, 'Drain');
    return el('tr', { dataset: { vip: h.vip, state: h.state } },
      el('td', { class: 'mono' }, h.vip),
      el('td', {}, el('span', { class: 'badge ' + h.state }, h.state),
        h.drained && h.live ? el('span', { class: 'muted' }, ' (heartbeating)') : null),
      el('td', { class: 'seen', dataset: { ts: h.last_seen_ms === null ? '' : String(h.last_seen_ms) } },
        h.last_seen_ms === null ? 'never' : ago(s.now_ms - h.last_seen_ms)),
      el('td', {}, h.leader ? '★ leader (epoch ' + s.leader.epoch + ')' : ''),
      el('td', {}, btn));
  });
  $('hosts').tBodies[0].replaceChildren(...rows);
  $('hosts-summary').textContent = `${counts.live} live · ${counts.drained} drained · ${counts.offline} offline`;

  $('configs').tBodies[0].replaceChildren(...s.configs.map((c) => el('tr', { dataset: { key: c.key, version: String(c.version) } },
    el('td', { class: 'mono' }, c.key),
    el('td', { class: 'version' }, 'v' + c.version),
    el('td', {}, when(c.ts_ms)),
    el('td', {}, el('pre', {}, c.value + (c.truncated ? ' …' : ''))),
    el('td', {},
      el('button', { class: 'small ghost action-edit', onclick: () => editConfig(c) }, 'Edit'), ' ',
      el('button', { class: 'small ghost action-history', onclick: () => showHistory(c.key) }, 'History')))));

  if (state.events.length === 0 && s.events.length) {
    for (const e of s.events) addEvent(e);
  }
}

// Ages tick every second without a round trip.
setInterval(() => {
  if (!state.snap) return;
  const now = serverNow();
  for (const td of document.querySelectorAll('#hosts td.seen')) {
    if (td.dataset.ts) td.textContent = ago(now - Number(td.dataset.ts));
  }
}, 1000);
// Liveness changes without an event (a host just goes quiet): re-read now and then.
setInterval(() => { if (state.group && !document.hidden) refresh(); }, 5000);

// --- event feed -------------------------------------------------------------
function describe(e) {
  const parts = [];
  for (const k of ['vip', 'key', 'version', 'epoch', 'action', 'id', 'reason']) {
    if (e[k] !== undefined) parts.push(k + '=' + e[k]);
  }
  if (e.data !== undefined) parts.push(JSON.stringify(e.data));
  if (e.value !== undefined) parts.push('value=' + JSON.stringify(e.value));
  return parts.join(' ');
}

function addEvent(e) {
  if (state.events.some((x) => x.seq === e.seq)) return;
  state.events.push(e);
  const li = el('li', { dataset: { seq: String(e.seq), type: e.type } },
    el('span', { class: 't' }, new Date(e.ts).toLocaleTimeString()),
    el('span', { class: 'ty ' + e.type }, e.type),
    el('span', {}, '#' + e.seq + ' ' + describe(e)));
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function setFeed(on) {
  $('feed-state').textContent = on ? 'feed: live' : 'feed: reconnecting';
  $('feed-state').className = 'feed ' + (on ? 'on' : 'off');
}

function closeFeed() {
  if (state.source) state.source.close();
  state.source = null;
}

function openFeed(g) {
  closeFeed();
  // EventSource reconnects by itself and sends Last-Event-ID, so the server
  // replays what the page missed meanwhile.
  const src = new EventSource('/api/events?g=' + encodeURIComponent(g));
  state.source = src;
  src.onopen = () => setFeed(true);
  src.onerror = () => setFeed(false);
  src.onmessage = (m) => {
    if (g !== state.group) return;
    try { addEvent(JSON.parse(m.data)); } catch (e) { return; }
    scheduleRefresh();
  };
  src.addEventListener('gap', () => refresh());
}

// --- actions ----------------------------------------------------------------
async function drain(vip) {
  const g = state.group;
  if (!await confirmAction(`Drain ${vip} in ${g}?`, 'It leaves every routing list until restored, even while it keeps heartbeating.', 'Drain')) return;
  try {
    const r = await api('/api/drain', { g, vip });
    toast(r.changed ? `${vip} drained` : `${vip} was already drained`);
  } catch (e) { toast('Drain failed: ' + e.message, true); }
  refresh();
}

async function restore(vip) {
  const g = state.group;
  if (!await confirmAction(`Restore traffic to ${vip} in ${g}?`, '', 'Restore')) return;
  try {
    const r = await api('/api/restore', { g, vip });
    toast(r.changed ? `${vip} restored` : `${vip} was not drained`);
  } catch (e) { toast('Restore failed: ' + e.message, true); }
  refresh();
}

function resetPublishForm() {
  $('publish-key').value = '';
  $('publish-value').value = '';
  $('publish-expected').value = '';
  $('publish-base').textContent = '';
}

function editConfig(c) {
  $('publish-key').value = c.key;
  $('publish-value').value = c.value;
  $('publish-expected').value = c.truncated ? '' : String(c.version);
  $('publish-base').textContent = 'editing v' + c.version + ' (refused if someone publishes first)';
  $('publish-value').focus();
}

$('publish-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const g = state.group;
  const key = $('publish-key').value.trim();
  const value = $('publish-value').value;
  if (!key) return;
  const current = state.snap && state.snap.configs.find((c) => c.key === key);
  const detail = (current ? `current v${current.version}:\n${current.value}\n\nnew:\n` : '(new key)\n\n') + value;
  if (!await confirmAction(`Publish ${key} to every host of ${g}?`, detail, 'Publish')) return;
  const form = { g, key, value };
  if ($('publish-expected').value !== '' && current) form.expected_version = $('publish-expected').value;
  try {
    const r = await api('/api/publish', form);
    toast(`${key} is now v${r.version}`);
    resetPublishForm();
  } catch (e) { toast('Publish failed: ' + e.message, true); }
  refresh();
});

async function showHistory(key) {
  const g = state.group;
  let rows;
  try { rows = await api('/api/config/history?g=' + encodeURIComponent(g) + '&key=' + encodeURIComponent(key)); }
  catch (e) { toast('History failed: ' + e.message, true); return; }
  $('history-title').textContent = `History of ${key}`;
  const newest = rows.length ? rows[0].version : 0;
  $('history-table').tBodies[0].replaceChildren(...rows.map((h) => el('tr', { dataset: { version: String(h.version) } },
    el('td', {}, 'v' + h.version + (h.version === newest ? ' (current)' : '')),
    el('td', {}, when(h.ts_ms)),
    el('td', {}, h.value === null ? el('span', { class: 'muted' }, '(deleted)') : el('pre', {}, h.value)),
    el('td', {}, h.version !== newest && h.value !== null
      ? el('button', { class: 'small warn action-rollback', onclick: () => rollback(key, h) }, 'Roll back to this')
      : ''))));
  $('history').hidden = false;
}

$('history-close').addEventListener('click', () => { $('history').hidden = true; });

async function rollback(key, h) {
  const g = state.group;
  if (!await confirmAction(`Roll ${key} back to v${h.version}?`, `Publishes this value as a new version:\n${h.value}`, 'Roll back')) return;
  try {
    const r = await api('/api/rollback', { g, key, version: h.version });
    toast(`${key} rolled back: now v${r.version}`);
    $('history').hidden = true;
  } catch (e) { toast('Roll back failed: ' + e.message, true); }
  refresh();
}

// --- start ------------------------------------------------------------------
(async () => {
  try { showApp(await api('/api/me')); } catch (e) { if (e.message !== 'login required') toast(e.message, true); }
})();
setInterval(() => { if (!$('app-view').hidden) loadGroups().catch(() => {}); }, 15000);
