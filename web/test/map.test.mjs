// Browser tests of the ecocomp web map: Debian's chromium driven by playwright-core.
//
//   ECOCOMP_URL=http://127.0.0.1:8080 ECOCOMP_ELIGIBLE_CODE=… node web/test/map.test.mjs
//
// internal/httpapi/web_test.go seeds a county, starts the server and runs this with:
//   ECOCOMP_URL               the server
//   ECOCOMP_ELIGIBLE_CODE     a buyout-eligible parcel; ECOCOMP_ELIGIBLE_LON/_LAT a point inside it
//   ECOCOMP_ELIGIBLE_COUNT    how many current parcels are eligible (the eligible-only export)
//   ECOCOMP_SEARCH_CODE       another parcel, far from the first, to search for
//   ECOCOMP_CORE_POLYGON      JSON ring [[lon,lat],…] lying inside a nature-reserve core zone
//   ECOCOMP_CORE_ZONE         that zone's name
//   ECOCOMP_ARTIFACTS         where screenshots go (default web/test/artifacts)
//   CHROMIUM                  the browser (default /usr/bin/chromium)
// Every test fails when its feature is broken: no map pixels, no names on the map (or glyphs not
// from the server), no panel, no fly-to, no verdict, no download or the wrong count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env as sharedEnv, useBrowser } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => sharedEnv(fileURLToPath(import.meta.url), name, fallback);
const BASE = env('ECOCOMP_URL').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.ECOCOMP_ARTIFACTS || join(here, 'artifacts'));
const IDLE_MS = 30_000;
const TEST_MS = 60_000;

const browser = useBrowser(ARTIFACTS);

// openMap opens the map and waits until it has loaded and rendered its first idle frame.
async function openMap(t, query = '', prepare = async () => {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await prepare(page);
  const log = [];
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('GPU stall')) log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  const glyphs = [];
  page.on('response', (r) => { if (r.url().includes('/fonts/')) glyphs.push({ url: r.url(), status: r.status() }); });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (!why.includes('ERR_ABORTED')) log.push(`requestfailed: ${r.url()} ${why}`); // tiles cancelled by a move
  });
  t.after(async () => {
    for (const line of log.slice(0, 20)) t.diagnostic(line);
    await context.close();
  });
  await page.goto(`${BASE}/${query}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-map-state=ready]', { timeout: IDLE_MS }).catch(async (e) => {
    const state = await page.evaluate(() => document.body.dataset.mapState + ' / banner: ' + document.querySelector('#banner')?.textContent);
    throw new Error(`the map never became ready (${state}): ${e.message}\n${log.join('\n')}`);
  });
  await waitIdle(page);
  return { page, log, glyphs };
}

// waitIdle waits for the map to finish moving and loading tiles, then render once more.
async function waitIdle(page) {
  await page.evaluate((ms) => new Promise((resolve, reject) => {
    const map = window.ecocompMap;
    const timer = setTimeout(() => reject(new Error('map not idle after ' + ms + ' ms')), ms);
    map.once('idle', () => { clearTimeout(timer); resolve(); });
    map.triggerRepaint();
  }), IDLE_MS);
}

async function jumpTo(page, center, zoom) {
  await page.evaluate(({ center, zoom }) => window.ecocompMap.jumpTo({ center, zoom }), { center, zoom });
  await waitIdle(page);
}

// screenPoint is the page pixel of a lon/lat on the map.
async function screenPoint(page, lngLat) {
  const box = await page.locator('#map').boundingBox();
  const p = await page.evaluate((ll) => { const q = window.ecocompMap.project(ll); return { x: q.x, y: q.y }; }, lngLat);
  assert.ok(p.x > 0 && p.y > 0 && p.x < box.width && p.y < box.height, `point ${lngLat} projects outside the map (${p.x}, ${p.y})`);
  return { x: box.x + p.x, y: box.y + p.y };
}

async function text(page, selector) { return (await page.locator(selector).textContent()) ?? ''; }

test('the map renders the county with its layers', { timeout: TEST_MS }, async (t) => {
  const { page, log } = await openMap(t);
  const shot = join(ARTIFACTS, 'map.png');
  await page.screenshot({ path: shot });
  t.diagnostic(`screenshot: ${shot}`);

  // Read the WebGL canvas back and count colours: a blank or background-only map has one or two.
  const pixels = await page.evaluate(async () => {
    const src = window.ecocompMap.getCanvas();
    const url = src.toDataURL('image/png');
    const img = new Image();
    await new Promise((res, rej) => { img.onload = res; img.onerror = rej; img.src = url; });
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 16) { // every 4th pixel is plenty
      const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    const total = d.length / 16;
    const top = Math.max(...counts.values());
    return { width: c.width, height: c.height, colours: counts.size, dominantShare: top / total, dataURLLength: url.length };
  });
  await writeFile(join(ARTIFACTS, 'map-pixels.json'), JSON.stringify(pixels, null, 2));
  t.diagnostic(`canvas ${pixels.width}×${pixels.height}: ${pixels.colours} colours, dominant colour ${(pixels.dominantShare * 100).toFixed(1)} %`);
  assert.ok(pixels.width > 100 && pixels.height > 100, 'the map canvas has no size');
  assert.ok(pixels.colours >= 20, `the map canvas is (nearly) blank: ${pixels.colours} distinct colours`);
  assert.ok(pixels.dominantShare < 0.9, `one colour fills ${(pixels.dominantShare * 100).toFixed(1)} % of the map`);

  // Features of every layer came from the vector tiles and were drawn: the county view shows
  // the boundaries and zones; parcels appear from their source's minimum zoom on.
  const count = () => page.evaluate(() => {
    const m = window.ecocompMap;
    const n = (layer) => m.queryRenderedFeatures({ layers: [layer] }).length;
    return { county: n('county-line'), townships: n('townships-line'), zones: n('zones-fill'), protected_areas: n('protected_areas-line'),
      parcels: n('parcels-fill'), eligible: m.queryRenderedFeatures({ layers: ['parcels-fill'], filter: ['==', ['get', 'status'], 'eligible'] }).length };
  });
  const county = await count();
  t.diagnostic(`rendered at the county view (zoom ${(await page.evaluate(() => window.ecocompMap.getZoom())).toFixed(2)}): ${JSON.stringify(county)}`);
  for (const layer of ['county', 'townships', 'zones', 'protected_areas']) assert.ok(county[layer] >= 1, `no ${layer} features rendered`);

  const parcelZoom = Math.max(13, await page.evaluate(() => window.ecocompMap.getSource('parcels').minzoom));
  await jumpTo(page, [Number(env('ECOCOMP_ELIGIBLE_LON')), Number(env('ECOCOMP_ELIGIBLE_LAT'))], parcelZoom);
  const near = await count();
  t.diagnostic(`rendered at zoom ${parcelZoom} around the eligible parcel: ${JSON.stringify(near)}`);
  assert.ok(near.parcels >= 1, 'no parcels rendered');
  assert.ok(near.eligible >= 1, 'no parcel is drawn with the eligible status');
  await page.screenshot({ path: join(ARTIFACTS, 'map-parcels.png') });

  // The legend lists the regimes and statuses, and the demonstration-data note is visible.
  const legend = await text(page, '#legend');
  for (const word of ['核心区', '缓冲区', '实验区', '保育区', '可赎买', '公益林']) assert.ok(legend.includes(word), `legend lacks ${word}`);
  assert.ok(await page.locator('#demo-note').isVisible(), 'the demonstration-data note is not visible');
  assert.match(await text(page, '#demo-note'), /演示数据/);

  // A legend toggle hides its layers.
  await page.locator('#legend input[data-group=parcels]').uncheck();
  assert.equal(await page.evaluate(() => window.ecocompMap.getLayoutProperty('parcels-fill', 'visibility')), 'none');

  // The English switch translates the interface.
  await page.locator('#lang-toggle').click();
  assert.match(await text(page, '#legend'), /Core zone|core zone/);
  assert.match(await text(page, 'h1'), /Wuyuan/);

  const errors = log.filter((l) => l.startsWith('pageerror'));
  assert.deepEqual(errors, [], 'the page threw');
});

test('the map writes names with the server\'s glyphs: townships, villages, protected areas, parcel numbers', { timeout: TEST_MS }, async (t) => {
  const { page, log, glyphs } = await openMap(t);
  const { townships } = await (await fetch(`${BASE}/api/v1/townships`)).json();
  const names = (layer) => page.evaluate((l) => [...new Set(window.ecocompMap.queryRenderedFeatures({ layers: [l] }).map((f) => f.properties.name))], layer);

  // The county view writes township names, drawn from the server's font.
  const shown = await names('labels-township');
  t.diagnostic(`township names at the county view: ${shown.join(' ')}`);
  assert.ok(shown.length >= Math.min(5, townships.length), `only ${shown.length} township names drawn`);
  for (const n of shown) assert.ok(townships.some((tw) => tw.name === n), `${n} is not a township of the API`);
  await page.screenshot({ path: join(ARTIFACTS, 'map-labels-county.png') });

  // Closer in: village names and the protected areas' names; closer still, parcel numbers.
  const lngLat = [Number(env('ECOCOMP_ELIGIBLE_LON')), Number(env('ECOCOMP_ELIGIBLE_LAT'))];
  await jumpTo(page, lngLat, 12);
  const villages = await names('labels-village');
  t.diagnostic(`village names at zoom 12: ${villages.join(' ')}`);
  assert.ok(villages.length >= 1, 'no village names at zoom 12');
  assert.ok(villages.every((n) => /[\u4e00-\u9fff]/.test(n)), `village names are not Chinese: ${villages}`);
  await page.screenshot({ path: join(ARTIFACTS, 'map-labels-villages.png') });
  await jumpTo(page, lngLat, 15.5);
  const parcels = await names('labels-parcel');
  t.diagnostic(`parcel numbers at zoom 15.5: ${parcels.join(' ')}`);
  assert.ok(parcels.length >= 1, 'no parcel numbers at zoom 15.5');
  assert.ok(parcels.every((n) => /^\d+-\d+$/.test(n)), `parcel labels are not 林班-小班: ${parcels}`);
  const areas = await page.evaluate(async () => {
    const m = window.ecocompMap;
    const out = new Set();
    for (const z of [10, 11, 12]) {
      m.jumpTo({ zoom: z });
      await new Promise((r) => { m.once('idle', r); m.triggerRepaint(); });
      for (const f of m.queryRenderedFeatures({ layers: ['labels-protected_area'] })) out.add(f.properties.name);
    }
    return [...out];
  });
  t.diagnostic(`protected-area names seen at zooms 10–12 around the parcel: ${areas.join(' ')}`);
  // The eligible parcel lies in a pilot area (a reserve or the wetland park): its name shows.
  assert.ok(areas.length >= 1, 'no protected-area name around an eligible parcel');

  // Every glyph range came from this server, CJK ranges included, and none failed: MapLibre
  // would otherwise draw from local fonts and warn "Unable to load glyph range".
  t.diagnostic(`glyph ranges fetched: ${glyphs.length}`);
  assert.ok(glyphs.length >= 2, 'no glyph ranges were fetched from the server');
  for (const g of glyphs) {
    assert.ok(g.url.startsWith(`${BASE}/fonts/`), `glyphs from elsewhere: ${g.url}`);
    assert.equal(g.status, 200, `glyph range ${g.url} answered ${g.status}`);
  }
  const start = (u) => Number(/\/(\d+)-\d+\.pbf/.exec(u)[1]);
  assert.ok(glyphs.some((g) => start(g.url) >= 0x4e00 && start(g.url) < 0xa000), 'no CJK range was fetched: ideographs were drawn locally');
  assert.ok(glyphs.some((g) => start(g.url) === 0), 'the Latin range (digits of parcel numbers) was not fetched');
  const glyphTrouble = log.filter((l) => /glyph|\/fonts\/|404/i.test(l));
  assert.deepEqual(glyphTrouble, [], 'glyph errors in the console');
});

test('clicking an eligible parcel shows its code and eligibility reasons', { timeout: TEST_MS }, async (t) => {
  const code = env('ECOCOMP_ELIGIBLE_CODE');
  const lngLat = [Number(env('ECOCOMP_ELIGIBLE_LON')), Number(env('ECOCOMP_ELIGIBLE_LAT'))];
  const { page } = await openMap(t);
  await jumpTo(page, lngLat, 15);
  const p = await screenPoint(page, lngLat);
  await page.mouse.click(p.x, p.y);

  await page.waitForSelector(`#panel[data-state=ready][data-code="${code}"]`, { timeout: IDLE_MS });
  await page.waitForSelector('#eligibility[data-state=ready]', { timeout: IDLE_MS });
  await page.waitForSelector('#subsidies:is([data-state=ready],[data-state=error])', { timeout: IDLE_MS });
  await page.screenshot({ path: join(ARTIFACTS, 'parcel-panel.png') });

  const panel = await text(page, '#panel');
  assert.ok(panel.includes(code), 'the panel does not show the parcel code');
  assert.match(panel, /法定面积/, 'no legal area');
  assert.match(panel, /计算面积/, 'no computed area');
  assert.match(panel, /森林类别/, 'no labelled attributes');

  assert.equal(await page.getAttribute('#eligibility', 'data-eligible'), 'true');
  assert.match(await text(page, '#eligibility .verdict'), /✓\s*符合赎买条件/);
  const rules = await page.$$eval('#eligibility .rules li', (lis) => lis.map((li) => ({
    id: li.dataset.rule, passed: li.dataset.passed, mark: li.querySelector('.mark')?.textContent, detail: li.querySelector('.detail')?.textContent ?? '',
  })));
  t.diagnostic(`rules: ${JSON.stringify(rules)}`);
  assert.ok(rules.length >= 3, `only ${rules.length} eligibility rules shown`);
  for (const r of rules) {
    assert.equal(r.passed, 'true', `rule ${r.id} of an eligible parcel is not shown as passed`);
    assert.equal(r.mark, '✓');
    assert.ok(r.detail.trim().length > 10, `rule ${r.id} has no reason`);
  }
  // The reasons are the server's sentences, rule by rule (in Chinese in the Chinese interface).
  const server = await (await fetch(`${BASE}/api/v1/parcels/${code}/eligibility`)).json();
  for (const r of server.rules) assert.ok(rules.some((x) => x.id === r.id && x.detail === r.detail_zh), `rule ${r.id} detail is not shown`);

  // Subsidy lines of the configured year with their total.
  assert.equal(await page.getAttribute('#subsidies', 'data-state'), 'ready', await text(page, '#subsidies'));
  const subsidy = await (await fetch(`${BASE}/api/v1/parcels/${code}/subsidies?year=2026`)).json();
  assert.equal(await page.locator('#subsidies tr.line').count(), subsidy.lines.length);
  assert.ok((await text(page, '#subsidies')).includes('合计'));
  // Every line shows its Chinese basis sentence (basis_zh), as eligibility shows detail_zh.
  const bases = await page.$$eval('#subsidies tr.basis td', (tds) => tds.map((td) => td.textContent.trim()));
  for (const l of subsidy.lines) assert.ok(l.basis_zh && bases.includes(l.basis_zh), `basis_zh of ${l.program} is not shown`);

  // A year without a policy gives the server's readable reason, not a blank.
  await page.selectOption('#subsidy-year', '2024');
  await page.waitForSelector('#subsidies[data-state=error][data-year="2024"]', { timeout: IDLE_MS });
  assert.match(await text(page, '#subsidies .error'), /2024/);

  // A click where no parcel is (outside the county) says so.
  await jumpTo(page, [117.2, 29.0], 12);
  const out = await screenPoint(page, [117.2, 29.0]);
  await page.mouse.click(out.x, out.y);
  await page.waitForFunction(() => document.querySelector('#panel').dataset.state === 'ready' && !document.querySelector('#panel').dataset.code, null, { timeout: IDLE_MS });
  assert.match(await text(page, '#panel'), /没有小班/);
});

test('searching a code flies to the parcel', { timeout: TEST_MS }, async (t) => {
  const code = env('ECOCOMP_SEARCH_CODE');
  const feature = await (await fetch(`${BASE}/api/v1/parcels/${code}`)).json();
  const coords = feature.geometry.coordinates.flat(2);
  const bbox = [Math.min(...coords.map((c) => c[0])), Math.min(...coords.map((c) => c[1])), Math.max(...coords.map((c) => c[0])), Math.max(...coords.map((c) => c[1]))];

  const { page } = await openMap(t);
  const before = await page.evaluate(() => window.ecocompMap.getCenter().toArray());
  assert.ok(!(before[0] >= bbox[0] && before[0] <= bbox[2] && before[1] >= bbox[1] && before[1] <= bbox[3]), 'the map starts inside the parcel; pick another');

  // Nothing found: the server's reason is shown.
  await page.fill('#search-input', '361130999999999999999');
  await page.press('#search-input', 'Enter');
  await page.waitForSelector('#search[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#search-msg'), /未找到/);

  await page.fill('#search-input', code);
  await page.press('#search-input', 'Enter');
  await page.waitForSelector(`#search[data-state=ready][data-code="${code}"]`, { timeout: IDLE_MS });
  await waitIdle(page);
  const view = await page.evaluate(() => ({ center: window.ecocompMap.getCenter().toArray(), zoom: window.ecocompMap.getZoom() }));
  t.diagnostic(`center ${view.center} zoom ${view.zoom.toFixed(2)}; parcel bbox ${bbox}`);
  const [lon, lat] = view.center;
  assert.ok(lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3], `map center ${view.center} is not inside the parcel's bbox ${bbox}`);
  assert.ok(view.zoom > 11, `zoom ${view.zoom} did not come closer`);
  await page.waitForSelector(`#panel[data-state=ready][data-code="${code}"]`, { timeout: IDLE_MS });
  await page.screenshot({ path: join(ARTIFACTS, 'search.png') });
});

test('a footprint drawn inside a core zone is forbidden for construction', { timeout: TEST_MS }, async (t) => {
  const ring = JSON.parse(env('ECOCOMP_CORE_POLYGON'));
  const zoneName = env('ECOCOMP_CORE_ZONE');
  const { page } = await openMap(t);
  await page.selectOption('#zc-activity', 'construction');

  const lons = ring.map((c) => c[0]), lats = ring.map((c) => c[1]);
  await page.evaluate((b) => window.ecocompMap.fitBounds(b, { padding: 150, duration: 0 }),
    [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]]);
  await waitIdle(page);

  await page.click('#zc-draw');
  await page.waitForSelector('#zonecheck[data-state=drawing]');
  const vertices = ring[0][0] === ring.at(-1)[0] && ring[0][1] === ring.at(-1)[1] ? ring.slice(0, -1) : ring;
  const points = [];
  for (const v of vertices) points.push(await screenPoint(page, v));
  for (const p of points) {
    await page.mouse.move(p.x, p.y, { steps: 3 });
    await page.mouse.click(p.x, p.y);
    await page.waitForTimeout(150);
  }
  await page.mouse.move(points[0].x, points[0].y, { steps: 3 });
  await page.mouse.click(points[0].x, points[0].y); // closes the polygon

  await page.waitForSelector('#zonecheck:is([data-state=ready],[data-state=error])', { timeout: IDLE_MS });
  const result = await text(page, '#zc-result');
  assert.equal(await page.getAttribute('#zonecheck', 'data-state'), 'ready', result);
  await waitIdle(page);
  await page.screenshot({ path: join(ARTIFACTS, 'zone-check.png') });

  assert.equal(await page.getAttribute('#zonecheck', 'data-verdict'), 'forbidden', result);
  assert.match(await text(page, '#zc-result .verdict'), /禁止/);
  const zones = await page.$$eval('#zc-result .zc-zones li', (lis) => lis.map((li) => ({ verdict: li.dataset.verdict, kind: li.dataset.zoneKind, text: li.textContent })));
  t.diagnostic(`zones: ${JSON.stringify(zones)}`);
  const core = zones.find((z) => z.kind === 'core');
  assert.ok(core, 'no core zone listed');
  assert.equal(core.verdict, 'forbidden');
  assert.match(core.text, /禁止/);
  assert.match(core.text, /条例/, 'no legal basis shown');

  // The touched zone is highlighted on the map.
  const hit = await page.evaluate(() => window.ecocompMap.queryRenderedFeatures({ layers: ['zones-hit'] }).map((f) => f.properties.name));
  assert.ok(hit.length >= 1, 'the touched zone is not highlighted');
  assert.ok(hit.includes(zoneName), `highlighted ${hit}, not ${zoneName}`);

  // Another activity re-checks the same footprint.
  await page.selectOption('#zc-activity', 'research');
  await page.waitForFunction(() => { const z = document.querySelector('#zonecheck'); return z.dataset.state === 'ready' && z.dataset.verdict !== 'forbidden'; }, null, { timeout: IDLE_MS }).catch(() => {});
  t.diagnostic(`research in the core zone: ${await page.getAttribute('#zonecheck', 'data-verdict')}`);

  // Clearing removes the highlight.
  await page.click('#zc-clear');
  await waitIdle(page);
  assert.equal(await page.evaluate(() => window.ecocompMap.queryRenderedFeatures({ layers: ['zones-hit'] }).length), 0);
});

test('export is a streamed download link of the current filter in either CRS', { timeout: TEST_MS }, async (t) => {
  const want = Number(env('ECOCOMP_ELIGIBLE_COUNT'));
  // The page must not read the export into memory: count the Blob URLs it makes.
  const { page } = await openMap(t, '', (p) => p.addInitScript(() => {
    const make = URL.createObjectURL;
    window.blobURLs = 0;
    URL.createObjectURL = (...args) => { window.blobURLs++; return make.apply(URL, args); };
  }));
  await page.check('#ex-eligible');

  async function download(crs) {
    await page.selectOption('#ex-crs', crs);
    const href = await page.getAttribute('#ex-go', 'href');
    assert.match(href, /^\/api\/v1\/export\/parcels\.geojson\?/, `the export link is ${href}`);
    assert.equal(new URL(href, BASE).searchParams.get('crs'), crs);
    const [dl] = await Promise.all([
      page.waitForEvent('download', { timeout: IDLE_MS }),
      page.click('#ex-go'),
    ]);
    const file = join(ARTIFACTS, `export-${crs.replace(':', '')}.geojson`);
    await dl.saveAs(file);
    await page.waitForSelector('#export[data-state=ready]', { timeout: IDLE_MS });
    t.diagnostic(`${crs}: ${dl.url()} → ${dl.suggestedFilename()} → ${file}`);
    assert.ok(dl.url().startsWith(`${BASE}/api/v1/export/parcels.geojson?`), `downloaded from ${dl.url()}, not the server's stream`);
    return { name: dl.suggestedFilename(), doc: JSON.parse(await readFile(file, 'utf8')) };
  }

  const geo = await download('EPSG:4490');
  assert.equal(geo.doc.type, 'FeatureCollection');
  assert.equal(geo.doc.features.length, want, `eligible-only export has ${geo.doc.features.length} features; the database has ${want} eligible parcels`);
  assert.ok(geo.doc.features.every((f) => f.properties.eligible === true), 'a non-eligible parcel was exported');
  const [lon, lat] = geo.doc.features[0].geometry.coordinates.flat(2)[0];
  assert.ok(lon > 117 && lon < 119 && lat > 28 && lat < 30, `EPSG:4490 coordinates ${lon},${lat} are not degrees in the county`);
  assert.match(geo.name, /\.geojson$/);

  const plane = await download('EPSG:4548');
  assert.equal(plane.doc.features.length, want);
  assert.match(JSON.stringify(plane.doc.crs ?? ''), /4548/, 'the EPSG:4548 export has no crs member');
  const [x, y] = plane.doc.features[0].geometry.coordinates.flat(2)[0];
  assert.ok(x > 100000 && y > 3000000, `EPSG:4548 coordinates ${x},${y} are not metres`);

  // The township list is the API's, every township of the county.
  const { townships } = await (await fetch(`${BASE}/api/v1/townships`)).json();
  const offered = await page.$eval('#ex-township', (s) => [...s.options].map((o) => o.value).filter((v) => v));
  assert.deepEqual(offered, townships.map((tw) => tw.code).sort(), 'the export offers other townships than the API lists');

  // A township filter narrows the export to that township.
  const township = offered[0];
  await page.uncheck('#ex-eligible');
  await page.selectOption('#ex-township', township);
  const one = await download('EPSG:4490');
  assert.ok(one.doc.features.length > 0, `township ${township} exported nothing`);
  assert.ok(one.doc.features.every((f) => f.properties.township_code === township), 'the township filter was not applied');

  // "Current view only" puts the view in the link, and follows the map when it moves.
  await page.check('#ex-bbox');
  const before = new URL(await page.getAttribute('#ex-go', 'href'), BASE).searchParams.get('bbox');
  assert.ok(before && before.split(',').length === 4, `no bbox in the link: ${before}`);
  await jumpTo(page, [Number(env('ECOCOMP_ELIGIBLE_LON')), Number(env('ECOCOMP_ELIGIBLE_LAT'))], 13);
  const after = new URL(await page.getAttribute('#ex-go', 'href'), BASE).searchParams.get('bbox');
  assert.notEqual(after, before, 'the link did not follow the view');

  assert.equal(await page.evaluate(() => window.blobURLs), 0, 'the page made a Blob of the export');
});

test('the year comes from the server\'s map configuration', { timeout: TEST_MS }, async (t) => {
  const real = await (await fetch(`${BASE}/api/v1/map-config`)).json();
  const { page } = await openMap(t, '', (p) => p.route('**/api/v1/map-config', (route) => route.fulfill({ json: { ...real, year: 2031 } })));
  assert.equal(await page.$eval('#roll-year', (s) => s.value), '2031', 'the roll does not default to the configured year');
  assert.deepEqual(await page.$eval('#roll-year', (s) => [...s.options].map((o) => o.value)), ['2031', '2030', '2029']);
});

test('errors are readable when the server cannot be reached', { timeout: TEST_MS }, async (t) => {
  const { page } = await openMap(t);
  await page.route('**/api/v1/parcels**', (route) => route.abort('connectionrefused'));
  await page.fill('#search-input', env('ECOCOMP_ELIGIBLE_CODE'));
  await page.press('#search-input', 'Enter');
  await page.waitForSelector('#search[data-state=error]', { timeout: IDLE_MS });
  assert.match(await text(page, '#search-msg'), /无法连接/);
  assert.match(await text(page, '#panel .error'), /无法连接/);
});
