// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// clicks through the console's Tenants page against a fake suma-fleet: buy a
// tenant (one-time password), watch it go creating -> running, a refused
// overlapping change (409 BUSY) and an over-quota buy (422 QUOTA), scale,
// a password reset, delete with and without purge. After each action it checks
// the fleet's own state. Screenshots go to SHOT_DIR. Run by
// run_tenants_browser_test.py, which starts Redis, the fake fleet and the console.
'use strict';
const { openPage } = require('./browser_launch.cjs');
const fs = require('fs');
const path = require('path');
const assert = require('assert/strict');

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(k + ' is not set'); return v; };
const URL = env('CONSOLE_URL');
const FLEET = env('FLEET_URL');
const TOKEN = env('FLEET_TOKEN');
const SHOTS = env('SHOT_DIR');

// The fleet's view, read directly (not through the console).
async function fleet(pathname, method = 'GET', body) {
  const res = await fetch(FLEET + pathname, {
    method, headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}
const fleetTenant = async (name) => (await fleet('/v1/tenants/' + name)).body;
const fleetRequests = async () => (await fleet('/_fake/requests')).body.requests;

async function shot(page, name, fullPage = true) {
  const file = path.join(SHOTS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  console.log('screenshot', file);
}

const row = (name) => `#tenants tr[data-name="${name}"]`;

async function confirm(page, expectText, expectDetail) {
  await page.locator('#confirm').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#confirm-text'), expectText);
  if (expectDetail) assert.match(await page.textContent('#confirm-detail'), expectDetail);
  await page.click('#confirm-ok');
  await page.locator('#confirm').waitFor({ state: 'hidden' });
}

async function toastText(page, re) {
  await page.waitForFunction((src) => {
    const t = document.getElementById('toast');
    return !t.hidden && new RegExp(src).test(t.textContent);
  }, re.source);
  return page.textContent('#toast');
}

(async () => {
  // 401 before login, and the 409/422 the test provokes on purpose.
  const { ctx, page, pageErrors, userDataDir } = await openPage({ height: 800, allowedStatus: /401|409|422/ });
  try {
    // 1. Login; the Tenants tab is there because the console has --fleet.
    await page.goto(URL);
    await page.fill('#login-user', env('CONSOLE_USER'));
    await page.fill('#login-password', env('CONSOLE_PASSWORD'));
    await page.click('#login-submit');
    await page.locator('#tabs').waitFor();
    await page.click('#tab-tenants');
    await page.locator(row('agent.zy_orders') + '[data-state="running"]').waitFor();
    await page.locator(row('agent.zy_cache') + '[data-state="failed"]').waitFor();
    assert.match(await page.textContent(row('agent.zy_cache') + ' .reason'), /image .* not found/);
    assert.match(await page.textContent(row('agent.zy_orders') + ' .limits'), /256 MB · 1 CPU · 1 replica · everysec/);
    assert.equal(await page.textContent(row('agent.zy_orders') + ' .used'), '131.0 MB / 192.0 MB');
    assert.equal(await page.textContent(row('agent.zy_orders') + ' .clients'), '12 clients');
    assert.equal(await page.locator(row('agent.zy_cache') + ' button.action-scale').isDisabled(), true);
    assert.match(await page.textContent('#tenants-unmanaged'),
      /^1 container with a tenant label but no record \(left alone by the fleet\): suma-agent\.zy_old-primary \(agent\.zy_old, exited\)$/);

    // 2. Buy a tenant: form, confirmation, the password shown once.
    await page.click('#tenant-new');
    await page.fill('#tf-owner', 'agent.zy');
    await page.fill('#tf-business', 'test');
    await page.fill('#tf-memory', '128');
    await page.fill('#tf-cpus', '0.5');
    await page.selectOption('#tf-replicas', '1');
    await page.selectOption('#tf-persistence', 'always');
    assert.equal(await page.textContent('#tf-name'), 'agent.zy_test');
    await shot(page, 'tenant-create', false);
    await page.click('#tf-submit');
    await confirm(page, /Buy agent\.zy_test\?/, /128 MB, 0\.5 CPU, 1 replica\(s\), appendfsync always/);
    await page.locator('#tenant-secret').waitFor({ state: 'visible' });
    const password = await page.textContent('#ts-password');
    assert.ok(password.length >= 16, password);
    assert.match(await page.textContent('#ts-cli'), new RegExp(`redis-cli -u 'redis://default:${password.replace(/[-_]/g, '.')}@127\\.0\\.0\\.1:\\d+' PING`));
    await shot(page, 'tenant-password', false);
    await page.click('#ts-close');
    assert.equal(await page.textContent('#ts-password'), '');
    const created = await fleetTenant('agent.zy_test');
    assert.deepEqual(created.spec, { memory_mb: 128, cpus: 0.5, replicas: 1, persistence: 'always' });
    await page.locator(row('agent.zy_test') + '[data-state="creating"]').waitFor();
    await page.locator(row('agent.zy_test') + '[data-state="running"]').waitFor();
    assert.match(await page.textContent(row('agent.zy_test') + ' .conn'), /^redis:\/\/default@127\.0\.0\.1:\d+$/);
    assert.match(await page.textContent(row('agent.zy_test') + ' .clients'), /^1 client$/);
    await shot(page, 'tenants');

    // 3. An overlapping change is refused: someone else scales orders while the form is open.
    await page.click(row('agent.zy_orders') + ' button.action-scale');
    await page.fill('#tf-memory', '512');
    assert.equal((await fleet('/v1/tenants/agent.zy_orders/scale', 'POST', { cpus: 2 })).status, 202);
    await page.click('#tf-submit');
    await confirm(page, /Scale agent\.zy_orders\?/, /memory: 256 MB → 512 MB/);
    assert.match(await toastText(page, /Scale failed/), /Scale failed: agent\.zy_orders: a scale is running/);
    await page.locator(row('agent.zy_orders') + '[data-state="running"]').waitFor();
    assert.equal((await fleetTenant('agent.zy_orders')).spec.memory_mb, 256);

    // 4. Over the quota: the fleet's 422 message shows in the form, nothing is created.
    await page.click('#tenant-new');
    await page.fill('#tf-owner', 'agent.zy');
    await page.fill('#tf-business', 'huge');
    await page.fill('#tf-memory', '4096');
    await page.click('#tf-submit');
    await confirm(page, /Buy agent\.zy_huge\?/);
    await page.locator('#tf-error').waitFor();
    assert.match(await page.textContent('#tf-error'), /quota of 1024 MB/);
    await page.click('#tf-cancel');
    assert.equal((await fleet('/v1/tenants/agent.zy_huge')).status, 404);

    // 5. Scale the new tenant.
    await page.click(row('agent.zy_test') + ' button.action-scale');
    assert.equal(await page.locator('#tf-owner').isDisabled(), true);
    await page.fill('#tf-memory', '256');
    await page.selectOption('#tf-replicas', '2');
    await page.click('#tf-submit');
    await confirm(page, /Scale agent\.zy_test\?/, /memory: 128 MB → 256 MB\nreplicas: 1 → 2/);
    await page.locator(row('agent.zy_test') + '[data-state="changing"]').waitFor();
    await page.locator(row('agent.zy_test') + '[data-state="running"]').waitFor();
    assert.match(await page.textContent(row('agent.zy_test') + ' .limits'), /256 MB · 0\.5 CPU · 2 replicas · always/);
    assert.deepEqual((await fleetTenant('agent.zy_test')).spec, { memory_mb: 256, cpus: 0.5, replicas: 2, persistence: 'always' });

    // 6. New password.
    await page.click(row('agent.zy_test') + ' button.action-credentials');
    await confirm(page, /new password/);
    await page.locator('#tenant-secret').waitFor({ state: 'visible' });
    const second = await page.textContent('#ts-password');
    assert.ok(second.length >= 16 && second !== password);
    await page.click('#ts-close');

    // 7. Delete with purge, and without.
    await page.click(row('agent.zy_test') + ' button.action-delete');
    await page.locator('#tenant-delete').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#td-title'), /Delete agent\.zy_test\?/);
    await page.check('#td-purge');
    await shot(page, 'tenant-delete', false);
    await page.click('#td-ok');
    await page.locator(row('agent.zy_test')).waitFor({ state: 'detached' });
    await page.click(row('agent.zy_cache') + ' button.action-delete');
    await page.click('#td-ok');
    await page.locator(row('agent.zy_cache')).waitFor({ state: 'detached' });
    const deletes = (await fleetRequests()).filter((r) => r.method === 'DELETE').map((r) => r.path);
    assert.deepEqual(deletes, ['/v1/tenants/agent.zy_test?purge=1', '/v1/tenants/agent.zy_cache']);
    // Every call reached the fleet with the console's token, none with the page's cookie.
    for (const r of await fleetRequests()) {
      if (r.path.startsWith('/v1/')) {
        assert.equal(r.headers.Authorization, 'Bearer ' + TOKEN);
        assert.equal(r.headers.Cookie, undefined);
      }
    }
    // The page never saw the token.
    assert.equal(await page.evaluate((t) => document.documentElement.outerHTML.includes(t), TOKEN), false);

    assert.deepEqual(pageErrors, []);
    console.log('TENANTS BROWSER TEST PASSED');
  } catch (e) {
    await shot(page, 'tenants-failure').catch(() => {});
    console.error('page errors:', pageErrors);
    throw e;
  } finally {
    await ctx.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
