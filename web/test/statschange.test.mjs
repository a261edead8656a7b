// Browser test of the year's change and the pilot's task status on the statistics page: a viewer
// sets a period, sees the land-class transition matrix, the counts by kind of change with their
// import batch and the xlsx, then shows the period's changed parcels on the map with a legend; a
// member of the forestry bureau sets task 1's status with the page's controls. Screenshots are
// kept for a person to look at.
//
//   ECOCOMP_URL=… ECOCOMP_VIEWER=viewer1:… ECOCOMP_MEMBER=forester1:… node web/test/statschange.test.mjs
//
// internal/httpapi/web_stats_test.go builds the county (its comment gives the figures), starts
// the server and runs this with ECOCOMP_URL, ECOCOMP_VIEWER (a viewer of no pilot unit),
// ECOCOMP_MEMBER (a member of 县林业局), ECOCOMP_ARTIFACTS and CHROMIUM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser, signIn, waitIdle, IDLE_MS } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));

const browser = useBrowser(ARTIFACTS);
const mapErrors = [];

// matrix reads the transition matrix as {from: {to: text}}.
const matrix = (page) => page.evaluate(() => {
  const out = {};
  for (const tr of document.querySelectorAll('#stats-change-matrix tbody tr')) {
    out[tr.dataset.from] = Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.to, td.textContent]));
  }
  return out;
});

test('the year\'s change: matrix, counts with batches, xlsx and the changed parcels on the map', async (t) => {
  const { page } = await signIn(t, browser, { base: BASE, account: env('ECOCOMP_VIEWER'), ready: '#stats:not([hidden])', errors: mapErrors });
  await page.click('#stats-show');
  await page.waitForSelector('#stats-view[data-state=ready] #stats-change[data-state=idle]', { timeout: IDLE_MS });
  // A viewer of no pilot unit sees the tasks but no controls.
  await page.waitForSelector('#stats-tasks-block[data-state=ready] tr[data-task=forest-chief]', { timeout: IDLE_MS });
  assert.equal(await page.locator('#stats-tasks-block .task-save').count(), 0, 'no save button for a viewer of no unit');
  assert.match(await page.textContent('#stats-tasks-block'), /不属于任何试点单位/);

  await page.fill('#stats-change-from', '2026-03-01');
  await page.dispatchEvent('#stats-change-from', 'change');
  await page.click('#stats-change-run');
  const sect = await page.waitForSelector('#stats-change[data-state=ready][data-from="2026-03-01"]', { timeout: IDLE_MS });
  assert.equal(await sect.getAttribute('data-sum'), 'added:1 retired:1 split:3 merged:3 changed:1 replaced:0');
  const m = await matrix(page);
  assert.equal(m['030100']?.retired, '60.00', `乔木林地 → 减少: ${JSON.stringify(m)}`);
  assert.equal(m['030100']?.['030200'], '15.00', '乔木林地 → 竹林地');
  assert.equal(m.added?.['030100'], '60.00', '新增 → 乔木林地');
  assert.match(await page.textContent('#stats-change-matrix thead'), /乔木林地.*竹林地.*注销/);
  const batches = await page.textContent('#stats-change-batches');
  assert.match(batches, /2026年一张图更新/);
  const href = await page.getAttribute('#stats-change-xlsx', 'href');
  assert.match(href, /from=2026-03-01.*format=xlsx/);
  const xlsx = await page.request.get(BASE + href);
  assert.equal(xlsx.status(), 200);
  assert.ok((await xlsx.body()).subarray(0, 2).toString() === 'PK', 'the xlsx is a workbook');

  await page.locator('#stats-change').scrollIntoViewIfNeeded();
  await page.waitForTimeout(200);
  const shot = join(ARTIFACTS, 'stats-change.png');
  await page.locator('#stats-change').screenshot({ path: shot });
  t.diagnostic(`screenshot: ${shot}`);

  // On the map: the statistics page steps aside, the parcels are coloured by kind with a legend.
  await page.click('#stats-change-map');
  const legend = await page.waitForSelector('#stats-change-legend[data-features="9"]', { timeout: IDLE_MS });
  assert.equal(await legend.getAttribute('data-kinds'), 'added retired split merged changed');
  assert.equal(await page.isHidden('#stats-view'), true);
  await waitIdle(page);
  const drawn = await page.evaluate(() => {
    const map = window.ecocompMap;
    const kinds = (layer) => [...new Set(map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.change))].sort().join(' ');
    return { fill: kinds('stats-change-fill'), gone: kinds('stats-change-gone') };
  });
  assert.equal(drawn.fill, 'added changed merged split', `filled: ${drawn.fill}`);
  assert.equal(drawn.gone, 'merged retired split', `dashed: ${drawn.gone}`);
  const mapShot = join(ARTIFACTS, 'stats-change-map.png');
  await page.screenshot({ path: mapShot });
  t.diagnostic(`screenshot: ${mapShot}`);

  // Back to the charts: the period is still there.
  await page.click('#stats-change-back');
  await page.waitForSelector('#stats-view[data-state=ready] #stats-change[data-from="2026-03-01"]', { timeout: IDLE_MS });
  assert.equal(await page.locator('#stats-change-legend').count(), 0);
  assert.deepEqual(mapErrors, []);
});

test('a member of the forestry bureau sets task 1 to 滞后 on the page', async (t) => {
  const { page } = await signIn(t, browser, { base: BASE, account: env('ECOCOMP_MEMBER'), ready: '#stats:not([hidden])', errors: mapErrors });
  await page.click('#stats-show');
  await page.waitForSelector('#stats-tasks-block[data-state=ready] tr[data-task=forest-chief][data-status=unknown]', { timeout: IDLE_MS });
  assert.match(await page.textContent('#stats-tasks-block'), /县林业局，可更新/);
  // Controls only on the tasks of its unit: 4 of the 5 (the watershed task is 生态环境局's).
  assert.equal(await page.locator('#stats-tasks-block tr.task-controls').count(), 4);
  assert.equal(await page.locator('#stats-tasks-block tr.task-controls[data-task=watershed]').count(), 0);
  const row = page.locator('#stats-tasks-block tr.task-controls[data-task=forest-chief]');
  await row.locator('select.task-status').selectOption('delayed');
  await row.locator('input.task-note').fill('两个乡镇责任区未落实');
  await row.locator('button.task-save').click();
  await page.waitForSelector('#stats-tasks-block tr[data-task=forest-chief][data-status=delayed]', { timeout: IDLE_MS });
  const text = await page.textContent('#stats-tasks-block tr[data-task=forest-chief]');
  assert.match(text, /滞后/);
  assert.match(text, /县林业局 · forester1/);
  assert.match(text, /两个乡镇责任区未落实/);
  assert.match(await page.textContent('#stats-tasks-block .task-result'), /已保存/);
  await page.locator('#stats-tasks-block').scrollIntoViewIfNeeded();
  await page.waitForTimeout(200);
  const shot = join(ARTIFACTS, 'stats-tasks.png');
  await page.locator('#stats-tasks-block').screenshot({ path: shot });
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(mapErrors, []);
});
