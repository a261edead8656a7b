// Search by parcel code: the panel shows the parcel and the map flies to it.
//
// Test hooks: #search[data-state] is idle | loading | ready | error; #search[data-code] is the
// parcel found.

import { $, setState } from './dom.js';
import { t } from './i18n.js';
import { showCode } from './panel.js';
import { app } from './state.js';
import { bboxOf } from './map.js';

export function initSearch() {
  const form = $('#search');
  const input = $('#search-input');
  const msg = $('#search-msg');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = input.value.trim();
    if (!code) {
      setState(form, 'error');
      msg.textContent = t('search.empty');
      return;
    }
    setState(form, 'loading');
    msg.textContent = t('search.loading');
    try {
      const f = await showCode(code);
      const [w, s, e, n] = bboxOf(f.geometry);
      if (app.map) {
        // moveend may never come when the camera is already there: wait at most a little longer than the flight.
        const arrived = new Promise((resolve) => { app.map.once('moveend', resolve); setTimeout(resolve, 3000); });
        app.map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: 17, duration: 1200 });
        await arrived;
      }
      form.dataset.code = f.properties.code;
      setState(form, 'ready');
      msg.textContent = t('search.found', { code: f.properties.code });
    } catch (e) {
      setState(form, 'error');
      msg.textContent = e.message;
    }
  });
}
