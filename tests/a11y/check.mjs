// Checks every public page as outside checkers and visitors would: axe-core (WCAG 2.1 A and AA rules)
// in headless Chromium, keyboard access to the skip link, no sideways scrolling on a phone, and HTML
// validity with the Nu HTML Checker. The pages come from the site's own sitemap, plus error pages.
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
if (!base) {
  console.error('usage: node check.mjs BASE_URL [SCREENSHOT_DIR]');
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
let passed = 0;
const htmlDir = mkdtempSync(join(tmpdir(), 'skl-html-'));
const htmlFiles = [];

try {
  // The site's CSP rightly forbids inline scripts, axe's included; the pages are checked with it lifted.
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const phone = await browser.newPage({ viewport: { width: 360, height: 740 } });
  for (const [index, path] of [...pages, ...errorPages].entries()) {
    const problems = [];
    const response = await desktop.goto(base + path);
    const expectOk = !errorPages.includes(path);
    if (expectOk && response.status() !== 200) problems.push(`status ${response.status()}`);

    const file = join(htmlDir, `page-${index}.html`);
    writeFileSync(file, await response.text());
    htmlFiles.push([file, path]);

    await desktop.addScriptTag({ content: axeSource });
    const results = await desktop.evaluate(() =>
      window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    for (const violation of results.violations) {
      const where = violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', ');
      problems.push(`axe ${violation.id} (${violation.impact}): ${violation.help} at ${where}`);
    }

    await desktop.keyboard.press('Tab');
    const skip = await desktop.evaluate(() => {
      const el = document.activeElement;
      const box = el.getBoundingClientRect();
      return { cls: el.className, href: el.getAttribute('href'), visible: box.top >= 0 && box.height > 0 };
    });
    if (skip.cls !== 'skip-link' || skip.href !== '#content' || !skip.visible) {
      problems.push(`the first Tab does not reach a visible skip link: ${JSON.stringify(skip)}`);
    }

    await phone.goto(base + path);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) problems.push(`scrolls sideways by ${overflow}px on a 360px screen`);

    if (screenshots && index === 0) {
      await desktop.screenshot({ path: join(screenshots, 'home-desktop.png'), fullPage: true });
      await phone.screenshot({ path: join(screenshots, 'home-phone.png'), fullPage: true });
    }
    if (problems.length) failures.push([path, problems]);
    else passed += 1;
  }
} finally {
  await browser.close();
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
console.log(`a11y: ${pages.length + errorPages.length - failedPages} passed, ${failedPages} failed`);
process.exit(failures.length ? 1 : 0);
