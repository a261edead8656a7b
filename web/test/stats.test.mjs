// Browser test of the statistics page of the ecocomp web map: a member of staff opens it, sees
// the five charts (land class, arbor forest by age group and species, subsidies, cases, the
// pilot's indicators) each with its table and xlsx link, switches the township and the date and
// sees charts and tables change; a screenshot is kept for a person to look at.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_VIEWER=viewer1:… node web/test/stats.test.mjs
//
// internal/httpapi/web_stats_test.go builds the county (its comment gives the figures), starts
// the server and runs this with:
//   ECOCOMP_URL        the server (it reads anonymously: the map first, then 登录)
//   ECOCOMP_VIEWER     user:password of a viewer
//   ECOCOMP_ARTIFACTS  where screenshots go (default web/test/artifacts)
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser, signIn, IDLE_MS } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));

const browser = useBrowser(ARTIFACTS);
const mapErrors = [];

const sums = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#stats-view .stats-block')]
  .map((b) => [b.dataset.chart, { state: b.dataset.state, sum: b.dataset.sum || '', table: b.querySelector('table')?.innerText || '',
    canvas: !!b.querySelector('.stats-chart canvas'), xlsx: b.querySelector('a.stats-xlsx')?.getAttribute('href') || '' }])));

// shown waits until the page shows unit and date.
async function shown(page, unit, asOf) {
  await page.waitForSelector(`#stats-view[data-state=ready][data-unit="${unit}"]${asOf ? `[data-as-of="${asOf}"]` : ''}`, { timeout: IDLE_MS });
  return sums(page);
}

test('statistics page: charts with tables, township and date switch them', async (t) => {
  const { page } = await signIn(t, browser, { base: BASE, account: env('ECOCOMP_VIEWER'), ready: '#stats:not([hidden])', errors: mapErrors });
  await page.click('#stats-show');
  const county = await shown(page, '');
  for (const key of ['land', 'arbor', 'subsidy', 'cases', 'pilot']) {
    assert.equal(county[key]?.state, 'ready', `${key} is ${county[key]?.state}`);
    assert.ok(county[key].canvas, `${key} has a chart`);
    assert.match(county[key].xlsx, /format=xlsx|ledger\.xlsx/, `${key} links its xlsx`);
  }
  assert.match(county.land.sum, /^婺源县 1560\.00 .*030100:1395\.00.*030200:165\.00/);
  assert.match(county.land.table, /乔木林地\s+1,395\.00/);
  assert.match(county.subsidy.sum, /^361130 900\.00 national:780\.00 natural_commercial:120\.00/);
  assert.match(county.cases.sum, /^361130 4 /);
  assert.equal(county.pilot.sum, 'green_fund:120.0 social_capital:0.0 forest_right_loans:75.0 green_finance:0.0');
  assert.match(await page.textContent('#stats-tasks'), /已载入 5 项，方案共 25 项/);
  assert.match(county.arbor.sum, /^1395\.00 /);
  assert.match(county.arbor.sum, /310000:795\.00/);
  assert.match(county.arbor.sum, /220000:600\.00/);

  // Another township: every chart and table follows.
  await page.selectOption('#stats-unit', '361130101');
  const qinghua = await shown(page, '361130101');
  assert.match(qinghua.land.sum, /^清华镇 60\.00 030100:60\.00$/);
  assert.match(qinghua.subsidy.sum, /^361130101 300\.00 national:300\.00$/);
  assert.match(qinghua.cases.sum, /^361130101 1 in_force:1$/);
  assert.notEqual(qinghua.land.table, county.land.table);
  assert.match(qinghua.land.xlsx, /unit=361130101/);

  // 紫阳镇 today, then as of 2026-03-01, before square (9,9) became bamboo.
  await page.selectOption('#stats-unit', '361130100');
  const now = await shown(page, '361130100');
  assert.match(now.land.sum, /^紫阳镇 1500\.00 030100:1335\.00 030200:165\.00$/);
  await page.fill('#stats-as-of', '2026-03-01');
  await page.dispatchEvent('#stats-as-of', 'change');
  const march = await shown(page, '361130100', '2026-03-01');
  assert.match(march.land.sum, /^紫阳镇 1500\.00 030100:1350\.00 030200:150\.00$/);
  assert.match(march.land.table, /竹林地\s+150\.00/);
  assert.match(march.land.xlsx, /as_of=2026-03-01/);
  assert.match(now.arbor.sum, /310000:735\.00/);
  assert.match(march.arbor.sum, /310000:750\.00/);

  await page.waitForTimeout(300);
  const path = join(ARTIFACTS, 'stats-page.png');
  await page.locator('#stats-view').screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
  // The lower charts (subsidies, cases, the pilot's indicators) in a second picture.
  await page.evaluate(() => { const v = document.querySelector('#stats-view'); v.scrollTop = v.scrollHeight; });
  await page.waitForTimeout(300);
  const lower = join(ARTIFACTS, 'stats-page-lower.png');
  await page.locator('#stats-view').screenshot({ path: lower });
  t.diagnostic(`screenshot: ${lower}`);
  assert.deepEqual(mapErrors, []);
});
