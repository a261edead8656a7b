// Browser tests of accounts in the ecocomp web map: sign-in page, who is signed in, panels by
// role, the subsidy roll masked for a viewer and unmasked for finance, the forced password
// change and the sign-in page first when the server does not read anonymously.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_URL_SIGNIN=http://127.0.0.1:8081 … node web/test/auth.test.mjs
//
// internal/httpapi/web_auth_test.go seeds a county, creates the users, starts two servers and
// runs this with:
//   ECOCOMP_URL               a server that reads anonymously (ECOCOMP_PUBLIC_READ=true)
//   ECOCOMP_URL_SIGNIN        a server on the same database that requires sign-in
//   ECOCOMP_VIEWER, ECOCOMP_FINANCE, ECOCOMP_SURVEYOR, ECOCOMP_NEWCOMER, ECOCOMP_LOCKOUT
//                             user:password of a viewer, a finance officer, a surveyor, a user
//                             who must change the initial password, and a user to lock out
//   ECOCOMP_NEW_PASSWORD      the password the newcomer changes to (it must follow the rules)
//   ECOCOMP_ROLL_YEAR         the roll's year; ECOCOMP_ROLL_TOWNSHIP a township code whose roll
//                             has more than one page (100 rows)
//   ECOCOMP_ROLL_ID           an owner's full ID number on that roll's first page, as finance
//                             reads it; ECOCOMP_ROLL_ID_MASKED the same as a viewer reads it
//   ECOCOMP_ARTIFACTS         where screenshots go (default web/test/artifacts)
//   CHROMIUM                  the browser (default /usr/bin/chromium)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const account = (name) => {
  const v = env(name);
  const i = v.indexOf(':');
  if (i < 1) throw new Error(`${name} must be user:password`);
  return { user: v.slice(0, i), password: v.slice(i + 1) };
};
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));
const IDLE_MS = 30_000;
const TEST_MS = 120_000;

const browser = useBrowser(ARTIFACTS);

// open opens base in a fresh context (no cookies) and waits until the page decided what to show.
async function open(t, base = BASE) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => {
    // 401 on GET /api/v1/me is how an anonymous visitor is recognised; the browser logs it.
    if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('GPU stall')) log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  t.after(async () => {
    for (const line of log.slice(0, 20)) t.diagnostic(line);
    await context.close();
  });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body:not([data-auth=unknown])', { timeout: IDLE_MS });
  return { page, log };
}

async function mapReady(page) {
  await page.waitForSelector('body[data-map-state=ready]', { timeout: IDLE_MS }).catch(async (e) => {
    const state = await page.evaluate(() => document.body.dataset.mapState + ' / banner: ' + document.querySelector('#banner')?.textContent);
    throw new Error(`the map never became ready (${state}): ${e.message}`);
  });
}

async function text(page, selector) { return ((await page.locator(selector).textContent()) ?? '').trim(); }

async function shot(t, page, name) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

// signIn fills the sign-in page (which must be showing) and submits it.
async function signIn(page, { user, password }) {
  await page.waitForSelector('#signin-form:visible', { timeout: IDLE_MS });
  await page.fill('#signin-user', user);
  await page.fill('#signin-password', password);
  await page.click('#signin-go');
}

async function signedInAs(page, user) {
  await page.waitForSelector(`body[data-auth=signed-in] #account[data-user="${user}"]`, { timeout: IDLE_MS });
}

async function signOut(page) {
  await page.click('#signout');
  await page.waitForSelector('body:not([data-auth=signed-in])', { timeout: IDLE_MS });
}

// openRoll shows the roll of a township (the list comes from the township tiles) and waits for it.
async function openRoll(page, township) {
  await page.waitForSelector(`#roll-township option[value="${township}"]`, { state: 'attached', timeout: IDLE_MS });
  await page.selectOption('#roll-township', township);
  await page.click('#roll-show');
  await page.waitForSelector(`#roll-view:is([data-state=ready],[data-state=error])[data-township="${township}"]`, { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('#roll-view', 'data-state'), 'ready', await text(page, '#roll-view'));
}

const idCells = (page) => page.$$eval('#roll-table td.id-number', (tds) => tds.map((td) => td.textContent.trim()));

// download clicks a link and returns the saved file's path and suggested name.
async function download(page, selector, name) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: IDLE_MS }), page.click(selector)]);
  const path = join(ARTIFACTS, name);
  await dl.saveAs(path);
  assert.equal(await dl.failure(), null, `download ${selector} failed`);
  return { path, name: dl.suggestedFilename() };
}

test('a viewer sees the roll masked, finance unmasked, and a wrong password is refused in Chinese', { timeout: TEST_MS * 2 }, async (t) => {
  const viewer = account('ECOCOMP_VIEWER');
  const finance = account('ECOCOMP_FINANCE');
  const township = env('ECOCOMP_ROLL_TOWNSHIP');
  const fullID = env('ECOCOMP_ROLL_ID');
  const maskedID = env('ECOCOMP_ROLL_ID_MASKED');
  assert.notEqual(fullID, maskedID, 'the masked and the full ID number are the same');

  // Anonymous reading: the map with a 登录 button, no user, no import panel.
  const { page, log } = await open(t);
  await mapReady(page);
  assert.equal(await page.getAttribute('body', 'data-auth'), 'anonymous');
  assert.ok(await page.locator('#signin-open').isVisible(), 'no sign-in button for an anonymous visitor');
  assert.equal(await text(page, '#signin-open'), '登录');
  assert.ok(!(await page.locator('#import').isVisible()), 'the import panel is shown to an anonymous visitor');

  // The sign-in page, in Chinese; a wrong password is refused with a Chinese message.
  await page.click('#signin-open');
  await page.waitForSelector('body[data-view=signin] #signin-form:visible', { timeout: IDLE_MS });
  assert.ok(!(await page.locator('#map').isVisible()), 'the map is still visible behind the sign-in page');
  assert.match(await text(page, '#signin-form h2'), /登录/);
  assert.ok(await page.locator('#signin-cancel').isVisible(), 'a visitor who may read anonymously cannot go back to the map');
  await signIn(page, { user: viewer.user, password: viewer.password + '-wrong' });
  await page.waitForSelector('#signin-form[data-state=error]', { timeout: IDLE_MS });
  assert.equal(await text(page, '#signin-msg'), '用户名或密码错误。');
  assert.equal(await page.inputValue('#signin-password'), '', 'the wrong password stays in the field');
  await shot(t, page, 'auth-signin-wrong.png');

  // Signed in as a viewer: name and role in the top bar, no import panel, the roll masked.
  await page.fill('#signin-user', viewer.user);
  await page.fill('#signin-password', viewer.password);
  await page.click('#signin-go');
  await signedInAs(page, viewer.user);
  await page.waitForSelector('body[data-view=map]', { timeout: IDLE_MS });
  const who = await page.evaluate(() => window.ecocomp.session.user);
  assert.deepEqual(who.roles, ['viewer']);
  assert.equal(await text(page, '#account-name'), who.display_name);
  assert.equal(await text(page, '#account-roles'), '查看员');
  assert.ok(await page.locator('#signout').isVisible(), 'no 退出 button');
  assert.ok(!(await page.locator('#signin-open').isVisible()), 'the sign-in button is still shown');
  assert.ok(!(await page.locator('#import').isVisible()), 'the import panel is shown to a viewer');
  assert.ok(!(await page.locator('#roll-mask').isVisible()), 'a viewer is offered the finance-only masked-roll switch');

  await openRoll(page, township);
  assert.equal(await page.getAttribute('#roll-view', 'data-masked'), 'true');
  assert.equal(await text(page, '#roll-badge'), '已脱敏');
  const masked = await idCells(page);
  t.diagnostic(`viewer: ${masked.length} ID numbers on page 1, e.g. ${masked.slice(0, 3).join(', ')}`);
  assert.ok(masked.length > 0, 'the roll table has no rows');
  assert.ok(masked.includes(maskedID), `the masked ID ${maskedID} is not on the first page`);
  assert.ok(!masked.includes(fullID), 'a viewer sees the full ID number');
  // Persons' ID numbers and organisations' credit codes alike keep at most 6 + 4 characters.
  for (const id of masked) if (id !== '—') assert.match(id, /^(?:[0-9A-Z]{0,6}\*{4,}[0-9A-Z]{4}|\*{4})$/, `ID number ${id} is not masked`);
  // Village subtotals and the total, as the server sums them.
  const roll = await page.evaluate(async (q) => (await fetch(`/api/v1/subsidy-roll?${q}`)).json(),
    new URLSearchParams({ year: env('ECOCOMP_ROLL_YEAR'), township, format: 'json' }).toString());
  assert.equal(roll.masked, true);
  assert.ok(await page.locator('#roll-table tr.subtotal').count() >= 1, 'no village subtotal');
  assert.equal((await text(page, '#roll-total')).replace(/,/g, ''), Number(roll.total_yuan).toFixed(2), 'the total differs from the server\'s');
  // The roll pays the owners' share and totals the county's part separately.
  assert.equal((await text(page, '#roll-paid')).replace(/,/g, ''), Number(roll.owner_total_yuan).toFixed(2), 'the paid total differs from the server\'s');
  assert.equal((await text(page, '#roll-retained')).replace(/,/g, ''), Number(roll.county_retained_total_yuan).toFixed(2));
  await shot(t, page, 'auth-roll-viewer.png');

  // Bounded: 100 rows a page; the last page ends with the last village's subtotal.
  const pages = Number(await page.getAttribute('#roll-view', 'data-pages'));
  assert.equal(pages, Math.ceil(roll.rows.length / 100), `${roll.rows.length} rows on ${pages} pages`);
  assert.ok(pages >= 2, `the roll of ${township} has only ${roll.rows.length} rows: pick a township with more than 100`);
  assert.equal(await page.locator('#roll-table tr.roll-row').count(), 100);
  await page.click('#roll-next');
  await page.waitForSelector('#roll-view[data-page="2"]', { timeout: IDLE_MS });
  const lastVillage = roll.villages[roll.villages.length - 1].code;
  if (pages === 2) assert.equal(await page.getAttribute('#roll-table tbody tr:last-child', 'data-village'), lastVillage);

  // The CSV download is masked as well (a plain link: the browser streams it).
  assert.match(await page.getAttribute('#rv-csv', 'href'), /format=csv/);
  const csv = await download(page, '#rv-csv', 'auth-roll-viewer.csv');
  const csvText = await readFile(csv.path, 'utf8');
  assert.match(csv.name, /\.csv$/);
  assert.ok(csvText.includes(maskedID), 'the viewer\'s CSV lacks the masked ID number');
  assert.ok(!csvText.includes(fullID), 'the viewer\'s CSV holds the full ID number');

  // Sign out: the roll is gone and the page is anonymous again.
  await signOut(page);
  assert.equal(await page.getAttribute('body', 'data-auth'), 'anonymous');
  assert.ok(await page.locator('#roll-view').isHidden(), 'the roll stays open after signing out');
  assert.ok(await page.locator('#signin-open').isVisible());

  // Finance: the roll unmasked, with the audit badge; the xlsx link downloads.
  await page.click('#signin-open');
  await signIn(page, finance);
  await signedInAs(page, finance.user);
  assert.equal(await text(page, '#account-roles'), '财务');
  assert.ok(!(await page.locator('#import').isVisible()), 'the import panel is shown to finance');
  await openRoll(page, township);
  assert.equal(await page.getAttribute('#roll-view', 'data-masked'), 'false');
  assert.equal(await text(page, '#roll-badge'), '未脱敏（已记录审计）');
  const full = await idCells(page);
  t.diagnostic(`finance: ${full.length} ID numbers on page 1, ${full.filter((id) => id.includes('*')).length} of them masked`); // no personal data in the log
  assert.ok(full.includes(fullID), `finance does not see the full ID number ${fullID}`);
  assert.ok(!full.some((id) => id.includes('*')), 'finance sees masked ID numbers');
  await shot(t, page, 'auth-roll-finance.png');
  const xlsx = await download(page, '#rv-xlsx', 'auth-roll-finance.xlsx');
  assert.match(xlsx.name, /\.xlsx$/);
  assert.ok((await stat(xlsx.path)).size > 1000, 'the xlsx download is (nearly) empty');
  assert.equal((await readFile(xlsx.path)).subarray(0, 2).toString(), 'PK', 'the xlsx download is not a workbook');
  const csvFull = await readFile((await download(page, '#rv-csv', 'auth-roll-finance.csv')).path, 'utf8');
  assert.ok(csvFull.includes(fullID), 'finance\'s CSV lacks the full ID number');

  // Finance may ask for the masked roll (to post it publicly); the links follow.
  assert.ok(await page.locator('#roll-mask').isVisible(), 'finance has no masked-roll switch');
  await page.check('#roll-mask');
  await page.waitForSelector('#roll-view[data-state=ready][data-masked=true]', { timeout: IDLE_MS });
  assert.equal(await text(page, '#roll-badge'), '已脱敏');
  assert.ok((await idCells(page)).includes(maskedID), 'the masked roll finance asked for shows full ID numbers');
  assert.match(await page.getAttribute('#rv-xlsx', 'href'), /masked=true/);
  await page.uncheck('#roll-mask');
  await page.waitForSelector('#roll-view[data-state=ready][data-masked=false]', { timeout: IDLE_MS });

  // The English switch still works, on the account area and the roll too.
  await page.click('#lang-toggle');
  assert.equal(await text(page, '#roll-badge'), 'unmasked — this read is audited');
  assert.equal(await text(page, '#account-roles'), 'finance');
  assert.equal(await text(page, '#signout'), 'Sign out');
  await shot(t, page, 'auth-roll-finance-en.png');
  await page.click('#lang-toggle');
  assert.equal(await text(page, '#signout'), '退出');

  // The session ends behind the page's back (the cookie is gone, as after an idle timeout): the
  // server answers as to a visitor, the page notices, says so and drops the unmasked roll.
  await page.context().clearCookies();
  await page.click('#roll-show');
  await page.waitForSelector('body[data-auth=anonymous]', { timeout: IDLE_MS });
  assert.ok(await page.locator('#roll-view').isHidden(), 'finance\'s roll stays on screen after the session ended');
  assert.match(await text(page, '#banner'), /登录已失效/);
  assert.ok(await page.locator('#signin-open').isVisible());
  assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), [], 'the page threw');
});

test('a surveyor sees the import panel and follows a dry run to its report', { timeout: TEST_MS }, async (t) => {
  const surveyor = account('ECOCOMP_SURVEYOR');
  const { page } = await open(t);
  await page.click('#signin-open');
  await signIn(page, surveyor);
  await signedInAs(page, surveyor.user);
  assert.match(await text(page, '#account-roles'), /调查员/);
  await page.waitForSelector('#import:visible', { timeout: IDLE_MS });
  assert.ok(await page.isChecked('#im-dry'), 'a dry run is not the default');

  // Nothing chosen: the panel says so instead of uploading.
  await page.click('#im-go');
  await page.waitForSelector('#import[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#im-result'), /请选择/);

  // A one-parcel GeoJSON that lacks the parcel fields: the dry run ends (rejected, most likely)
  // and its report is shown.
  const geojson = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { NAME: 'test' },
    geometry: { type: 'Polygon', coordinates: [[[117.8, 29.2], [117.801, 29.2], [117.801, 29.201], [117.8, 29.201], [117.8, 29.2]]] } }] });
  await page.setInputFiles('#im-file', { name: 'browser-test.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(geojson) });
  await page.click('#im-go');
  await page.waitForSelector('#import:is([data-state=done],[data-state=error])', { timeout: 90_000 });
  const status = await page.getAttribute('#import', 'data-status');
  t.diagnostic(`import status ${status}: ${await text(page, '#im-result')}`);
  assert.equal(await page.getAttribute('#import', 'data-state'), 'done', await text(page, '#im-result'));
  assert.ok(['dry_run', 'rejected'].includes(status), `the dry run ended ${status}`);
  assert.match(await text(page, '#im-result .im-status'), /试运行完成|已拒绝/);
  assert.ok((await text(page, '#im-text')).length > 20, 'no text report');
  await page.locator('#import').scrollIntoViewIfNeeded();
  await shot(t, page, 'auth-import.png');
});

test('a user with an initial password must change it first', { timeout: TEST_MS }, async (t) => {
  const newcomer = account('ECOCOMP_NEWCOMER');
  const next = env('ECOCOMP_NEW_PASSWORD');
  const { page } = await open(t);
  await page.click('#signin-open');
  await signIn(page, newcomer);
  await page.waitForSelector('body[data-view=password] #password-form[data-forced=true]:visible', { timeout: IDLE_MS });
  assert.ok(!(await page.locator('#map').isVisible()), 'the map is visible before the password is changed');
  assert.ok(!(await page.locator('#pw-cancel').isVisible()), 'the forced change can be cancelled');
  assert.match(await text(page, '#pw-intro'), /初始密码/);

  // Two different new passwords are caught before asking the server.
  await page.fill('#pw-current', newcomer.password);
  await page.fill('#pw-new', next);
  await page.fill('#pw-repeat', next + 'x');
  await page.click('#pw-go');
  await page.waitForSelector('#password-form[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#pw-msg'), /不一致/);

  // The server checks the current password, and the rules: its reasons are shown in Chinese.
  const refusal = async (current, pw) => {
    await page.fill('#pw-current', current);
    await page.fill('#pw-new', pw);
    await page.fill('#pw-repeat', pw);
    await page.evaluate(() => { document.querySelector('#password-form').dataset.state = 'idle'; });
    await page.click('#pw-go');
    await page.waitForSelector('#password-form[data-state=error]', { timeout: IDLE_MS });
    return text(page, '#pw-msg');
  };
  assert.equal(await refusal('not-' + newcomer.password, next), '当前密码不正确。');
  assert.match(await refusal(newcomer.password, 'Short-1'), /^新密码不符合规则：只有 7 个字符，至少需要 \d+ 个。$/);
  assert.match(await refusal(newcomer.password, 'onlylowercaseletters'), /^新密码不符合规则：只用了 1 类字符，至少需要 \d 类/);
  t.diagnostic(`rejected: ${await text(page, '#pw-msg')}`);
  await shot(t, page, 'auth-password-rules.png');

  await page.fill('#pw-new', next);
  await page.fill('#pw-repeat', next);
  await page.click('#pw-go');
  await page.waitForSelector(`body[data-view=map][data-auth=signed-in] #account[data-user="${newcomer.user}"]`, { timeout: IDLE_MS });
  await mapReady(page);
  assert.equal(await page.evaluate(() => window.ecocomp.session.user.must_change_password), false);
  assert.match(await text(page, '#banner'), /密码已修改/);
  await shot(t, page, 'auth-password-changed.png');

  // The new password works for the next sign-in; the old one no longer does.
  await signOut(page);
  await page.click('#signin-open');
  await signIn(page, newcomer);
  await page.waitForSelector('#signin-form[data-state=error]', { timeout: IDLE_MS });
  await signIn(page, { user: newcomer.user, password: next });
  await signedInAs(page, newcomer.user);
  await page.waitForSelector('body[data-view=map]', { timeout: IDLE_MS });
});

test('repeated wrong passwords lock the account, and the page says for how long', { timeout: TEST_MS }, async (t) => {
  const locked = account('ECOCOMP_LOCKOUT');
  const { page } = await open(t);
  await page.click('#signin-open');
  let msg = '';
  for (let i = 0; i < 12 && !msg.includes('锁定'); i++) {
    await signIn(page, { user: locked.user, password: `wrong-${i}` });
    await page.waitForSelector('#signin-form[data-state=error]', { timeout: IDLE_MS });
    msg = await text(page, '#signin-msg');
    await page.evaluate(() => { document.querySelector('#signin-form').dataset.state = 'idle'; });
  }
  t.diagnostic(`after repeated failures: ${msg}`);
  assert.match(msg, /账户已暂时锁定/);
  // Locked means locked: the right password is refused as well until the lock ages out.
  await signIn(page, locked);
  await page.waitForSelector('#signin-form[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#signin-msg'), /锁定/);
  await shot(t, page, 'auth-locked.png');
});

test('without anonymous reading the sign-in page comes first', { timeout: TEST_MS }, async (t) => {
  const viewer = account('ECOCOMP_VIEWER');
  const base = env('ECOCOMP_URL_SIGNIN').replace(/\/$/, '');
  const { page, log } = await open(t, base);
  await page.waitForSelector('body[data-view=signin] #signin-form:visible', { timeout: IDLE_MS });
  assert.equal(await page.getAttribute('body', 'data-auth'), 'anonymous');
  assert.equal(await page.getAttribute('body', 'data-map-state'), 'loading', 'the map started without a session');
  assert.equal(await page.evaluate(() => window.ecocompMap === undefined), true, 'the map was built before signing in');
  assert.ok(!(await page.locator('#signin-cancel').isVisible()), 'the sign-in page offers the map without signing in');
  assert.ok(!(await page.locator('#search').isVisible()), 'the search is shown on the sign-in page');
  assert.match(await text(page, '#signin-form h2'), /登录/);
  await shot(t, page, 'auth-signin-required.png');

  await signIn(page, { user: viewer.user, password: 'not-' + viewer.password });
  await page.waitForSelector('#signin-form[data-state=error]', { timeout: IDLE_MS });
  assert.equal(await text(page, '#signin-msg'), '用户名或密码错误。');

  await signIn(page, viewer);
  await signedInAs(page, viewer.user);
  await mapReady(page);
  const parcels = await page.evaluate(() => window.ecocompMap.getSource('townships') !== undefined);
  assert.ok(parcels, 'the map has no township source after signing in');
  await openRoll(page, env('ECOCOMP_ROLL_TOWNSHIP'));
  assert.equal(await page.getAttribute('#roll-view', 'data-masked'), 'true');
  await shot(t, page, 'auth-signin-required-map.png');

  // A session that ends behind the page's back leads to the sign-in page, which says why.
  await page.context().clearCookies();
  await page.click('#roll-show');
  await page.waitForSelector('body[data-view=signin] #signin-form:visible', { timeout: IDLE_MS });
  assert.equal(await text(page, '#signin-notice'), '登录已失效，请重新登录。');
  assert.ok(await page.locator('#roll-view').isHidden());
  await shot(t, page, 'auth-session-ended.png');

  // Signing out leads back to the sign-in page, with nothing of the roll left.
  await signIn(page, viewer);
  await signedInAs(page, viewer.user);
  await page.waitForSelector('body[data-view=map]', { timeout: IDLE_MS });
  await signOut(page);
  await page.waitForSelector('body[data-view=signin] #signin-form:visible', { timeout: IDLE_MS });
  assert.ok(await page.locator('#roll-view').isHidden());
  assert.ok(await page.locator('#signin-notice').isHidden(), 'a plain sign-out says the session ended');
  assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), [], 'the page threw');
});
