// Browser tests of the wetland bank in the ecocomp web map: a case officer records a milestone's
// release, draws a footprint in the reasonable-use zone of the 饶河源 park, sees the credits it
// owes from the wetland patches and opens a debit from it, proposes and approves a credit project
// on another footprint; finance settles the debit by buying
// released credits from two projects at an appraised price and sees the balances change — each
// signed in in their own browser, every refusal with its reason.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_OFFICER=officer1:… … node web/test/wetland.test.mjs
//
// internal/httpapi/web_wetland_test.go builds the wetland county of wetland_test.go, approves the
// projects, starts the server and runs this with:
//   ECOCOMP_URL                 the server (it reads anonymously: the map first, then 登录)
//   ECOCOMP_OFFICER, ECOCOMP_FINANCE
//                               user:password of a case officer and of a finance officer
//   ECOCOMP_FOOTPRINT           JSON ring [[lon,lat],…] around the national-important patch P1 (7.5 亩)
//                               in park A's reasonable-use zone
//   ECOCOMP_PROJECT_X, _Y       approved projects of park A's service area with 4.50 and 13.50
//                               credits released (as built, three years ago)
//   ECOCOMP_PROJECT_B           an approved project of another service area (park B)
//   ECOCOMP_PROJECT_FOOTPRINT   JSON ring of a 100 m square without wetland where the officer
//                               proposes a project
//   ECOCOMP_ARTIFACTS           where screenshots and downloads go (default web/test/artifacts)
//   CHROMIUM                    the browser (default /usr/bin/chromium)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser, signIn, waitIdle, IDLE_MS } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));
const X = env('ECOCOMP_PROJECT_X');
const Y = env('ECOCOMP_PROJECT_Y');
const B = env('ECOCOMP_PROJECT_B');

const browser = useBrowser(ARTIFACTS);
const mapErrors = [];

// person opens the map in a fresh context and signs in with the 登录 button.
function person(t, name) {
  return signIn(t, browser, { base: BASE, account: env(name), ready: '#wetland:not([hidden])', errors: mapErrors }).then((p) => p.page);
}

async function text(page, selector) { return ((await page.locator(selector).first().textContent()) ?? '').trim(); }

async function shot(t, page, name, selector) {
  const path = join(ARTIFACTS, name);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

const num = async (page, selector, attr) => Number(await page.getAttribute(selector, attr));

// refusalShown waits for the item page's refusal and checks its gist and the server's words.
async function refusalShown(page, gist, server) {
  await page.waitForSelector('#wetland-msg', { timeout: IDLE_MS });
  const shown = await text(page, '#wetland-msg');
  assert.match(shown, gist, `the refusal says ${shown}`);
  assert.match(await text(page, '#wetland-msg .detail'), server, `the refusal does not show the server's words: ${shown}`);
  return shown;
}

async function openBank(page) {
  await page.click('#wetland-show');
  await page.waitForSelector('#wetland-view[data-state=ready]', { timeout: IDLE_MS });
}

// row reads a project's row of the bank's page: its balance figures.
async function row(page, id) {
  const sel = `#wetland-projects tr.project-row[data-project="${id}"]`;
  return { available: await num(page, sel, 'data-available'), sold: await num(page, sel, 'data-sold') };
}

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

// A day some weeks back, as a date input takes it.
const daysAgo = (n) => new Date(Date.now() + 8 * 3600e3 - n * 86400e3).toISOString().slice(0, 10);

test('a release, a debit drawn on the map, a sale across two projects and the balances it changes', { timeout: 600_000 }, async (t) => {
  const page = await person(t, 'ECOCOMP_OFFICER');

  // ---- the layers: five wetland patches, three projects, no debit yet ----
  await page.waitForSelector('#legend li[data-group=wetland_patches][data-count="5"]', { timeout: IDLE_MS });
  await page.waitForSelector('#legend li[data-group=wetland_projects][data-count="3"]', { timeout: IDLE_MS });
  await page.waitForSelector('#legend li[data-group=wetland_debits][data-count="0"]', { timeout: IDLE_MS });
  assert.match(await text(page, '#legend li[data-group=wetland_patches]'), /湿地图斑.*5 块.*国家重要湿地/s);
  await shot(t, page, 'wetland-legend.png', '#legend');

  // ---- the officer records X's first monitoring year; the second first is refused ----
  await openBank(page);
  assert.deepEqual(await row(page, X), { available: 4.5, sold: 0 });
  assert.deepEqual(await row(page, Y), { available: 13.5, sold: 0 });
  await page.click(`#wetland-projects tr.project-row[data-project="${X}"]`);
  await page.waitForSelector(`#wetland-item[data-state=ready][data-kind=project][data-id="${X}"][data-status=approved]`, { timeout: IDLE_MS });
  assert.ok(!(await page.locator('#wetland-view').isVisible()), 'the bank’s page stays over the project page');
  assert.equal(await page.getAttribute('#wp-milestones tr[data-milestone=as_built]', 'data-released'), 'true');
  assert.equal(await page.inputValue('#rel-milestone'), 'monitoring_1');
  await page.selectOption('#rel-milestone', 'monitoring_2');
  await page.fill('#rel-verifier', '江西省林业科学院 监测组');
  await page.fill('#rel-evidence', '饶河滩地第1年植被与水文监测报告');
  await page.click('#rel-go');
  await refusalShown(page, /按顺序/, /in order/);
  assert.equal(await page.inputValue('#rel-verifier'), '江西省林业科学院 监测组', 'the refusal cleared the form');
  await page.selectOption('#rel-milestone', 'monitoring_1');
  await page.click('#rel-go');
  await page.waitForSelector('#wp-milestones tr[data-milestone=monitoring_1][data-released=true]', { timeout: IDLE_MS });
  assert.equal(await num(page, '#wp-balance td[data-bucket=released]', 'data-value'), 6);
  assert.equal(await num(page, '#wp-balance td[data-bucket=available]', 'data-value'), 6);
  assert.match(await text(page, '#wetland-notice'), /已释放/);
  await page.waitForFunction(async () => ((await window.ecocompMap.getSource('wetland-item').getData()).features || []).length === 1, null, { timeout: IDLE_MS });
  await waitIdle(page);
  await shot(t, page, 'wetland-project.png');
  await page.click('#wetland-back');
  await page.waitForSelector('#wetland-view[data-state=ready]', { timeout: IDLE_MS });
  assert.deepEqual(await row(page, X), { available: 6, sold: 0 });
  await page.click('#wetland-close');

  // ---- a footprint around P1 in the reasonable-use zone owes 7.50 亩 × 2 = 15.00 credits ----
  await page.selectOption('#zc-activity', 'wetland_occupation');
  await draw(page, JSON.parse(env('ECOCOMP_FOOTPRINT')));
  await page.waitForSelector('#zc-wetland', { timeout: IDLE_MS });
  assert.equal(await num(page, '#zc-wetland', 'data-credits'), 15);
  assert.equal(await num(page, '#zc-wetland', 'data-occupied'), 7.5);
  assert.equal(await page.getAttribute('#zc-wetland', 'data-basis'), 'bank');
  const line = page.locator('#zc-wetland li.zcw-line[data-type="1201"][data-importance=national][data-basis=bank]');
  assert.equal(await line.count(), 1);
  const said = ((await line.textContent()) ?? '').trim();
  assert.match(said, /永久性河流/);
  assert.match(said, /国家重要湿地/);
  assert.match(said, /7\.50 亩 × 2 = 15\.00 个/);
  assert.match(said, /合理利用区/, 'the line does not say where the wetland lies');
  const wetlandText = await text(page, '#zc-wetland');
  assert.match(wetlandText, /需湿地信用 15\.00 个/);
  assert.match(wetlandText, /94,117\.65 元\/个，合计约 1,411,764\.75 元/);
  assert.match(wetlandText, /饶河上游（乐安河婺源段）/);
  await waitIdle(page);
  await shot(t, page, 'wetland-zone-check.png');
  await shot(t, page, 'wetland-zone-check-panel.png', '#zonecheck');

  // ---- the officer opens the debit from the drawn footprint ----
  await page.click('#zc-debit-open');
  await page.click('#zcd-go');
  await page.waitForSelector('#zc-debit-form[data-state=error]', { timeout: IDLE_MS });
  await page.fill('#zcd-applicant', '婺源县文旅投资公司');
  await page.fill('#zcd-purpose', '饶河观景栈道');
  await page.click('#zcd-go');
  await page.waitForSelector('#wetland-item[data-state=ready][data-kind=debit][data-status=open]', { timeout: IDLE_MS });
  const debit = await page.getAttribute('#wetland-item', 'data-id');
  assert.equal(await num(page, '#wd-figures td[data-figure=credits_required]', 'data-value'), 15);
  assert.equal(await num(page, '#wd-figures td[data-figure=occupied_mu]', 'data-value'), 7.5);
  assert.equal(await page.locator('#wd-lines tr.wd-line[data-basis=bank]').count(), 1);
  assert.equal(await page.locator('#sale-form').count(), 0, 'a case officer is offered the sale form');
  await page.waitForSelector('#legend li[data-group=wetland_debits][data-count="1"]', { timeout: IDLE_MS });

  // ---- the officer proposes a credit project on a footprint without wetland, and approves it ----
  await page.click('#wetland-item-close');
  await draw(page, JSON.parse(env('ECOCOMP_PROJECT_FOOTPRINT')));
  await page.waitForSelector('#zc-wetland', { timeout: IDLE_MS });
  assert.match(await text(page, '#zc-wetland'), /未占用湿地图斑/);
  assert.equal(await page.locator('#zc-debit-open').count(), 0, 'a footprint on no wetland offers a debit');
  await page.click('#zc-project-open');
  await page.fill('#zcp-name', '汪口稻田湿地恢复项目');
  await page.click('#zcp-go');
  await page.waitForSelector('#zc-project-form[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#zc-project-form'), /实施单位/, 'the form does not say what is missing');
  await page.selectOption('#zcp-kind', 'restoration');
  await page.fill('#zcp-sponsor', '婺源县湿地保护中心');
  await page.fill('#zcp-baseline', '撂荒稻田，季节性积水');
  await page.click('#zcp-go');
  await page.waitForSelector('#wetland-item[data-state=ready][data-kind=project][data-status=proposed]', { timeout: IDLE_MS });
  assert.match(await text(page, '#wetland-notice'), /待审批/);
  const earned = await num(page, '#wp-credits', 'data-credits');
  assert.ok(earned > 14 && earned < 16, `a 100 m square of restoration earns ${earned} credits; want about 15 (1 亩 a credit)`);
  await page.click('#wp-approve');
  await page.waitForSelector('#wetland-item[data-state=ready][data-kind=project][data-status=approved]', { timeout: IDLE_MS });
  assert.equal(await num(page, '#wp-balance td[data-bucket=issued]', 'data-value'), earned);
  assert.equal(await num(page, '#wp-balance td[data-bucket=available]', 'data-value'), 0);
  await page.waitForSelector('#legend li[data-group=wetland_projects][data-count="4"]', { timeout: IDLE_MS });

  // ---- finance buys the credits: 6.00 from X, 9.00 from Y, at an appraised price ----
  const fp = await person(t, 'ECOCOMP_FINANCE');
  await openBank(fp);
  assert.equal(await num(fp, '#wetland-fund', 'data-received'), 0);
  assert.deepEqual(await row(fp, X), { available: 6, sold: 0 });
  await fp.click(`#wetland-debits tr.debit-row[data-debit="${debit}"][data-status=open]`);
  await fp.waitForSelector(`#wetland-item[data-state=ready][data-kind=debit][data-id="${debit}"]`, { timeout: IDLE_MS });
  await fp.waitForSelector('#sale-form', { timeout: IDLE_MS });
  assert.equal(await fp.inputValue(`#sale-credits-${X}`), '6.00');
  assert.equal(await fp.inputValue(`#sale-credits-${Y}`), '9.00');
  assert.equal(await fp.locator(`#sale-credits-${B}`).count(), 0, 'a project of another service area is offered');
  await fp.waitForSelector('#sale-reference[data-price="94117.65"]', { timeout: IDLE_MS });
  assert.match(await text(fp, '#sale-reference'), /94,117\.65 元\/个/);
  await fp.fill('#sale-price', '90000.00');
  await fp.fill('#sale-appraiser', '江西某资产评估有限公司');
  await fp.fill('#sale-appraised-on', daysAgo(20));
  await fp.fill('#sale-report', '赣评报字〔2026〕第88号');
  await fp.fill('#sale-voucher', 'WL-2026-0001');
  // More than X has released and unsold is refused, with the server's reason.
  await fp.fill(`#sale-credits-${X}`, '7.00');
  await fp.fill(`#sale-credits-${Y}`, '8.00');
  await fp.click('#sale-go');
  await refusalShown(fp, /已释放、未售出/, /released and unsold/);
  assert.equal(await fp.inputValue('#sale-voucher'), 'WL-2026-0001', 'the refusal cleared the form');
  await fp.fill(`#sale-credits-${X}`, '6.00');
  await fp.fill(`#sale-credits-${Y}`, '9.00');
  assert.equal(await fp.getAttribute('#sale-total', 'data-amount'), '1350000.00');
  await fp.click('#sale-go');
  await fp.waitForSelector('#wetland-item[data-state=ready][data-status=settled]', { timeout: IDLE_MS });
  assert.equal(await num(fp, '#wd-figures td[data-figure=credits_outstanding]', 'data-value'), 0);
  assert.equal(await num(fp, '#wd-figures td[data-figure=paid_yuan]', 'data-value'), 1350000);
  const sale = await text(fp, '#wd-sales li[data-voucher="WL-2026-0001"]');
  assert.match(sale, /1,350,000\.00 元/);
  assert.match(sale, /-4\.4 %/, 'the deviation from the reference price is not shown');
  assert.equal(await fp.locator('#sale-form').count(), 0, 'a settled debit still offers the sale form');
  await waitIdle(fp);
  await shot(t, fp, 'wetland-debit.png');

  // ---- the bank's page: the balances changed ----
  await fp.click('#wetland-back');
  await fp.waitForSelector(`#wetland-view[data-state=ready] #wetland-debits tr.debit-row[data-debit="${debit}"][data-status=settled]`, { timeout: IDLE_MS });
  assert.deepEqual(await row(fp, X), { available: 0, sold: 6 });
  assert.deepEqual(await row(fp, Y), { available: 4.5, sold: 9 });
  assert.equal(await num(fp, '#wetland-fund', 'data-received'), 1350000);
  assert.match(await text(fp, '#wetland-fund'), /饶河源国家湿地公园湿地保护基金已收：1,350,000\.00 元/);
  assert.equal(await num(fp, '#wetland-totals td[data-bucket=sold]', 'data-value'), 15);
  await shot(t, fp, 'wetland-page.png');
  // In English too.
  await fp.click('#lang-toggle');
  assert.equal(await text(fp, '#wetland-view h2'), 'Wetland bank');
  assert.match(await text(fp, `#wetland-debits tr.debit-row[data-debit="${debit}"]`), /settled/);
  assert.match(await text(fp, '#wetland-fund'), /received: 1,350,000\.00 yuan/);
  await shot(t, fp, 'wetland-page-en.png');
  await fp.click('#lang-toggle');
  assert.equal(await text(fp, '#wetland-view h2'), '湿地银行');

  // ---- the ledger: JSON and xlsx ----
  const ledger = await fp.evaluate(async (u) => (await fetch(u)).json(), await fp.getAttribute('#wetland-ledger', 'href'));
  const kinds = ledger.entries.map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'sale').length, 2, `ledger kinds ${kinds}`);
  assert.equal(kinds.filter((k) => k === 'payment').length, 1, `ledger kinds ${kinds}`);
  const [dl] = await Promise.all([fp.waitForEvent('download', { timeout: IDLE_MS }), fp.click('#wetland-ledger-xlsx')]);
  const saved = join(ARTIFACTS, 'wetland-ledger.xlsx');
  await dl.saveAs(saved);
  assert.equal((await readFile(saved)).subarray(0, 2).toString(), 'PK', 'the xlsx statement is not a workbook');
  assert.equal(dl.suggestedFilename(), 'wetland-ledger.xlsx');

  // ---- the legend toggles the wetland layers ----
  await fp.click('#wetland-close');
  await fp.locator('#legend input[data-group=wetland_patches]').uncheck();
  assert.equal(await fp.evaluate(() => window.ecocompMap.getLayoutProperty('wetland-patches-fill', 'visibility')), 'none');
  await fp.locator('#legend input[data-group=wetland_patches]').check();
  assert.equal(await fp.evaluate(() => window.ecocompMap.getLayoutProperty('wetland-patches-fill', 'visibility')), 'visible');
  const held = await fp.evaluate(async () => {
    const n = async (s) => ((await window.ecocompMap.getSource(s).getData()).features || []).length;
    return [await n('wetland-patches'), await n('wetland-projects'), await n('wetland-debits')];
  });
  assert.deepEqual(held, [5, 4, 1]);
  assert.deepEqual(mapErrors, [], 'the maps reported errors');
});
