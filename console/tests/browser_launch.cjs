// Headless Debian chromium for the console's browser tests, with the flags
// this closed network needs, and a list that collects page errors.
// openPage({ height, allowedStatus }) -> { ctx, page, pageErrors, userDataDir }:
// console errors about HTTP statuses matching allowedStatus (a RegExp of the
// ones a test provokes on purpose, e.g. /401|409/) are not page errors.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function openPage({ height, allowedStatus }) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suma-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const allowed = new RegExp('status of (' + allowedStatus.source + ')');
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowed.test(m.text())) pageErrors.push(m.text());
  });
  return { ctx, page, pageErrors, userDataDir };
}

module.exports = { openPage };
