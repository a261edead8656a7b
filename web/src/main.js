// The ecocomp web map's start-up: the language, who is signed in (auth.js), and the map with
// its parts, one module each — map.js (the map and its layers), legend.js, search.js, panel.js
// (the parcel panel), zonecheck.js, export.js, roll.js (the subsidy roll), imports.js, cases.js
// (buyout cases: the cases page, the case page, opening a case from the panel, the reserve) and
// wetland.js (the wetland bank: its page, projects and debits, debits opened from the zone check,
// the wetland layers) and care.js (forest care: areas, rangers, tracks, the coverage check). Every
// asset comes from the ecocomp binary. On load GET /api/v1/me; without a session the map is shown
// when the server reads anonymously, else the sign-in page.
//
// Test hooks: window.ecocompMap (the maplibre Map), window.ecocomp (state.js: map, draw, config,
// ready, session), body[data-map-state] loading | ready | error, body[data-auth] and
// body[data-view] (auth.js), and data-state on #panel, #search, #zonecheck, #export, #roll,
// #roll-view, #import, #cases-view, #case-view, #wetland-view, #wetland-item, #care and #care-view.

import { getJSON, onAuthLost } from './api.js';
import { $, banner } from './dom.js';
import { t, setLang, getLang, applyStatic } from './i18n.js';
import { app } from './state.js';
import { loadConfig, createMap, setSelection } from './map.js';
import { renderLegend, attachLegend } from './legend.js';
import { initSearch } from './search.js';
import { initPanel, showAt, showCode, rerenderPanel, addPanelSection } from './panel.js';
import { initZoneCheck, attachDraw, ownsClick, isDrawing, renderActivities, renderZoneCheck, addZoneCheckSection } from './zonecheck.js';
import { initExport, attachExport, setExportTownships, renderTownships } from './export.js';
import { loadTownships } from './townships.js';
import { initAuth, session, can, loadMe, signOut, showSignIn, showPassword, setView, renderAccount, rerenderAuth } from './auth.js';
import { initRoll, setRollYear, setRollTownships, resetRoll, rerenderRoll } from './roll.js';
import { initImport, resetImport, rerenderImport } from './imports.js';
import { initCases, setCasesTownships, resetCases, rerenderCases, closeCasesList, parcelSection } from './cases.js';
import { caseOpen, closeCase } from './casepage.js';
import { loadReserve } from './casemap.js';
import { initWetland, resetWetland, rerenderWetland, closeWetland, reloadLayers, openCreated } from './wetland.js';
import { wetlandItemOpen, closeWetlandItem } from './wetlanditem.js';
import { initWetlandCheck, zoneCheckWetland } from './wetlandcheck.js';
import { loadWetlandLayers } from './wetlandmap.js';
import { initStats } from './stats.js';
import { initCare, resetCare, rerenderCare, closeCare, careClick, showCare } from './care.js';
import { initCareDraw, zoneCheckCareArea } from './caredraw.js';

// ---------- language ----------

function initLang() {
  const q = new URLSearchParams(location.search).get('lang');
  setLang(q || localStorage.getItem('ecocomp.lang') || 'zh');
  applyStatic();
  $('#lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'en' ? 'zh' : 'en');
    localStorage.setItem('ecocomp.lang', getLang());
    applyStatic();
    renderLegend();
    renderActivities();
    renderTownships();
    rerenderPanel();
    renderZoneCheck();
    rerenderAuth();
    rerenderRoll();
    rerenderImport();
    rerenderCases();
    rerenderWetland();
    rerenderCare();
  });
}

// ---------- the map ----------

// startMap builds the map once: the configuration first (its year drives the panel and the
// roll), then the map, then what hangs on it.
async function startMap(loaded) {
  const config = await loadConfig(loaded);
  $('#demo-note').hidden = config.demo === false;
  setRollYear(config.year);
  initPanel({ year: config.year, onSelect: setSelection });
  fillTownships();

  const map = await createMap(config);
  if (!map) return;
  attachLegend(map);
  attachExport(map);
  loadReserve();
  loadWetlandLayers({ staff: can('wetland') });
  map.once('load', () => attachDraw(map));
  // A click on the map shows the parcel: the case page gives way (the parcel's cases are listed
  // in its panel).
  map.on('click', (ev) => {
    if (ownsClick()) return;
    if (careClick(ev)) return;
    if (caseOpen()) closeCase();
    if (wetlandItemOpen()) closeWetlandItem();
    showAt(ev.lngLat);
  });
  map.on('mousemove', 'parcels-fill', () => { if (!isDrawing()) map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'parcels-fill', () => { if (!isDrawing()) map.getCanvas().style.cursor = ''; });
}

// fillTownships gives the export and the roll every township of the county.
let townshipsLoaded = false;
async function fillTownships() {
  if (townshipsLoaded) return;
  try {
    const list = await loadTownships();
    townshipsLoaded = true;
    setExportTownships(list);
    setRollTownships(list);
    setCasesTownships(list);
  } catch (e) {
    banner(e.message);
  }
}

// ---------- accounts ----------

let mapStarted = false;

// enterMap shows the map, building it the first time.
function enterMap(config) {
  setView('map');
  if (mapStarted) {
    if (app.map) app.map.resize();
    fillTownships(); // refused before a sign-in when reading is private
    return;
  }
  mapStarted = true;
  startMap(config).catch((e) => {
    console.error(e);
    document.body.dataset.mapState = 'error';
    banner(e.message);
  });
}

// applyRoles shows the panels the user's roles allow (the server enforces them anyway).
function applyRoles() {
  $('#import').hidden = !can('import');
  rerenderCases();
  rerenderWetland();
  rerenderCare();
  renderLegend(); // the wetland projects and debits are for staff
  reloadLayers();
}

// forget drops what the previous user saw that others may not: the roll (maybe unmasked), the
// import report and the cases. An open roll is read again as the new user when reopen is set.
function forget(reopen) {
  resetRoll({ reopen });
  resetImport();
  resetCases();
  resetWetland();
  resetCare();
}

// signedIn takes the user that GET /api/v1/me or a sign-in answered.
async function signedIn(me, { passwordChanged = false } = {}) {
  const changed = !session.user || session.user.name !== me.name;
  session.user = me;
  renderAccount();
  applyRoles();
  if (me.must_change_password) {
    forget(false);
    showPassword(true);
    return;
  }
  if (changed) forget(true);
  if (passwordChanged) banner(t('pw.done'), 'info');
  else if ($('#banner').className === 'info') banner('');
  enterMap();
}

// anonymous decides what a visitor without a session sees: the map when the server reads
// anonymously (viewer level), else the sign-in page.
async function anonymous(notice = '') {
  session.user = null;
  applyRoles();
  let config;
  try {
    config = await getJSON('/api/v1/map-config', { auth: false });
    session.publicRead = true;
  } catch (e) {
    if (e.status === 401) {
      session.publicRead = false;
      renderAccount();
      showSignIn(notice);
      return;
    }
    banner(e.message); // the server is unreachable or failing: the map says so as before
  }
  renderAccount();
  enterMap(config);
}

async function doSignOut() {
  try {
    await signOut();
  } catch (e) {
    if (e.status !== 401) {
      banner(e.message);
      return;
    }
  }
  session.user = null;
  forget(false);
  await anonymous();
  if (document.body.dataset.view === 'map') banner(t('auth.signedout'), 'info');
}

// recheckSession asks who we are and shows what fits. It runs on a 401 (the session ended or the
// server stopped anonymous reading), when the tab comes back into view, and when finance gets a
// masked roll it did not ask for: on a server that reads anonymously an ended session is served
// as a visitor, without a 401.
let checking = false;
async function recheckSession() {
  if (checking) return;
  checking = true;
  try {
    const me = await loadMe();
    if (me && session.user && me.name === session.user.name) {
      session.user = me;
      renderAccount();
      if (me.must_change_password && document.body.dataset.view !== 'password') showPassword(true);
      return;
    }
    if (me) {
      await signedIn(me);
      return;
    }
    const had = !!session.user;
    session.user = null;
    forget(false);
    await anonymous(had ? t('auth.expired') : '');
    if (had && document.body.dataset.view === 'map') banner(t('auth.expired'));
  } catch (e) {
    console.warn('checking the session:', e.message);
  } finally {
    checking = false;
  }
}

async function boot() {
  let me;
  try {
    me = await loadMe();
  } catch (e) {
    // The server cannot be reached (or answers no accounts): show the map, which says why.
    banner(e.message);
    renderAccount();
    enterMap();
    return;
  }
  if (me) await signedIn(me);
  else await anonymous();
}

// ---------- start ----------

initLang();
renderLegend();
initSearch();
initZoneCheck();
initExport();
initRoll({ onUnexpectedMask: recheckSession });
initImport();
initCases({
  onOpenList: () => { resetRoll(); closeWetland(); closeCare(); },
  reloadPanel: (code) => { if ($('#panel').dataset.code === code) showCode(code).catch(() => {}); },
});
addPanelSection(parcelSection);
initWetland({ onOpen: () => { resetRoll(); closeCasesList(); closeCase(); closeCare(); } });
initCare({ onOpen: () => { resetRoll(); closeCasesList(); closeCase(); closeWetland(); } });
initWetlandCheck({ onCreated: openCreated });
addZoneCheckSection(zoneCheckWetland);
addZoneCheckSection(zoneCheckCareArea);
// A saved care area: the drawing is done (cleared like the zone check's 清除), the panel shows it.
initCareDraw({ onSaved: (code) => { $('#zc-clear').click(); showCare(code); } });
initStats();
$('#roll-show').addEventListener('click', () => { closeCasesList(); closeWetland(); closeCare(); });
initAuth({
  onSignedIn: (me, opts) => signedIn(me, opts),
  onCancel: () => (session.user ? enterMap() : anonymous()),
  onSignOut: doSignOut,
});
onAuthLost(recheckSession);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session.user) recheckSession();
});
boot();
