// Browser test of forest care (林长制 · 护林) in the ecocomp web map: a case officer opens the
// care panel (areas coloured by ranger, then by last-patrol age; the coverage check on the map
// and as a table), opens a ranger's page from the roster, is refused a GPX with a jump (the point
// named, in Chinese), uploads a GPX track of this month and sees the month's coverage change
// from 0 to 20.0 % in the year's assessment table and the track on the map; then a click on
// another area opens its ranger.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_OFFICER=officer1:… … node web/test/care.test.mjs
//
// internal/httpapi/web_care_test.go builds the grid, its areas, rangers and parcels, starts the
// server and runs this with:
//   ECOCOMP_URL                  the server
//   ECOCOMP_OFFICER              user:password of a case officer
//   ECOCOMP_RANGER, _RANGER2     王护林 (area A, never patrolled) and 李巡山 (area B, 45 days ago)
//   ECOCOMP_MONTH                this month (yyyy-mm, UTC+8), the month of the GPX
//   ECOCOMP_GPX, ECOCOMP_GPX_BAD a straight 1 km track up the middle of A (20.0 % of it within
//                                100 m) and the same with point 6 jumped 1 km sideways
//   ECOCOMP_OUTSIDE, _OVERLAP    the public-welfare parcels in no area and in A and B (15.00 亩 each)
//   ECOCOMP_ARTIFACTS            where screenshots go (default web/test/artifacts)
//   CHROMIUM                     the browser (default /usr/bin/chromium)

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

const browser = useBrowser(ARTIFACTS);
const mapErrors = [];

async function text(page, selector) { return ((await page.locator(selector).first().textContent()) ?? '').trim(); }

async function shot(t, page, name) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

// rendered counts the features of a layer drawn on screen.
const rendered = (page, layer) => page.evaluate((l) => window.ecocompMap.queryRenderedFeatures({ layers: [l] }).length, layer);
const sourceCount = (page, source) => page.evaluate(async (s) => ((await window.ecocompMap.getSource(s).getData()).features || []).length, source);

test('a ranger’s track uploaded from the care panel changes the month’s coverage and shows on the map', { timeout: 600_000 }, async (t) => {
  const { page } = await signIn(t, browser, { base: BASE, account: env('ECOCOMP_OFFICER'), ready: '#care:not([hidden])', errors: mapErrors });
  assert.equal(await page.inputValue('#care-month'), MONTH, 'the month picker starts at this month');

  // ---- the panel: three areas, two rangers, the coverage check ----
  await page.click('#care-show');
  await page.waitForSelector('#care-view[data-state=ready][data-mode=list]', { timeout: IDLE_MS });
  assert.equal(await page.locator('#care-areas tr.area-row').count(), 3);
  assert.equal(await page.getAttribute('#care-areas tr.area-row[data-code=A]', 'data-last-patrol'), '');
  assert.notEqual(await page.getAttribute('#care-areas tr.area-row[data-code=B]', 'data-last-patrol'), '');
  assert.match(await text(page, '#care-areas tr.area-row[data-code=A]'), /王护林|王\*/);
  assert.match(await text(page, '#care-areas tr.area-row[data-code=A]'), /从未巡护/);
  assert.match(await text(page, '#care-areas tr.area-row[data-code=B]'), /45 天前/);
  assert.match(await text(page, '#care-areas tr.area-row[data-code=C]'), /未落实护林员/);
  assert.equal(await page.locator('#care-roster tr.ranger-row').count(), 2);

  await page.waitForSelector('#care-coverage[data-outside="1"][data-overlap="1"]', { timeout: IDLE_MS });
  const outside = `#care-coverage tr.coverage-row[data-parcel="${env('ECOCOMP_OUTSIDE')}"][data-problem=outside]`;
  const overlap = `#care-coverage tr.coverage-row[data-parcel="${env('ECOCOMP_OVERLAP')}"][data-problem=overlap]`;
  assert.match(await text(page, outside), /不在任何责任区.*测试村.*15\.00/s);
  assert.match(await text(page, overlap), /两个及以上.*15\.00.*A、B（重叠 15\.00 亩）/s);
  await page.waitForFunction(() => window.ecocompMap.getSource('care-coverage') && window.ecocompMap.getSource('care-areas'), null, { timeout: IDLE_MS });
  assert.equal(await sourceCount(page, 'care-areas'), 3);
  assert.equal(await sourceCount(page, 'care-coverage'), 2);
  await waitIdle(page);
  assert.ok(await rendered(page, 'care-coverage-fill') >= 2, 'both coverage parcels are drawn');
  assert.ok(await rendered(page, 'care-areas-fill') >= 3, 'the three areas are drawn');

  // ---- colour by last patrol: the legend's four ages ----
  await page.selectOption('#care-colour', 'age');
  for (const k of ['week', 'month', 'older', 'never']) await page.waitForSelector(`#care-legend li[data-key=${k}]`);
  assert.match(await text(page, '#care-legend'), /≤7 天.*≤30 天.*>30 天.*从未巡护/s);
  await waitIdle(page);
  await shot(t, page, 'care-list.png');
  await page.selectOption('#care-colour', 'ranger');
  await page.waitForSelector(`#care-legend li[data-key="ranger-${R1}"]`);

  // ---- 王护林's page: this month at 0 ----
  await page.click(`#care-roster tr.ranger-row[data-ranger="${R1}"]`);
  await page.waitForSelector(`#care-view[data-mode=ranger] #care-ranger[data-ranger="${R1}"]`, { timeout: IDLE_MS });
  const row = `#care-months tr.month-row[data-month="${MONTH}"]`;
  await page.waitForSelector(row, { timeout: IDLE_MS });
  assert.equal(await page.locator('#care-months tr.month-row').count(), 12, 'a row per month of the year');
  assert.equal(await page.getAttribute(row, 'data-tracks'), '0');
  assert.equal(await page.getAttribute(row, 'data-coverage'), '0');
  assert.equal(await text(page, `${row} td.share`), '0.0 %');
  assert.equal(await page.getAttribute(row, 'data-passed'), '', 'this month is not over: not assessed yet');
  assert.match(await text(page, row), /未到期/);
  assert.match(await page.getAttribute('#care-assessment-xlsx', 'href'), new RegExp(`/api/v1/care/rangers/${R1}/assessment\\?year=${MONTH.slice(0, 4)}&format=xlsx`));
  await page.waitForSelector('#care-tracks-info[data-count="0"]', { timeout: IDLE_MS });

  // ---- a jump is refused, naming the point in Chinese ----
  await page.setInputFiles('#care-gpx', env('ECOCOMP_GPX_BAD'));
  await page.click('#care-upload');
  await page.waitForSelector('#care-upload-msg[data-state=error]', { timeout: IDLE_MS });
  const refused = await text(page, '#care-refusal');
  assert.match(refused, /第 6 个点：与上一点之间速度超过 30 公里\/小时/, refused);
  assert.match(await text(page, '#care-refusal .detail'), /point 6 .* 60 km\/h/);
  assert.equal(await page.getAttribute(row, 'data-tracks'), '0');

  // ---- the track: coverage 0 → 20.0 %, the track on the map ----
  await page.setInputFiles('#care-gpx', env('ECOCOMP_GPX'));
  await page.click('#care-upload');
  await page.waitForSelector('#care-upload-msg[data-state=done]', { timeout: IDLE_MS });
  assert.match(await text(page, '#care-upload-msg'), /11 个点，1\.00 公里，责任区 A/);
  await page.waitForSelector(`${row}[data-tracks="1"]`, { timeout: IDLE_MS });
  assert.equal(await page.getAttribute(row, 'data-days'), '1');
  assert.equal(Number(await page.getAttribute(row, 'data-coverage')), 0.2);
  assert.equal(await text(page, `${row} td.share`), '20.0 %');
  await page.waitForSelector('#care-tracks-info[data-count="1"]', { timeout: IDLE_MS });
  assert.equal(await sourceCount(page, 'care-tracks'), 1);
  await waitIdle(page);
  assert.ok(await rendered(page, 'care-tracks-line') >= 1, 'the track is drawn');
  await shot(t, page, 'care-ranger.png');
  // The month picker: last month shows none of his tracks, this month his one again.
  const [y, m] = MONTH.split('-').map(Number);
  const last = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  await page.fill('#care-month', last);
  await page.waitForSelector('#care-tracks-info[data-count="0"]', { timeout: IDLE_MS });
  await page.fill('#care-month', MONTH);
  await page.waitForSelector('#care-tracks-info[data-count="1"]', { timeout: IDLE_MS });
  await page.waitForSelector(`${row}.current`, { timeout: IDLE_MS });
  await page.locator('#care-upload-msg').scrollIntoViewIfNeeded();
  await shot(t, page, 'care-upload.png');

  // ---- back to the list; a click on area B opens 李巡山 ----
  await page.click('#care-back');
  await page.waitForSelector('#care-view[data-mode=list][data-state=ready]', { timeout: IDLE_MS });
  assert.doesNotMatch(await text(page, '#care-areas tr.area-row[data-code=A]'), /从未巡护/);
  const pt = await page.evaluate(() => {
    const f = window.ecocompMap.queryRenderedFeatures({ layers: ['care-areas-fill'] }).find((x) => x.properties.code === 'B');
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    // Inside B, east of A's overlap: three quarters of the way across.
    const xs = ring.map((c) => c[0]), ys = ring.map((c) => c[1]);
    const p = window.ecocompMap.project([Math.min(...xs) + 0.75 * (Math.max(...xs) - Math.min(...xs)), (Math.min(...ys) + Math.max(...ys)) / 2]);
    return { x: p.x, y: p.y };
  });
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForSelector(`#care-ranger[data-ranger="${R2}"]`, { timeout: IDLE_MS });

  assert.deepEqual(mapErrors, [], 'map errors');
});
