// Browser test of the care panel's forms (林长制 · 护林, issue 16): a case officer draws a care
// area with the zone check's tool and saves it (a taken code refused in Chinese first), assigns
// rangers to it (before the contract: refused naming the contract; a second ranger in the same
// period: refused naming the assignment) and sees its history, reports an incident with a photo
// from a ranger's page and sees its point and popup, and opens the ranger pay roll's
// reconciliation.
//
// internal/httpapi/web_care2_test.go builds the grid, area A (王护林's), the two rangers, starts
// the server and runs this with:
//   ECOCOMP_URL, ECOCOMP_OFFICER           the server; user:password of a case officer
//   ECOCOMP_RANGER, ECOCOMP_RANGER2        王护林 (area A) and 李巡山 (no area)
//   ECOCOMP_MONTH                          this month (yyyy-mm, UTC+8)
//   ECOCOMP_CONTRACT_FROM, _CONTRACT_TO    both rangers' contract
//   ECOCOMP_RING                           the outline of D to draw (lon/lat ring, JSON)
//   ECOCOMP_INCIDENT_AT                    the incident's place (lon/lat, JSON), the middle of A
//   ECOCOMP_PHOTO                          a small PNG
//   ECOCOMP_ARTIFACTS, CHROMIUM            screenshots (default web/test/artifacts), the browser

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser, signIn, waitIdle, IDLE_MS } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));
const R1 = env('ECOCOMP_RANGER');
const R2 = env('ECOCOMP_RANGER2');
const MONTH = env('ECOCOMP_MONTH');
const FROM = env('ECOCOMP_CONTRACT_FROM');
const TO = env('ECOCOMP_CONTRACT_TO');

const browser = useBrowser(ARTIFACTS);
const mapErrors = [];

async function text(page, selector) { return ((await page.locator(selector).first().textContent()) ?? '').trim(); }

async function shot(t, page, name) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

const rendered = (page, layer) => page.evaluate((l) => window.ecocompMap.queryRenderedFeatures({ layers: [l] }).length, layer);
const sourceCount = (page, source) => page.evaluate(async (s) => ((await window.ecocompMap.getSource(s).getData()).features || []).length, source);

// draw clicks the ring's vertices on the map with the zone check's drawing tool.
async function draw(page, ring) {
  const lons = ring.map((c) => c[0]), lats = ring.map((c) => c[1]);
  await page.evaluate((b) => window.ecocompMap.fitBounds(b, { padding: 120, duration: 0 }), [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]]);
  await waitIdle(page);
  await page.click('#zc-draw');
  await page.waitForSelector('#zonecheck[data-state=drawing]');
  const box = await page.locator('#map').boundingBox();
  const vertices = ring[0][0] === ring.at(-1)[0] && ring[0][1] === ring.at(-1)[1] ? ring.slice(0, -1) : ring;
  const points = [];
  for (const v of vertices) {
    const p = await page.evaluate((ll) => { const q = window.ecocompMap.project(ll); return { x: q.x, y: q.y }; }, v);
    assert.ok(p.x > 0 && p.y > 0 && p.x < box.width && p.y < box.height, `point ${v} projects outside the map`);
    points.push({ x: box.x + p.x, y: box.y + p.y });
  }
  for (const p of [...points, points[0]]) {
    await page.mouse.move(p.x, p.y, { steps: 3 });
    await page.mouse.click(p.x, p.y);
    await page.waitForTimeout(150);
  }
  await page.waitForSelector('#zonecheck:is([data-state=ready],[data-state=error])', { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#zonecheck', 'data-state'), 'ready', await text(page, '#zc-result'));
}

// assign fills the assignment form and waits for the answer.
async function assign(page, pick, from, to = '') {
  await page.selectOption('#care-assign-form select', pick);
  await page.fill('#ca-from', from);
  await page.fill('#ca-to', to);
  await page.click('#ca-go');
  await page.waitForSelector('#care-assign-form:is([data-state=done],[data-state=error])', { timeout: IDLE_MS });
  return page.getAttribute('#care-assign-form', 'data-state');
}

test('a care area drawn, rangers assigned to it, an incident reported with a photo, the roll reconciled', { timeout: 600_000 }, async (t) => {
  const { page } = await signIn(t, browser, { base: BASE, account: env('ECOCOMP_OFFICER'), ready: '#care:not([hidden])', errors: mapErrors });

  // ---- draw D; the code A is taken ----
  await draw(page, JSON.parse(env('ECOCOMP_RING')));
  await page.click('#zc-care-open');
  await page.fill('#zcc-code', 'A');
  await page.fill('#zcc-name', '南坑责任区');
  await page.fill('#zcc-village', '张村长');
  await page.fill('#zcc-township', '李乡长');
  await page.fill('#zcc-county', '王县长');
  await page.click('#zcc-go');
  await page.waitForSelector('#zc-care-msg', { timeout: IDLE_MS });
  assert.match(await text(page, '#zc-care-msg .gist'), /编号 A 已被另一责任区使用/);
  assert.match(await text(page, '#zc-care-msg .detail'), /code "A" already exists/);
  await page.locator('#zc-care-form').scrollIntoViewIfNeeded();
  await shot(t, page, 'care2-draw.png');
  await page.fill('#zcc-code', 'D');
  await page.click('#zcc-go');
  await page.waitForSelector('#care-view[data-state=ready][data-mode=list]', { timeout: IDLE_MS });
  const rowD = '#care-areas tr.area-row[data-code=D]';
  await page.waitForSelector(rowD);
  assert.equal(await page.locator('#care-areas tr.area-row').count(), 2);
  assert.match(await text(page, rowD), /南坑责任区.*未落实护林员.*村级 张村长；乡级 李乡长；县级 王县长/s);
  const D = await page.getAttribute(rowD, 'data-area');
  assert.equal(await sourceCount(page, 'care-areas'), 2);

  // ---- D's assignments: the form opened with the new area ----
  await page.waitForSelector(`#care-area-assign[data-area="${D}"] #care-history[data-count="0"]`, { timeout: IDLE_MS });
  const before = `${Number(FROM.slice(0, 4)) - 1}-06-01`;
  assert.equal(await assign(page, R1, before), 'error');
  assert.match(await text(page, '#care-assign-msg .gist'), new RegExp(`的合同期为 ${FROM} 至 ${TO}：指派的起止日期须在合同期内`));
  assert.equal(await assign(page, R2, FROM), 'done');
  await page.waitForSelector(`#care-history[data-count="1"] tr.assignment-row[data-ranger="${R2}"][data-current=true][data-from="${FROM}"][data-to="${TO}"]`, { timeout: IDLE_MS });
  const first = await page.getAttribute('#care-history tr.assignment-row', 'data-assignment');
  await page.waitForSelector(`${rowD}[data-ranger="${R2}"]`, { timeout: IDLE_MS });
  const thisYear = `${MONTH.slice(0, 4)}-01-01`;
  assert.equal(await assign(page, R1, thisYear), 'error');
  const clash = await text(page, '#care-assign-msg .gist');
  assert.match(clash, new RegExp(`该责任区在这段时间已有护林员 李\\S*（${FROM} 至 ${TO}，指派 #${first}）`), clash);
  assert.equal(await page.getAttribute('#care-assign-msg', 'data-status'), '409');
  assert.equal(await page.locator('#care-history tr.assignment-row').count(), 1, 'the refused one is not in the history');
  await waitIdle(page);
  assert.ok(await rendered(page, 'care-areas-fill') >= 2, 'A and D are drawn');
  await page.locator('#care-area-assign').scrollIntoViewIfNeeded();
  await shot(t, page, 'care2-assign.png');
  // A's row opens A's history (王护林 since the contract began), not 王护林's page.
  await page.click('#care-areas tr.area-row[data-code=A] button.care-assign-open');
  await page.waitForSelector(`#care-area-assign #care-history[data-count="1"] tr.assignment-row[data-ranger="${R1}"][data-current=true][data-from="${FROM}"]`, { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#care-view', 'data-mode'), 'list');
  assert.equal(await page.locator('#care-assign-msg').count(), 0, 'D\'s refusal is not carried over to A');

  // ---- 王护林's page: report a fire at the middle of A ----
  await page.click(`#care-roster tr.ranger-row[data-ranger="${R1}"]`);
  await page.waitForSelector(`#care-view[data-mode=ranger] #care-ranger[data-ranger="${R1}"]`, { timeout: IDLE_MS });
  await page.waitForSelector('#care-incidents-info[data-count="0"]', { timeout: IDLE_MS });
  const at = JSON.parse(env('ECOCOMP_INCIDENT_AT'));
  const panelWidth = await page.evaluate(() => { const m = document.querySelector('#map').getBoundingClientRect(); return Math.max(0, m.right - document.querySelector('#care-view').getBoundingClientRect().left); });
  await page.evaluate(([c, right]) => window.ecocompMap.jumpTo({ center: c, zoom: 15, padding: { right, left: 0, top: 0, bottom: 0 } }), [at, panelWidth]);
  await waitIdle(page);
  await page.click('#ci-go');
  await page.waitForSelector('#ci-msg');
  assert.match(await text(page, '#ci-msg'), /请先在地图上选点/);
  await page.click('#ci-pick');
  await page.waitForSelector('#care-incident-form[data-state=picking]');
  const box = await page.locator('#map').boundingBox();
  const p = await page.evaluate((ll) => { const q = window.ecocompMap.project(ll); return { x: q.x, y: q.y }; }, at);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await page.waitForSelector('#ci-point:not([data-lon=""])');
  assert.ok(Math.abs(Number(await page.getAttribute('#ci-point', 'data-lon')) - at[0]) < 1e-4, 'the picked point is where it was clicked');
  await page.selectOption('#ci-kind', 'fire');
  await page.fill('#ci-note', '山脚有烟，已报乡林业站');
  await page.setInputFiles('#ci-photo', env('ECOCOMP_PHOTO'));
  await page.locator('#care-incident-form').scrollIntoViewIfNeeded();
  await shot(t, page, 'care2-report.png');
  await page.click('#ci-go');
  await page.waitForSelector('#care-incident-form:is([data-state=done],[data-state=error])', { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#care-incident-form', 'data-state'), 'done', await text(page, '#ci-msg'));
  assert.match(await text(page, '#ci-msg'), /事件已上报（#\d+，火情，A）/);
  await page.waitForSelector('#care-incidents-info[data-count="1"]', { timeout: IDLE_MS });
  await page.waitForSelector(`#care-months tr.month-row[data-month="${MONTH}"]`, { timeout: IDLE_MS });
  assert.equal(await sourceCount(page, 'care-incidents'), 1);
  await waitIdle(page);
  assert.ok(await rendered(page, 'care-incidents-circle') >= 1, 'the incident is drawn');

  // ---- its popup: kind, note, the photo ----
  const q = await page.evaluate((ll) => { const r = window.ecocompMap.project(ll); return { x: r.x, y: r.y }; }, at);
  await page.mouse.click(box.x + q.x, box.y + q.y);
  await page.waitForSelector('.care-popup img.care-photo', { timeout: IDLE_MS });
  assert.match(await text(page, '.care-popup'), /火情.*山脚有烟/s);
  await page.waitForFunction(() => { const i = document.querySelector('.care-popup img.care-photo'); return i && i.complete && i.naturalWidth === 16; }, null, { timeout: IDLE_MS });
  assert.equal(await page.locator(`#care-ranger[data-ranger="${R1}"]`).count(), 1, 'the click on the incident did not open another ranger');
  await shot(t, page, 'care2-incident.png');

  // ---- the roll: xlsx link and reconciliation ----
  await page.click('#care-back');
  await page.waitForSelector('#care-view[data-mode=list][data-state=ready]', { timeout: IDLE_MS });
  const year = MONTH.slice(0, 4);
  assert.match(await page.getAttribute('#care-roll-xlsx', 'href'), new RegExp(`^/api/v1/care/roll\\?year=${year}&format=xlsx$`));
  const xlsx = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type') }; }, await page.getAttribute('#care-roll-xlsx', 'href'));
  assert.equal(xlsx.status, 200);
  assert.match(xlsx.type, /spreadsheetml/);
  await page.click('#care-roll-load');
  await page.waitForSelector('#care-roll-recon', { timeout: 120_000 });
  const d = await page.evaluate(() => ({ ...document.querySelector('#care-roll-recon').dataset }));
  const fen = (s) => Math.round(Number(s) * 100);
  // The shipped policy: nobody patrolled, so every month over (UTC+8) fails and is paid half
  // (rounded half up, in fen) of its full pay floor(P·c(m)/D) − floor(P·c(m−1)/D), P = 12,000.00
  // yuan, c(m) the days to the end of month m, D the days of the year; two rangers alike.
  // Nothing retained (no compensation roll computed); the central fund (600,000.00) pays it all.
  const y = Number(year), P = 1_200_000, days = (Date.UTC(y + 1, 0, 1) - Date.UTC(y, 0, 1)) / 86400e3;
  const c = (m) => (Date.UTC(y, m, 1) - Date.UTC(y, 0, 1)) / 86400e3;
  let pay = 0;
  for (let m = 1; m < Number(MONTH.slice(5)); m++) pay += Math.ceil((Math.floor((P * c(m)) / days) - Math.floor((P * c(m - 1)) / days)) / 2);
  assert.equal(fen(d.pay), 2 * pay, `pay due: ${d.pay}`);
  assert.equal(fen(d.retained), 0);
  assert.equal(fen(d.paid), 0);
  assert.equal(fen(d.left), 0);
  assert.equal(fen(d.shortfall), 0, 'the central fund covers the pay');
  assert.match(await text(page, '#care-roll-recon'), new RegExp(`中央财政生态护林员补助\\s*${(2 * pay / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2 })} / 600,000\\.00`));
  assert.match(await text(page, '#care-roll-recon'), /公益林补偿留存.*资金缺口/s);
  await page.locator('#care-roll').scrollIntoViewIfNeeded();
  await shot(t, page, 'care2-roll.png');
  assert.match(await text(page, '#care-legend li[data-key=incident]'), /事件/);

  // ---- in English: the same figures, the words translated ----
  await page.click('#lang-toggle');
  await page.waitForFunction(() => /Shortfall/.test(document.querySelector('#care-roll-recon')?.textContent || ''), null, { timeout: IDLE_MS });
  assert.match(await text(page, '#care-incidents-info'), /Incidents this month: 1/);
  assert.match(await text(page, '#care-areas tr.area-row[data-code=D]'), /Assign \/ history/);
  await page.click('#lang-toggle');
  await page.waitForFunction(() => /资金缺口/.test(document.querySelector('#care-roll-recon')?.textContent || ''), null, { timeout: IDLE_MS });

  assert.deepEqual(mapErrors, [], 'map errors');
});
