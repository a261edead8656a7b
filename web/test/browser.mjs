// Shared by the browser tests: their environment, Debian's chromium with the flags of
// WEBMAP-NOTES.md, a fresh context per test, signing in, and waiting for the map to settle.
import { before, after } from 'node:test';
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';

// env reads a variable the Go test passes in, failing with where to look when it is missing.
export function env(script, name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set; see the comment at the top of ${script}`);
  return v;
}

// Never --disable-software-rasterizer or --use-gl=disabled: MapLibre 6 needs WebGL2, which
// SwiftShader provides here.
// How long a page may take to show what a test waits for (the machine is shared: be generous).
export const IDLE_MS = 30_000;

const FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'];

// useBrowser launches chromium before the tests (and makes artifacts, the screenshot folder) and
// closes it after; newContext opens a fresh context (no cookies) on the launched browser.
export function useBrowser(artifacts) {
  let browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS, timeout: 60_000 });
    await mkdir(artifacts, { recursive: true });
  });
  after(async () => { if (browser) await browser.close(); });
  process.on('exit', () => { try { browser?.process()?.kill('SIGKILL'); } catch { /* already gone */ } });
  return {
    newContext: () => browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: 'zh-CN' }),
  };
}

// signIn opens the map at base in a fresh context and signs account ("user:password") in with
// the 登录 button, then waits for the map and for the selector ready. Console errors and warnings
// are told after the test t; map errors (a layer that failed) are pushed on errors.
export async function signIn(t, browser, { base, account, ready, errors }) {
  const at = account.indexOf(':');
  if (at < 1) throw new Error(`${account} must be user:password`);
  const who = { user: account.slice(0, at), password: account.slice(at + 1) };
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('GPU stall')) log.push(`${who.user} console.${m.type()}: ${m.text()}`);
    if (m.text().startsWith('map error:')) errors.push(`${who.user}: ${m.text()}`);
  });
  page.on('pageerror', (e) => { log.push(`${who.user} pageerror: ${e.message}`); errors.push(e.message); });
  t.after(async () => {
    for (const line of log.slice(0, 20)) t.diagnostic(line);
    await context.close();
  });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-auth=anonymous]', { timeout: IDLE_MS });
  await page.click('#signin-open');
  await page.fill('#signin-user', who.user);
  await page.fill('#signin-password', who.password);
  await page.click('#signin-go');
  await page.waitForSelector(`body[data-auth=signed-in] #account[data-user="${who.user}"]`, { timeout: IDLE_MS });
  await page.waitForSelector('body[data-map-state=ready]', { timeout: IDLE_MS });
  await page.waitForSelector(ready, { timeout: IDLE_MS });
  return { page, user: who.user };
}

// waitIdle waits until the map has drawn everything it was asked to.
export async function waitIdle(page) {
  await page.evaluate((ms) => new Promise((res, rej) => {
    const map = window.ecocompMap;
    const timer = setTimeout(() => rej(new Error('map not idle after ' + ms + ' ms')), ms);
    map.once('idle', () => { clearTimeout(timer); res(); });
    map.triggerRepaint();
  }), IDLE_MS);
}
