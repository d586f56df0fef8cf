// suma-console Tenants page: the tenants of suma-fleet, read and changed
// through the console's /api/fleet/* routes (the console talks to the fleet,
// the browser only to the console). Uses app.js's helpers ($, el, api, toast,
// confirmAction). Every change goes through a confirmation; a password the
// fleet returns is shown once and then dropped from the page.
'use strict';

const tenants = { list: [], timer: null, visible: false, editing: null };
const BUSY_STATES = ['creating', 'changing', 'deleting'];

function fmtBytes(n) {
  if (n === null || n === undefined) return '-';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  if (n < 1024 * 1024 * 1024) return (n / 1024 / 1024).toFixed(1) + ' MB';
  return (n / 1024 / 1024 / 1024).toFixed(2) + ' GB';
}

function limitsText(spec) {
  const r = spec.replicas || 0;
  return `${spec.memory_mb} MB · ${spec.cpus} CPU · ${r} replica${r === 1 ? '' : 's'} · ${spec.persistence || 'everysec'}`;
}

// --- tabs -------------------------------------------------------------------
// Called by app.js's showApp; true when the Tenants page took over.
async function tenantsSetup() {
  let enabled = false;
  try { enabled = (await api('/api/fleet/info')).enabled; } catch (e) { enabled = false; }
  $('tabs').hidden = !enabled;
  if (enabled && location.hash === '#tenants') { showTenants(); return true; }
  return false;
}

function tenantsHide() {
  tenants.visible = false;
  clearTimeout(tenants.timer);
  $('tenants-view').hidden = true;
  $('tabs').hidden = true;
  setTab('groups');
}

function setTab(name) {
  $('feed-state').hidden = name === 'tenants';  // the groups' event feed
  $('tab-groups').classList.toggle('active', name === 'groups');
  $('tab-tenants').classList.toggle('active', name === 'tenants');
}

function showTenants() {
  setTab('tenants');
  $('app-view').hidden = true;
  $('tenants-view').hidden = false;
  tenants.visible = true;
  history.replaceState(null, '', '#tenants');
  loadTenants();
}

$('tab-tenants').addEventListener('click', showTenants);
$('tab-groups').addEventListener('click', () => {
  setTab('groups');
  tenants.visible = false;
  clearTimeout(tenants.timer);
  $('tenants-view').hidden = true;
  $('app-view').hidden = false;
  history.replaceState(null, '', state.group ? '#g=' + encodeURIComponent(state.group) : '#');
  loadGroups().catch((e) => toast(e.message, true));
});

// --- list -------------------------------------------------------------------
// Re-reads every second while an operation runs, else every 5 s.
async function loadTenants() {
  clearTimeout(tenants.timer);
  if (!tenants.visible) return;
  try {
    const r = await api('/api/fleet/tenants');
    tenants.list = r.tenants || [];
    $('tenants-error').hidden = true;
    renderTenants();
    renderUnmanaged(r.unmanaged || []);
  } catch (e) {
    $('tenants-error').textContent = 'Could not read the tenants: ' + e.message;
    $('tenants-error').hidden = false;
  }
  if (!tenants.visible) return;
  const busy = tenants.list.some((t) => BUSY_STATES.includes(t.state));
  tenants.timer = setTimeout(loadTenants, busy ? 1000 : 5000);
}

function usageCell(t) {
  const u = t.usage;
  if (!u || t.state !== 'running') return el('span', { class: 'muted' }, '-');
  const pct = u.maxmemory > 0 ? Math.min(100, (100 * u.used_memory) / u.maxmemory) : 0;
  // Past 90% a noeviction server is close to refusing writes.
  const bar = el('div', { class: 'bar' + (pct >= 90 ? ' high' : ''), title: pct.toFixed(1) + '% of maxmemory' });
  const fill = el('span');
  fill.style.width = pct.toFixed(1) + '%';  // CSSOM, allowed by the page's CSP (a style attribute is not)
  bar.append(fill);
  return el('div', { class: 'usage' },
    el('div', { class: 'mono small used' }, `${fmtBytes(u.used_memory)} / ${fmtBytes(u.maxmemory)}`), bar,
    el('div', { class: 'small muted clients' }, `${u.connected_clients} client${u.connected_clients === 1 ? '' : 's'}`));
}

function stateCell(t) {
  const cell = el('td', {}, el('span', { class: 'badge t-' + t.state }, t.state));
  const op = t.operation;
  if (op && op.state === 'running') cell.append(el('div', { class: 'small muted' }, `${op.kind} running`));
  if (t.state === 'failed' && t.reason) cell.append(el('div', { class: 'small error reason' }, t.reason));
  else if (op && op.state === 'failed' && op.error) cell.append(el('div', { class: 'small error reason' }, `${op.kind} failed: ${op.error}`));
  return cell;
}

function renderTenants() {
  const rows = tenants.list.map((t) => {
    const busy = BUSY_STATES.includes(t.state) || (t.operation && t.operation.state === 'running');
    const gone = t.state === 'deleted';
    const btn = (cls, label, fn, enabled) => el('button',
      Object.assign({ class: 'small ' + cls, onclick: fn }, enabled ? {} : { disabled: '' }), label);
    const ports = t.replica_ports && t.replica_ports.length ? 'replicas on ' + t.replica_ports.join(', ') : '';
    return el('tr', { dataset: { name: t.name, state: t.state } },
      el('td', {}, el('div', { class: 'mono name' }, t.name),
        el('div', { class: 'small muted' }, `owner ${t.owner} · business ${t.business}`)),
      stateCell(t),
      el('td', { class: 'small limits' }, limitsText(t.spec)),
      el('td', {}, usageCell(t)),
      el('td', {}, el('div', { class: 'mono small conn' }, gone ? '' : t.connection || ''),
        ports ? el('div', { class: 'small muted' }, ports) : null),
      el('td', { class: 'actions' },
        btn('ghost action-scale', 'Scale…', () => openForm(t), !busy && t.state === 'running'), ' ',
        btn('ghost action-credentials', 'New password…', () => resetCredentials(t), !busy && t.state === 'running'), ' ',
        btn('danger action-delete', 'Delete…', () => openDelete(t), !busy && !gone)));
  });
  $('tenants').tBodies[0].replaceChildren(...rows);
  $('tenants-none').hidden = tenants.list.length > 0;
}

// Containers the fleet found with a tenant label but no record: it reports them and
// leaves them alone, so an operator decides.
function renderUnmanaged(list) {
  const p = $('tenants-unmanaged');
  p.hidden = list.length === 0;
  p.textContent = list.length ? `${list.length} container${list.length === 1 ? '' : 's'} with a tenant label but no ` +
    'record (left alone by the fleet): ' + list.map((c) => `${c.name} (${c.tenant || '?'}, ${c.status})`).join(', ') : '';
}

// --- create and scale ---------------------------------------------------------
// t: the tenant to scale, or null to buy a new one.
function openForm(t) {
  tenants.editing = t;
  const scale = !!t;
  $('tf-title').textContent = scale ? `Scale ${t.name}` : 'Buy a tenant';
  $('tf-owner').value = scale ? t.owner : '';
  $('tf-business').value = scale ? t.business : '';
  $('tf-memory').value = scale ? t.spec.memory_mb : 128;
  $('tf-cpus').value = scale ? t.spec.cpus : 0.5;
  $('tf-replicas').value = String(scale ? t.spec.replicas || 0 : 0);
  $('tf-persistence').value = scale ? t.spec.persistence || 'everysec' : 'everysec';
  for (const id of ['tf-owner', 'tf-business', 'tf-persistence']) $(id).disabled = scale;
  $('tf-error').hidden = true;
  updateName();
  showForm();
  $(scale ? 'tf-memory' : 'tf-owner').focus();
}

function showForm() { $('tenant-dialog').hidden = false; }

function updateName() {
  const o = $('tf-owner').value.trim(), b = $('tf-business').value.trim();
  $('tf-name').textContent = o && b ? `${o}_${b}` : '<owner>_<business>';
}
$('tf-owner').addEventListener('input', updateName);
$('tf-business').addEventListener('input', updateName);
$('tf-cancel').addEventListener('click', () => { $('tenant-dialog').hidden = true; });

function formError(msg) {
  $('tf-error').textContent = msg;
  $('tf-error').hidden = false;
}

$('tenant-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const t = tenants.editing;
  const spec = {
    memory_mb: $('tf-memory').value.trim(), cpus: $('tf-cpus').value.trim(),
    replicas: $('tf-replicas').value, persistence: $('tf-persistence').value,
  };
  const owner = $('tf-owner').value.trim(), business = $('tf-business').value.trim();
  if (!t && (!owner || !business)) return formError('Owner and business name the tenant.');
  if (!/^\d+$/.test(spec.memory_mb)) return formError('Memory is a whole number of MB.');
  if (!(Number(spec.cpus) > 0)) return formError('CPUs is a number above 0.');
  $('tenant-dialog').hidden = true;

  let ok, form, path;
  if (t) {
    const changes = [];
    form = { name: t.name };
    for (const [k, label, unit] of [['memory_mb', 'memory', ' MB'], ['cpus', 'cpus', ''], ['replicas', 'replicas', '']]) {
      if (Number(spec[k]) !== Number(t.spec[k] || 0)) {
        form[k] = spec[k];
        changes.push(`${label}: ${t.spec[k] || 0}${unit} → ${spec[k]}${unit}`);
      }
    }
    if (!changes.length) { toast('Nothing to change'); return; }
    ok = await confirmAction(`Scale ${t.name}?`, changes.join('\n') +
      '\n\nMemory and CPUs apply live where the engine allows; otherwise the server restarts on the same data.', 'Scale');
    path = '/api/fleet/scale';
  } else {
    form = Object.assign({ owner, business }, spec);
    ok = await confirmAction(`Buy ${owner}_${business}?`,
      `memory ${spec.memory_mb} MB, ${spec.cpus} CPU, ${spec.replicas} replica(s), appendfsync ${spec.persistence}\n\n` +
      'Starts a server locked to this tenant, with its own port, data volume and password.', 'Buy');
    path = '/api/fleet/create';
  }
  if (!ok) { showForm(); return; }
  try {
    const r = await api(path, form);
    if (r.password) showSecret(r.tenant.name, r.password, r.tenant.connection);
    else toast(t ? `${t.name}: scaling` : `${r.tenant.name} already exists with this spec`);
  } catch (e) {
    toast((t ? 'Scale' : 'Create') + ' failed: ' + e.message, true);
    if (!t) { showForm(); formError(e.message); }
  }
  loadTenants();
});

$('tenant-new').addEventListener('click', () => openForm(null));

// --- delete -------------------------------------------------------------------
function openDelete(t) {
  $('td-title').textContent = `Delete ${t.name}?`;
  $('td-text').textContent = `Stops and removes ${t.name}'s server${t.spec.replicas ? ' and its replicas' : ''}. ` +
    'Without purge its data volume is kept, and buying the same tenant again finds its data.';
  $('td-purge').checked = false;
  $('tenant-delete').hidden = false;
  $('td-cancel').focus();
  const done = async (go) => {
    $('tenant-delete').hidden = true;
    $('td-ok').onclick = $('td-cancel').onclick = null;
    if (!go) return;
    const purge = $('td-purge').checked;
    try {
      await api('/api/fleet/delete', purge ? { name: t.name, purge: '1' } : { name: t.name });
      toast(`${t.name}: deleting${purge ? ' with its data' : ''}`);
    } catch (e) { toast('Delete failed: ' + e.message, true); }
    loadTenants();
  };
  $('td-ok').onclick = () => done(true);
  $('td-cancel').onclick = () => done(false);
}

// --- credentials ----------------------------------------------------------------
async function resetCredentials(t) {
  if (!await confirmAction(`Give ${t.name} a new password?`,
    'The old password stops working: every application of this tenant needs the new one.', 'New password')) return;
  try {
    const r = await api('/api/fleet/credentials', { name: t.name });
    showSecret(t.name, r.password, r.connection || t.connection);
  } catch (e) { toast('Password reset failed: ' + e.message, true); }
  loadTenants();
}

function showSecret(name, password, connection) {
  $('ts-title').textContent = `Password of ${name}`;
  $('ts-password').textContent = password;
  $('ts-connection').textContent = connection || '';
  const url = (connection || '').replace(/^(redis:\/\/[^@/]*)@/, '$1:' + password + '@');
  $('ts-cli').textContent = url ? `redis-cli -u '${url}' PING` : '';
  $('ts-cli').hidden = !url;
  $('tenant-secret').hidden = false;
  $('ts-close').focus();
}

$('ts-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('ts-password').textContent);
    toast('Password copied');
  } catch (e) { toast('Copy failed: select the password and copy it by hand', true); }
});

$('ts-close').addEventListener('click', () => {
  $('tenant-secret').hidden = true;
  $('ts-password').textContent = '';
  $('ts-cli').textContent = '';
});
