// Checks every page as outside checkers and visitors would: axe-core (WCAG 2.1 A and AA rules) in
// headless Chromium, keyboard access to the skip link, no sideways scrolling on a phone, and HTML
// validity with the Nu HTML Checker. The public pages come from the site's own sitemap, plus error
// pages; with the setup link, every admin screen is reached through its forms and checked too.
//
//   node check.mjs http://127.0.0.1:3000 [screenshot-folder]
//
// Exits non-zero when anything fails; run.sh starts a server and calls this.

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const base = process.argv[2];
const screenshots = process.argv[3];
// The server's one-time setup link, from its log: with it the admin screens are checked too.
const setupLink = process.env.SKL_SETUP_LINK || '';
if (!base) {
  console.error('usage: [SKL_SETUP_LINK=…] node check.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}

const sitemap = await (await fetch(`${base}/sitemap.xml`)).text();
const pages = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname + new URL(m[1]).search);
const errorPages = ['/finns-inte', '/en/does-not-exist', '/nyheter?page=abc'];
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const failures = [];
let checked = 0;
const htmlDir = mkdtempSync(join(tmpdir(), 'skl-html-'));
const htmlFiles = [];

/// Checks the page `page` shows now, which `response` brought: axe, the first Tab (or, on a form
/// that came back with problems, focus on its error summary), sideways scrolling at 360 px, and the
/// HTML for the Nu checker. `label` names it in the report.
async function check(page, response, label, { status = 200, focusSummary = false } = {}) {
  const problems = [];
  checked += 1;
  if (response.status() !== status) problems.push(`status ${response.status()}, expected ${status}`);
  const file = join(htmlDir, `page-${checked}.html`);
  writeFileSync(file, await response.text());
  htmlFiles.push([file, label]);

  if (focusSummary) {
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (focused !== 'error-summary') problems.push(`focus is on ${focused}, not the error summary`);
  } else {
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const el = document.activeElement;
      const box = el.getBoundingClientRect();
      return { cls: el.className, href: el.getAttribute('href'), visible: box.top >= 0 && box.height > 0 };
    });
    if (skip.cls !== 'skip-link' || skip.href !== '#content' || !skip.visible) {
      problems.push(`the first Tab does not reach a visible skip link: ${JSON.stringify(skip)}`);
    }
  }

  await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const violation of results.violations) {
    const where = violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', ');
    problems.push(`axe ${violation.id} (${violation.impact}): ${violation.help} at ${where}`);
  }

  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) {
    const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`));
    problems.push(`scrolls sideways by ${overflow}px on a 360px screen (widest: ${culprits.join(', ')})`);
  }
  if (screenshots && shots[label]) {
    await page.screenshot({ path: join(screenshots, `${shots[label]}-phone.png`), fullPage: true });
  }
  await page.setViewportSize(size);
  if (screenshots && shots[label]) {
    await page.screenshot({ path: join(screenshots, `${shots[label]}-desktop.png`), fullPage: true });
  }
  if (problems.length) failures.push([label, problems]);
}

/// Clicks `selector` and returns the response of the page it leads to.
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

const shots = { '/': 'home', '/om-oss': 'content-page', '/finns-inte': 'not-found', 'admin: edit': 'edit-page' };

try {
  // The site's CSP rightly forbids inline scripts, axe's included; the pages are checked with it lifted.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  for (const path of pages) {
    await check(page, await page.goto(base + path), path);
  }
  for (const path of errorPages) {
    const status = path.includes('?') ? 400 : 404;
    await check(page, await page.goto(base + path), path, { status });
  }

  if (setupLink) {
    await checkAdmin(context, page);
  }
} finally {
  await browser.close();
}

/// Every admin screen, reached as an editor would: the setup link, then the forms.
async function checkAdmin(context, page) {
  const password = 'ett långt lösenord för granskningen';
  await check(page, await page.goto(setupLink), 'admin: setup');
  await page.fill('#username', 'kontroll');
  await page.fill('#display_name', 'Kontroll');
  await page.fill('#password', password);
  await page.fill('#password2', password);
  await check(page, await submit(page, 'button[type=submit]'), 'admin: page list');

  const anonymous = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const visitor = await anonymous.newPage();
  await check(visitor, await visitor.goto(`${base}/admin/login`), 'admin: login');
  await visitor.fill('#username', 'kontroll');
  await visitor.fill('#password', 'fel lösenord, helt fel');
  await check(visitor, await submit(visitor, 'button[type=submit]'), 'admin: failed login', { status: 401, focusSummary: true });
  await anonymous.close();

  await check(page, await page.goto(`${base}/admin/pages/new`), 'admin: new page');
  await page.fill('#title', 'Kontrollsida');
  await page.fill('#path', 'Fel Adress');
  await check(page, await submit(page, 'button[value=publish]'), 'admin: form with errors', { status: 400, focusSummary: true });
  await page.fill('#path', 'kontrollsida');
  await page.fill('#body', '## Inledning\n\nFörsta versionen av texten.');
  const created = await submit(page, 'button[value=publish]');
  await check(page, created, 'admin: edit');
  const editUrl = page.url().split('?')[0];
  const id = editUrl.split('/').pop();

  await page.fill('#body', '## Inledning\n\nAndra versionen av texten.');
  await submit(page, 'button[value=publish]');
  await check(page, await page.goto(`${base}/admin/pages/${id}/preview`), 'admin: preview');
  await check(page, await page.goto(`${base}/admin/pages/${id}/history`), 'admin: history');
  await check(page, await submit(page, '#compare-form button[type=submit]'), 'admin: diff');

  // Two tabs edit the page; the second save meets the first.
  const other = await context.newPage();
  await other.goto(editUrl);
  await page.goto(editUrl);
  await page.fill('#body', 'Text från den första fliken.');
  await submit(page, 'button[value=publish]');
  await other.fill('#body', 'Text från den andra fliken.');
  await check(other, await submit(other, 'button[value=publish]'), 'admin: conflict', { status: 409, focusSummary: true });
  await other.close();

  await page.goto(editUrl);
  await submit(page, 'form[action$="/trash"] button');
  await check(page, await page.goto(`${base}/admin/trash`), 'admin: trash');
  await check(page, await page.goto(`${base}/admin/pages/${id}/delete`), 'admin: delete');
  await check(page, await page.goto(`${base}/admin/users`), 'admin: users');
  await check(page, await page.goto(`${base}/admin/audit`), 'admin: audit');
  await check(page, await page.goto(`${base}/admin/account`), 'admin: account');
}

// The Nu HTML Checker refuses loopback URLs, so it checks the saved files, all in one JVM start.
const vnu = require.resolve('vnu-jar/build/dist/vnu.jar');
let report = '';
try {
  execFileSync('java', ['-jar', vnu, '--format', 'json', ...htmlFiles.map(([file]) => file)], { stdio: 'pipe' });
} catch (error) {
  report = error.stderr.toString();
}
if (report) {
  for (const message of JSON.parse(report).messages.filter((m) => m.type === 'error')) {
    const path = htmlFiles.find(([file]) => message.url.endsWith(file))?.[1] ?? message.url;
    failures.push([path, [`HTML: ${message.message} (line ${message.lastLine})`]]);
  }
}

for (const [path, problems] of failures) {
  console.log(`FAIL ${path}`);
  for (const problem of problems) console.log(`  - ${problem}`);
}
const failedPages = new Set(failures.map(([path]) => path)).size;
console.log(`a11y: ${checked - failedPages} of ${checked} pages passed, ${failedPages} failed`);
process.exit(failures.length ? 1 : 0);
