// Shared by the browser tests: their environment, Debian's chromium with the flags of
// WEBMAP-NOTES.md, and a fresh context per test.
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
