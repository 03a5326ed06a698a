// The governance dashboard in a real browser: Debian's chromium, headless, driven by puppeteer-core (which
// never downloads a browser). Loads every page of a site written by `modelguard report` through file://
// and checks what a reader sees:
// - the checklist's answers, organisation-wide and per model, against EXPECTED_JSON;
// - the summary counts and the row counts EXPECTED_JSON lists per page;
// - every internal link resolves to a page of the site, and every #fragment to an element of that page;
// - no console error or warning (a Content-Security-Policy violation is one), no page error, no failed request,
//   no request that leaves file:// (the site must be self-contained);
// - the script's sorting and filtering work, and with JavaScript disabled every table is still complete;
// - accessibility basics: lang, one h1, a caption on every table, scope on every header cell of a thead;
// - screenshots (JavaScript on and off) are written to SCREENSHOT_DIR and are non-empty PNG images.
// Usage: node dashboard_browser.js SITE_DIR EXPECTED_JSON SCREENSHOT_DIR   (NODE_PATH holds puppeteer-core)
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');
const puppeteer = require('puppeteer-core');

const [siteDir, expectedFile, shotDir] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!siteDir || !expectedFile || !shotDir) {
  console.error('usage: node dashboard_browser.js SITE_DIR EXPECTED_JSON SCREENSHOT_DIR');
  process.exit(2);
}
const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
fs.mkdirSync(shotDir, { recursive: true });

let passed = 0;
const failures = [];
function check(ok, what) {
  if (ok) passed++;
  else failures.push(what);
}
function equal(got, want, what) {
  check(JSON.stringify(got) === JSON.stringify(want), `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// Every .html file of the site, as file:// URLs.
function sitePages() {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.html')) out.push(pathToFileURL(full).href);
    }
  };
  walk(siteDir);
  return out.sort();
}

function checkPng(file, what) {
  const bytes = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
  const magic = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  check(bytes.length > 2000 && bytes.subarray(0, 8).equals(magic), `${what}: ${file} is not a non-empty PNG (${bytes.length} bytes)`);
  if (bytes.length > 24) {
    const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
    check(width > 100 && height > 100, `${what}: screenshot is ${width}x${height}`);
  }
}

async function openPage(browser, url, javascript, problems) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.setJavaScriptEnabled(javascript);
  const where = path.relative(siteDir, fileURLToPath(url)) + (javascript ? '' : ' (no JS)');
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn' || message.type() === 'warning')
      problems.push(`${where}: console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${where}: page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`${where}: request failed: ${request.url()}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) problems.push(`${where}: request outside the site: ${request.url()}`);
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  check(response === null || response.ok(), `${where}: loading failed`);
  return page;
}

// What the checks read from a page, in one evaluation.
function readPage() {
  const text = (el) => (el ? el.textContent.trim() : null);
  const answers = (selector) => {
    const out = {};
    for (const row of document.querySelectorAll(selector + ' tbody tr[data-question]'))
      out[row.getAttribute('data-question')] = {
        data: row.getAttribute('data-answer'),
        shown: text(row.querySelector('.badge')),
        links: Array.from(row.querySelectorAll('td a')).map((a) => a.getAttribute('href')),
        missing: row.cells[4] ? text(row.cells[4]) : '',
      };
    return out;
  };
  const counts = {};
  for (const li of document.querySelectorAll('[data-count]'))
    counts[li.getAttribute('data-count')] = Number(text(li.querySelector('strong')));
  const tables = Array.from(document.querySelectorAll('table')).map((t) => ({
    id: t.id,
    caption: text(t.querySelector('caption')),
    rows: t.tBodies.length ? t.tBodies[0].rows.length : 0,
    visibleRows: t.tBodies.length
      ? Array.from(t.tBodies[0].rows).filter((r) => r.offsetParent !== null || r.getClientRects().length > 0).length
      : 0,
    unscoped: Array.from(t.querySelectorAll('thead th')).filter((th) => !th.getAttribute('scope')).length,
  }));
  return {
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    h1: Array.from(document.querySelectorAll('h1')).map((h) => text(h)),
    ids: Array.from(document.querySelectorAll('[id]')).map((e) => e.id),
    links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
    org: answers('#org-checklist'),
    model: answers('#model-checklist'),
    counts,
    tables,
    signature: document.getElementById('signature-status') && document.getElementById('signature-status').getAttribute('data-status'),
    bom: document.getElementById('bom-status') && document.getElementById('bom-status').getAttribute('data-status'),
    filtersShown: Array.from(document.querySelectorAll('form.filter')).filter((f) => !f.hidden).length,
    filters: document.querySelectorAll('form.filter').length,
    sortButtons: document.querySelectorAll('button.sort').length,
  };
}

function checkAnswers(got, want, what) {
  for (const [question, answer] of Object.entries(want)) {
    const row = got[question];
    check(row !== undefined, `${what}: no row for question ${question}`);
    if (!row) continue;
    equal(row.data, answer, `${what} ${question} (data-answer)`);
    equal(row.shown, answer, `${what} ${question} (shown)`);
    // An answer other than yes or not-applicable says what is missing.
    if (answer === 'no' || answer === 'partial')
      check(row.missing && row.missing !== 'nothing', `${what} ${question}: ${answer} without saying what is missing`);
  }
  equal(Object.keys(got).length, Object.keys(want).length, `${what}: number of questions`);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []), '--disable-gpu',
           '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
  });
  const problems = [];
  const pages = sitePages();
  const index = pathToFileURL(path.join(siteDir, 'index.html')).href;
  check(pages.includes(index), 'index.html exists');
  const seen = {};  // url -> readPage() result
  try {
    // Pass 1: JavaScript on. Every page of the site (and so every page a link reaches).
    for (const url of pages) {
      const page = await openPage(browser, url, true, problems);
      const info = await page.evaluate(readPage);
      seen[url] = info;
      const name = path.relative(siteDir, fileURLToPath(url));
      equal(info.lang, 'en', `${name}: lang`);
      equal(info.ids.filter((id, i) => info.ids.indexOf(id) !== i), [], `${name}: duplicate ids`);
      equal(info.h1.length, 1, `${name}: one h1`);
      check(info.title.length > 0, `${name}: a title`);
      for (const t of info.tables) {
        check(t.caption && t.caption.length > 0, `${name}: table ${t.id || '(no id)'} has a caption`);
        equal(t.unscoped, 0, `${name}: table ${t.id || '(no id)'} header cells without scope`);
      }
      equal(info.filtersShown, info.filters, `${name}: the script shows the filters`);
      if (name === 'index.html' || name === 'inventory.html' || name.startsWith('models/')) {
        const shot = path.join(shotDir, name.replace(/[\/]/g, '_').replace(/\.html$/, '.png'));
        await page.screenshot({ path: shot, fullPage: true });
        checkPng(shot, `${name} screenshot`);
      }
      // Sorting: a click orders the rows and marks the column.
      if (name === 'inventory.html') {
        check(info.sortButtons > 0, 'inventory.html: sort buttons');
        await page.click('#assets thead th:nth-child(1) button.sort');
        const order = await page.evaluate(() => ({
          sort: document.querySelector('#assets thead th:nth-child(1)').getAttribute('aria-sort'),
          kinds: Array.from(document.querySelectorAll('#assets tbody tr')).map((r) => r.cells[0].textContent.trim()),
        }));
        equal(order.sort, 'ascending', 'inventory.html: aria-sort after a click');
        equal(order.kinds, [...order.kinds].sort((a, b) => a.localeCompare(b)), 'inventory.html: rows sorted by kind');
        // Filtering: status "shadow" leaves the shadow assets.
        await page.select('form.filter[data-table=assets] select[data-key=status]', 'shadow');
        const shown = await page.evaluate(
            () => Array.from(document.querySelectorAll('#assets tbody tr')).filter((r) => !r.hidden).length);
        equal(shown, expected.counts.shadow, 'inventory.html: rows left by the "shadow" filter');
        await page.type('form.filter[data-table=assets] input[type=search]', 'notebooks');
        const searched = await page.evaluate(
            () => Array.from(document.querySelectorAll('#assets tbody tr')).filter((r) => !r.hidden).length);
        equal(searched, expected.notebook_shadow_assets, 'inventory.html: rows left by a text search');
      }
      await page.close();
    }

    // Links: every link inside the site reaches a page of it, and its fragment an element there.
    for (const [url, info] of Object.entries(seen)) {
      const name = path.relative(siteDir, fileURLToPath(url));
      for (const link of info.links) {
        check(link.startsWith('file://'), `${name}: link outside the site: ${link}`);
        if (!link.startsWith('file://')) continue;
        const target = new URL(link);
        const fragment = decodeURIComponent(target.hash.slice(1));
        target.hash = '';
        const page = seen[target.href];
        check(page !== undefined, `${name}: link to a missing page: ${link}`);
        if (page && fragment) check(page.ids.includes(fragment), `${name}: link to a missing anchor: ${link}`);
      }
    }

    // The organisation's checklist and counts.
    const home = seen[index];
    checkAnswers(home.org, expected.organisation, 'organisation');
    for (const [key, value] of Object.entries(expected.counts)) equal(home.counts[key], value, `count ${key}`);
    // Answers link to evidence on the model pages (checked above to resolve).
    const evidenceLinks = Object.values(home.org).flatMap((row) => row.links).filter((l) => l.includes('#evidence-'));
    check(evidenceLinks.length >= expected.min_org_evidence_links,
          `organisation checklist links ${evidenceLinks.length} evidence items, want at least ${expected.min_org_evidence_links}`);

    // Each model's page: found from the index, its answers, signature and BOM status.
    const modelsTable = home.tables.find((t) => t.id === 'models-table');
    equal(modelsTable && modelsTable.rows, Object.keys(expected.models).length, 'models in the register table');
    for (const [model, want] of Object.entries(expected.models)) {
      const url = Object.keys(seen).find((u) => u.includes('/models/') && seen[u].h1[0] === `Model ${model}`);
      check(url !== undefined, `a page for model ${model}`);
      if (!url) continue;
      checkAnswers(seen[url].model, want.answers, `model ${model}`);
      if (want.signature) equal(seen[url].signature, want.signature, `model ${model} signature status`);
      if (want.bom) equal(seen[url].bom, want.bom, `model ${model} BOM status`);
      const evidence = seen[url].tables.find((t) => t.id === 'evidence-table');
      equal(evidence && evidence.rows, want.evidence, `model ${model} evidence rows`);
      for (const row of Object.values(seen[url].model))
        for (const link of row.links) check(link.startsWith('#evidence-') || link.startsWith('../'), `model ${model}: answer link ${link}`);
    }

    // Row counts per page and table.
    for (const [file, tables] of Object.entries(expected.tables)) {
      const info = seen[pathToFileURL(path.join(siteDir, file)).href];
      check(info !== undefined, `page ${file}`);
      if (!info) continue;
      for (const [id, rows] of Object.entries(tables)) {
        const t = info.tables.find((x) => x.id === id);
        equal(t && t.rows, rows, `${file} #${id} rows`);
      }
    }

    // Pass 2: JavaScript off. Every table is complete and visible; the filters (script-only) stay hidden.
    for (const url of pages) {
      const page = await openPage(browser, url, false, problems);
      const info = await page.evaluate(readPage);
      const name = path.relative(siteDir, fileURLToPath(url));
      equal(info.filtersShown, 0, `${name} (no JS): filters hidden`);
      equal(info.sortButtons, 0, `${name} (no JS): no sort buttons`);
      equal(info.tables.length, seen[url].tables.length, `${name} (no JS): tables`);
      for (const t of info.tables) equal(t.visibleRows, t.rows, `${name} (no JS): table ${t.id} rows visible`);
      if (name === 'index.html') {
        checkAnswers(info.org, expected.organisation, 'organisation (no JS)');
        const shot = path.join(shotDir, 'index-nojs.png');
        await page.screenshot({ path: shot, fullPage: true });
        checkPng(shot, 'index.html (no JS) screenshot');
      }
      if (name === 'inventory.html') {
        const assets = info.tables.find((t) => t.id === 'assets');
        equal(assets && assets.visibleRows, expected.tables['inventory.html'].assets, 'inventory.html (no JS): all assets shown');
        const shot = path.join(shotDir, 'inventory-nojs.png');
        await page.screenshot({ path: shot, fullPage: true });
        checkPng(shot, 'inventory.html (no JS) screenshot');
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  for (const p of problems) failures.push(p);
  for (const f of failures) console.log('FAIL ' + f);
  console.log(`${passed} passed, ${failures.length} failed (${pages.length} pages, screenshots in ${shotDir})`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
  console.error('FAIL ' + (error && error.stack ? error.stack : error));
  process.exit(1);
});
