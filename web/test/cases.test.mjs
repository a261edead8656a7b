// Browser tests of buyout cases in the ecocomp web map: a case officer opens a case from the map
// and carries it to signed, finance pays, an administrator records the change of rights and
// closes it — each signed in in their own browser — and every refusal on the way shows why.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_OFFICER=officer1:… … node web/test/cases.test.mjs
//
// internal/httpapi/web_cases_test.go builds the case county of cases_test.go, starts the server
// and runs this with:
//   ECOCOMP_URL                 the server (it reads anonymously: the map first, then 登录)
//   ECOCOMP_OFFICER, ECOCOMP_FINANCE, ECOCOMP_ADMIN
//                               user:password of a case officer, a finance officer, an administrator
//   ECOCOMP_PARCEL_A, _B        two parcels of one owner, eligible for buyout (the case's);
//   ECOCOMP_PARCEL_C            a third one of the same owner (opened meanwhile, then withdrawn);
//                               each with _LON and _LAT, a point inside it
//   ECOCOMP_NOTICE_START        a notice start far enough back that the notice has ended
//   ECOCOMP_YEAR                this year (case numbers)
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
const parcel = (name) => ({ code: env(`ECOCOMP_PARCEL_${name}`), lngLat: [Number(env(`ECOCOMP_PARCEL_${name}_LON`)), Number(env(`ECOCOMP_PARCEL_${name}_LAT`))] });
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));

const browser = useBrowser(ARTIFACTS);
const mapErrors = []; // what any browser's map reported (a layer that failed to load)

// person opens the map in a fresh context and signs in with the 登录 button.
async function person(t, name) {
  return signIn(t, browser, { base: BASE, account: env(name), ready: '#cases:not([hidden])', errors: mapErrors });
}

// clickParcel centres the map on a parcel, clicks it and waits for its panel.
async function clickParcel(page, p) {
  await page.evaluate(({ center }) => window.ecocompMap.jumpTo({ center, zoom: 16 }), { center: p.lngLat });
  await waitIdle(page);
  const box = await page.locator('#map').boundingBox();
  const q = await page.evaluate((ll) => { const r = window.ecocompMap.project(ll); return { x: r.x, y: r.y }; }, p.lngLat);
  await page.mouse.click(box.x + q.x, box.y + q.y);
  await page.waitForSelector(`#panel[data-state=ready][data-code="${p.code}"] #eligibility[data-state=ready]`, { timeout: IDLE_MS });
  await page.waitForSelector('#parcel-cases[data-state=ready]', { timeout: IDLE_MS });
}

async function text(page, selector) { return ((await page.locator(selector).first().textContent()) ?? '').trim(); }

async function shot(t, page, name) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

const caseView = (page) => page.locator('#case-view');

async function status(page, want, version) {
  const sel = `#case-view[data-state=ready][data-status=${want}]` + (version ? `[data-version="${version}"]` : '');
  await page.waitForSelector(sel, { timeout: IDLE_MS }).catch(async (e) => {
    throw new Error(`the case page never showed ${want}: ${e.message}\n${await text(page, '#case-view')}`);
  });
}

// step opens the form of the step to `to`, lets fill complete it and sends it.
async function step(page, to, fill = async () => {}) {
  await page.click(`#case-next button.step[data-to=${to}][data-allowed=true]`);
  await page.waitForSelector(`#step-form[data-to=${to}]`, { timeout: IDLE_MS });
  await fill();
  await page.click('#sf-go');
}

async function refusalShown(page, re) {
  await page.waitForSelector('#case-msg', { timeout: IDLE_MS });
  const shown = await text(page, '#case-msg');
  assert.match(shown, re, `the refusal says ${shown}`);
  return shown;
}

async function why(page, to) {
  const el = page.locator(`#case-next p.why[data-to=${to}]`);
  return { zh: ((await el.textContent()) ?? '').trim(), server: (await el.getAttribute('data-why')) ?? '' };
}

// openFromList opens the cases page and the case numbered number from it.
async function openFromList(page, number) {
  await page.click('#cases-show');
  await page.waitForSelector('#cases-view[data-state=ready]', { timeout: IDLE_MS });
  await page.click(`#cases-table tr.case-row[data-number="${number}"]`);
  await page.waitForSelector(`#case-view[data-state=ready][data-number="${number}"]`, { timeout: IDLE_MS });
  assert.ok(!(await page.locator('#cases-view').isVisible()), 'the cases page stays over the case page');
}

// reopen reads the case again as the page stands (back to the list, then the case).
async function reopen(page, number) {
  await page.click('#case-back');
  await page.waitForSelector('#cases-view[data-state=ready]', { timeout: IDLE_MS });
  if (await page.inputValue('#cases-status') !== '') {
    await page.selectOption('#cases-status', '');
    await page.waitForSelector('#cases-view[data-state=ready][data-status=""]', { timeout: IDLE_MS });
  }
  await page.click(`#cases-table tr.case-row[data-number="${number}"]`);
  await page.waitForSelector(`#case-view[data-state=ready][data-number="${number}"]`, { timeout: IDLE_MS });
}

// download clicks a link and answers the saved file's bytes and suggested name.
async function download(page, selector, name) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: IDLE_MS }), page.click(selector)]);
  const path = join(ARTIFACTS, name);
  await dl.saveAs(path);
  assert.equal(await dl.failure(), null, `download ${selector} failed`);
  return { bytes: await readFile(path), name: dl.suggestedFilename() };
}

// A minimal one-page PDF: the server tells a document by its content.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
  '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

test('a buyout from the map to closed, each step by its role, every refusal with its reason', { timeout: 600_000 }, async (t) => {
  const A = parcel('A');
  const B = parcel('B');
  const C = parcel('C');
  const year = env('ECOCOMP_YEAR');
  const officer = await person(t, 'ECOCOMP_OFFICER');
  const page = officer.page;

  // ---- the officer opens a case from the parcel's panel: a mode of its eligibility ----
  await clickParcel(page, A);
  await page.waitForSelector('#case-open-form', { timeout: IDLE_MS });
  const modes = await page.$$eval('#case-mode option', (os) => os.map((o) => o.value));
  assert.ok(modes.includes('buyout'), `the modes offered are ${modes}`);
  assert.ok(!modes.includes('swap'), 'the eligibility’s swap is offered as such, not as a case’s exchange');
  assert.equal(await text(page, '#parcel-cases .muted'), '该小班没有案件。');
  await page.selectOption('#case-mode', 'buyout');
  await page.fill('#case-more', B.code);
  await page.click('#case-open');
  await status(page, 'applied', 1);
  const number = await page.getAttribute('#case-view', 'data-number');
  assert.equal(number, `WY-SM-${year}-0001`);
  assert.match(await text(page, '#case-events'), /已申请/);
  assert.equal(await page.locator('#case-parcels tr.case-parcel').count(), 2);
  assert.match(await text(page, '#case-owner'), /\*/, 'a case officer sees the owner masked');
  // The case's parcels are outlined on the map, and the map shows them.
  await page.waitForFunction(async () => ((await window.ecocompMap.getSource('case-parcels').getData()).features || []).length === 2, null, { timeout: IDLE_MS });
  await waitIdle(page);
  const inView = await page.evaluate((pts) => pts.map((p) => window.ecocompMap.getBounds().contains(p)), [A.lngLat, B.lngLat]);
  assert.deepEqual(inView, [true, true], 'the map is not fitted to the case’s parcels');
  await shot(t, page, 'case-applied.png');

  // ---- a second opening for a parcel someone put in a case meanwhile is refused, with why ----
  await clickParcel(page, C);
  assert.ok(!(await caseView(page).isVisible()), 'a click on the map leaves the case page over the panel');
  await page.waitForSelector('#case-open-form', { timeout: IDLE_MS });
  const meanwhile = await page.evaluate(async (code) => {
    const r = await fetch('/api/v1/cases', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'buyout', parcels: [code] }) });
    return { status: r.status, body: await r.json() };
  }, C.code);
  assert.equal(meanwhile.status, 201, JSON.stringify(meanwhile.body));
  await page.click('#case-open');
  await page.waitForSelector('#case-open-form[data-state=error] #case-open-msg', { timeout: IDLE_MS });
  const refused = await text(page, '#case-open-msg');
  assert.match(refused, /已在一个未办结的案件中/, refused);
  assert.match(refused, /already in an open case/, refused);

  // ---- the cases page: counts, filters, links ----
  await page.click('#cases-show');
  await page.waitForSelector('#cases-view[data-state=ready]', { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#cases-counts [data-status=applied]', 'data-count'), '2');
  assert.equal(await page.getAttribute('#cases-view', 'data-count'), '2');
  assert.match(await page.getAttribute('#cases-xlsx', 'href'), /format=xlsx/);
  assert.match(await page.getAttribute('#cases-notice-pdf', 'href'), /\/api\/v1\/cases\/notice\.pdf/);
  await page.selectOption('#cases-mode', 'lease');
  await page.waitForSelector('#cases-view[data-state=ready][data-mode=lease] #cases-empty', { timeout: IDLE_MS });
  await page.selectOption('#cases-mode', '');
  await page.waitForSelector('#cases-view[data-state=ready][data-mode=""][data-count="2"]', { timeout: IDLE_MS });
  await page.click(`#cases-table tr.case-row[data-number="${number}"]`);
  await status(page, 'applied', 1);

  // ---- verified, appraised (the report uploaded and downloaded), noticed ----
  await step(page, 'verified', async () => {
    await page.fill('#sf-fc_by', '王五');
    await page.check('#sf-fc_boundaries');
    await page.check('#sf-fc_rights');
  });
  await status(page, 'verified', 2);
  assert.match(await text(page, '#case-parcels'), /核实时的赎买条件/);
  await step(page, 'appraised', async () => {
    await page.fill('#sf-appraised_yuan', '100000.00');
    await page.fill('#sf-appraiser', '江西某资产评估有限公司');
    await page.fill('#sf-report', '赣评报字〔2026〕第1号');
  });
  await status(page, 'appraised', 3);
  assert.match(await text(page, '#case-deviation'), /%/);
  await page.selectOption('#doc-kind', 'appraisal_report');
  await page.setInputFiles('#doc-file', { name: '评估报告.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.click('#doc-go');
  await page.waitForSelector('#case-docs li[data-kind=appraisal_report] a.download', { timeout: IDLE_MS });
  const doc = await download(page, '#case-docs li[data-kind=appraisal_report] a.download', 'case-document.pdf');
  assert.equal(doc.bytes.subarray(0, 5).toString(), '%PDF-');
  assert.equal(doc.name, '评估报告.pdf');
  await step(page, 'noticed', async () => { await page.fill('#sf-notice_start', env('ECOCOMP_NOTICE_START')); });
  await status(page, 'noticed', 4);
  await page.waitForSelector('#case-next button.step[data-to=signed][data-allowed=true]', { timeout: IDLE_MS });

  // ---- an administrator records an objection in another browser: the officer's page is stale ----
  const admin = await person(t, 'ECOCOMP_ADMIN');
  await openFromList(admin.page, number);
  await admin.page.click('#case-notice-block details.add summary');
  await admin.page.fill('#obj-by', '邻户赵六');
  await admin.page.fill('#obj-text', '东侧界址有误');
  await admin.page.click('#obj-go');
  await admin.page.waitForSelector('#case-objections li[data-open=true]', { timeout: IDLE_MS });
  assert.equal((await why(admin.page, 'signed')).server.includes('objection'), true, 'signing is not blocked by the open objection');

  await step(page, 'signed', async () => {
    await page.fill('#sf-contract_number', 'WY-HT-2026-001');
    await page.fill('#sf-price_yuan', '100000.00');
  });
  const stale = await refusalShown(page, /已被他人更新/);
  assert.match(stale, /has moved on/);
  assert.equal(await page.getAttribute('#case-msg', 'data-stale'), 'true');
  await page.click('#case-reload');
  await status(page, 'noticed', 5);
  assert.equal(await page.getAttribute('#case-next button.step[data-to=signed]', 'data-allowed'), 'false');
  const blocked = await why(page, 'signed');
  assert.match(blocked.zh, /异议尚未处理/);
  assert.match(blocked.server, /objection/);
  await shot(t, page, 'case-objection.png');

  // ---- the officer resolves the objection; a price beyond the budget is the administrator's ----
  await page.fill('#case-objections .resolve-form input', '复核界址无误，异议人撤回');
  await page.click('#case-objections .resolve-form button');
  await status(page, 'noticed', 6);
  await page.waitForSelector('#case-objections li[data-open=false]', { timeout: IDLE_MS });
  await step(page, 'signed', async () => {
    await page.fill('#sf-contract_number', 'WY-HT-2026-001');
    await page.fill('#sf-price_yuan', '6000000.00');
  });
  const budget = await refusalShown(page, /超出年度预算/);
  assert.match(budget, /only an administrator may sign beyond the budget/);
  assert.equal(await page.getAttribute('#case-msg', 'data-status'), '403');
  assert.equal(await page.inputValue('#sf-contract_number'), 'WY-HT-2026-001', 'the refusal cleared the form');
  await page.fill('#sf-price_yuan', '100000.00');
  await page.click('#sf-go');
  await status(page, 'signed', 7);
  const schedule = await page.$$eval('#case-schedule tbody tr', (trs) => trs.map((tr) => tr.children[2].textContent.trim()));
  assert.deepEqual(schedule, ['60,000.00', '40,000.00']);
  // After signing the steps are the administrator's, and the page says so.
  assert.equal(await page.getAttribute('#case-next button.step[data-to=transferred]', 'data-allowed'), 'false');
  assert.match((await why(page, 'transferred')).zh, /只能由管理员办理/);
  assert.match((await why(page, 'rejected')).zh, /只能由管理员驳回/);
  assert.equal(await page.locator('#pay-form').count(), 0, 'a case officer is offered the payment form');
  await shot(t, page, 'case-page.png');

  // ---- finance: the list unmasked, the first instalment, a payment ahead of the schedule ----
  const finance = await person(t, 'ECOCOMP_FINANCE');
  const fp = finance.page;
  await fp.click('#cases-show');
  await fp.waitForSelector('#cases-view[data-state=ready]', { timeout: IDLE_MS });
  await fp.selectOption('#cases-status', 'signed');
  await fp.waitForSelector('#cases-view[data-state=ready][data-status=signed][data-count="1"]', { timeout: IDLE_MS });
  assert.equal(await fp.getAttribute('#cases-counts [data-status=signed]', 'data-count'), '1');
  assert.match(await text(fp, '#cases-table tr.case-row'), /张三/, 'finance sees the owner in clear');
  await shot(t, fp, 'cases-page.png');
  await fp.click(`#cases-table tr.case-row[data-number="${number}"]`);
  await status(fp, 'signed', 7);
  assert.equal(await text(fp, '#case-owner').then((s) => s.startsWith('张三')), true);
  assert.equal(await fp.locator('#case-next button.step[data-allowed=true]').count(), 0, 'finance may take a step');
  assert.equal(await fp.inputValue('#pay-amount'), '60000.00');
  await fp.fill('#pay-voucher', 'V-2026-001');
  await fp.click('#pay-go');
  await fp.waitForSelector('#case-payments tr.payment[data-voucher="V-2026-001"]', { timeout: IDLE_MS });
  assert.equal(await text(fp, '#case-paid'), '60,000.00');
  await fp.fill('#pay-amount', '0.01');
  await fp.fill('#pay-voucher', 'V-2026-X');
  await fp.click('#pay-go');
  assert.match(await refusalShown(fp, /超出已到期/), /fallen due/);

  // ---- the administrator records the change of rights; closing waits for the last payment ----
  const ap = admin.page;
  await reopen(ap, number);
  await status(ap, 'signed', 7);
  await step(ap, 'transferred', async () => { await ap.fill('#sf-registration', '赣(2026)婺源县不动产权第0000001号'); });
  await status(ap, 'transferred', 8);
  assert.equal(await ap.getAttribute('#case-next button.step[data-to=closed]', 'data-allowed'), 'false');
  assert.match((await why(ap, 'closed')).zh, /尚未付清/);

  await reopen(fp, number);
  await status(fp, 'transferred', 8);
  assert.equal(await fp.inputValue('#pay-amount'), '40000.00');
  await fp.fill('#pay-voucher', 'V-2026-002');
  await fp.click('#pay-go');
  await fp.waitForSelector('#case-payments tr.payment[data-voucher="V-2026-002"]', { timeout: IDLE_MS });
  assert.equal(await text(fp, '#case-paid'), '100,000.00');

  await reopen(ap, number);
  await step(ap, 'closed');
  await status(ap, 'closed', 9);
  await ap.waitForSelector('#case-final', { timeout: IDLE_MS });
  assert.equal(await ap.locator('#case-events li').count(), 9);

  // ---- the reserve holds both parcels: a map layer the legend toggles ----
  await ap.waitForSelector('#legend li[data-group=reserve][data-count="2"]', { timeout: IDLE_MS });
  assert.match(await text(ap, '#legend li[data-group=reserve]'), /县收储林地.*2 个小班/s);
  const layer = await ap.evaluate(async () => {
    const map = window.ecocompMap;
    return { n: ((await map.getSource('reserve').getData()).features || []).length, visible: map.getLayoutProperty('reserve-fill', 'visibility') };
  });
  assert.deepEqual(layer, { n: 2, visible: 'visible' });
  await ap.locator('#legend input[data-group=reserve]').uncheck();
  assert.equal(await ap.evaluate(() => window.ecocompMap.getLayoutProperty('reserve-fill', 'visibility')), 'none');
  await ap.locator('#legend input[data-group=reserve]').check();
  await waitIdle(ap);
  await shot(t, ap, 'case-closed.png');

  // ---- the 四至图 ----
  const sizhi = await download(ap, '#case-sizhi', 'case-sizhi.pdf');
  assert.equal(sizhi.bytes.subarray(0, 5).toString(), '%PDF-');
  assert.match(sizhi.name, /\.pdf$/);
  const href = await ap.getAttribute('#case-sizhi', 'href');
  const head = await ap.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type') }; }, href);
  assert.deepEqual(head, { status: 200, type: 'application/pdf' });

  // ---- the officer withdraws the case opened meanwhile, from the parcel's panel ----
  await clickParcel(page, C);
  await page.click('#parcel-cases li a.case-link');
  await status(page, 'applied', 1);
  await step(page, 'withdrawn', async () => { await page.fill('#sf-reason', '权利人撤回申请'); });
  await status(page, 'withdrawn', 2);
  assert.match(await text(page, '#case-reason'), /权利人撤回申请/);
  await page.click('#case-back');
  await page.waitForSelector('#cases-view[data-state=ready]', { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#cases-counts [data-status=closed]', 'data-count'), '1');
  assert.equal(await page.getAttribute('#cases-counts [data-status=withdrawn]', 'data-count'), '1');
  await shot(t, page, 'cases-page-end.png');
  assert.deepEqual(mapErrors, [], 'the maps reported errors');
});
