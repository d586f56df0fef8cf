// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// clicks through the console: login, drain, publish, roll back, restore, and
// an outside change arriving over the live feed. After each action it checks
// that the page and the server (read with redis-cli) agree, and saves
// screenshots to SHOT_DIR. Run by run_browser_test.py, which starts the servers.
'use strict';
const { openPage } = require('./browser_launch.cjs');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const assert = require('assert/strict');

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(k + ' is not set'); return v; };
const URL = env('CONSOLE_URL');
const REDIS_PORT = env('REDIS_PORT');
const GROUP = env('GROUP');
const SHOTS = env('SHOT_DIR');
const timings = {};

// One sumavlib command through redis-cli, reply as JSON (RESP2 shapes).
function redis(...args) {
  const out = execFileSync('redis-cli', ['-2', '--json', '-p', REDIS_PORT, ...args], { encoding: 'utf8' });
  return JSON.parse(out);
}
const vipInfo = (vip) => {
  const a = redis('sumavlib.suma_vip_info', GROUP, vip);
  return { state: a[1], drained: a[7] };
};

// Dialogs are shot as the viewport shows them (the overlay covers the viewport only).
async function shot(page, name, fullPage = true) {
  const file = path.join(SHOTS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  console.log('screenshot', file);
}

async function timed(name, fn) {
  const t0 = Date.now();
  const r = await fn();
  timings[name] = Date.now() - t0;
  return r;
}

async function hostState(page, vip) {
  return page.locator(`#hosts tr[data-vip="${vip}"]`).getAttribute('data-state');
}

async function confirm(page, expectText, shotName) {
  const dlg = page.locator('#confirm');
  await dlg.waitFor({ state: 'visible' });
  assert.match(await page.locator('#confirm-text').textContent(), expectText);
  if (shotName) await shot(page, shotName, false);
  await page.click('#confirm-ok');
  await dlg.waitFor({ state: 'hidden' });
}

(async () => {
  // 401s are expected (the page asks /api/me before login; one wrong password).
  const { ctx, page, pageErrors, userDataDir } = await openPage({ height: 900, allowedStatus: /401/ });
  try {
    // 1. Login: wrong password is refused, the right one gets in.
    await timed('first_paint_ms', () => page.goto(URL));
    await page.locator('#login-form').waitFor();
    await page.fill('#login-user', env('CONSOLE_USER'));
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    await page.locator('#login-error').waitFor();
    await shot(page, 'login');
    await page.fill('#login-password', env('CONSOLE_PASSWORD'));
    await timed('login_to_groups_ms', async () => {
      await page.click('#login-submit');
      await page.locator(`#group-list button[data-group="${GROUP}"]`).waitFor();
    });
    // The session cookie is HttpOnly: page scripts cannot see it.
    assert.equal(await page.evaluate(() => document.cookie), '');

    // 2. The group: hosts, leader and epoch agree with the server.
    await timed('group_render_ms', async () => {
      await page.click(`#group-list button[data-group="${GROUP}"]`);
      await page.locator('#hosts tbody tr').first().waitFor();
    });
    await page.locator('#feed-state.on').waitFor();
    const serverHosts = redis('sumavlib.suma_vip_list', GROUP).sort();
    const pageHosts = (await page.locator('#hosts tbody tr[data-state="live"]').evaluateAll(
      (rows) => rows.map((r) => r.dataset.vip))).sort();
    assert.deepEqual(pageHosts, serverHosts);
    const leader = redis('sumavlib.suma_leader_info', GROUP);
    assert.equal(await page.textContent('#leader-vip'), leader[1]);
    assert.equal(await page.textContent('#leader-epoch'), String(leader[3]));
    await shot(page, 'group');

    // 3. Drain a follower, with confirmation; page and server agree.
    const victim = serverHosts.find((v) => v !== leader[1]);
    await page.click(`#hosts tr[data-vip="${victim}"] button.action-drain`);
    await confirm(page, new RegExp(`Drain ${victim.replace(/[.]/g, '\\.')}`), 'confirm-drain');
    await timed('drain_to_page_ms', () => page.locator(`#hosts tr[data-vip="${victim}"][data-state="drained"]`).waitFor());
    assert.deepEqual(vipInfo(victim), { state: 'drained', drained: 1 });
    assert.ok(!redis('sumavlib.suma_vip_list', GROUP).includes(victim));
    await page.locator(`#drained-list li[data-vip="${victim}"]`).waitFor();
    await page.locator(`#events li[data-type="kill"]`).first().waitFor();  // via the live feed
    await shot(page, 'drained');

    // 4. Publish a new version of a config, with confirmation. Versions are the
    // server's (large, increasing), so each is read back from it.
    const v1 = redis('sumavlib.suma_diamond_get', GROUP, 'db.url')[1];
    assert.equal(await page.getAttribute('#configs tr[data-key="db.url"]', 'data-version'), String(v1));
    await page.click('#configs tr[data-key="db.url"] button.action-edit');
    assert.equal(await page.inputValue('#publish-key'), 'db.url');
    await page.fill('#publish-value', 'mysql://db-2:3306/app');
    await page.click('#publish-submit');
    await confirm(page, /Publish db\.url/, 'confirm-publish');
    await timed('publish_to_page_ms', () => page.locator(`#configs tr[data-key="db.url"]:not([data-version="${v1}"])`).waitFor());
    let got = redis('sumavlib.suma_diamond_get', GROUP, 'db.url');
    const v2 = got[1];
    assert.ok(v2 > v1, `version ${v2} after ${v1}`);
    assert.deepEqual(got.slice(0, 2), ['mysql://db-2:3306/app', v2]);
    assert.equal(await page.getAttribute('#configs tr[data-key="db.url"]', 'data-version'), String(v2));
    assert.equal(await page.textContent('#configs tr[data-key="db.url"] pre'), 'mysql://db-2:3306/app');
    await page.locator('#events li[data-type="diamond"]').first().waitFor();
    await shot(page, 'published');

    // 5. Roll back to the first version from the history.
    await page.click('#configs tr[data-key="db.url"] button.action-history');
    await page.locator(`#history-table tr[data-version="${v1}"]`).waitFor();
    await shot(page, 'history', false);
    await page.click(`#history-table tr[data-version="${v1}"] button.action-rollback`);
    await confirm(page, new RegExp(`Roll db\\.url back to v${v1}\\?`));
    await page.locator(`#configs tr[data-key="db.url"]:not([data-version="${v1}"]):not([data-version="${v2}"])`).waitFor();
    got = redis('sumavlib.suma_diamond_get', GROUP, 'db.url');
    const v3 = got[1];
    assert.ok(v3 > v2, `version ${v3} after ${v2}`);
    const first = redis('sumavlib.suma_diamond_history', GROUP, 'db.url').find((h) => h[0] === v1);
    assert.deepEqual(got.slice(0, 2), [first[2], v3]);
    assert.equal(await page.getAttribute('#configs tr[data-key="db.url"]', 'data-version'), String(v3));

    // 6. Restore the drained host.
    await page.click(`#hosts tr[data-vip="${victim}"] button.action-restore`);
    await confirm(page, /Restore traffic/);
    await page.locator(`#hosts tr[data-vip="${victim}"][data-state="live"]`).waitFor();
    assert.deepEqual(vipInfo(victim), { state: 'live', drained: 0 });

    // 7. A change made elsewhere reaches the open page through the event feed.
    const other = serverHosts.find((v) => v !== leader[1] && v !== victim) || victim;
    const t0 = Date.now();
    redis('sumavlib.suma_vip_kill', GROUP, other);
    await page.locator(`#hosts tr[data-vip="${other}"][data-state="drained"]`).waitFor();
    timings.outside_change_to_page_ms = Date.now() - t0;
    redis('sumavlib.suma_vip_reset', GROUP, other);
    await page.locator(`#hosts tr[data-vip="${other}"][data-state="live"]`).waitFor();
    await page.locator('#events li[data-type="reset"]').first().waitFor();
    await shot(page, 'overview');

    assert.deepEqual(pageErrors, []);
    console.log('timings (measured, not asserted):', JSON.stringify(timings));
    console.log('BROWSER TEST PASSED');
  } catch (e) {
    await shot(page, 'failure').catch(() => {});
    console.error('page errors:', pageErrors);
    throw e;
  } finally {
    await ctx.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
