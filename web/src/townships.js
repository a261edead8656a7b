// The townships of the county (GET /api/v1/townships), for the export's and the roll's filters:
// all of them, not only those whose tiles the map happens to have loaded.

import { getJSON } from './api.js';

// loadTownships answers [code, name] pairs sorted by code.
export async function loadTownships() {
  const { townships } = await getJSON('/api/v1/townships');
  return (townships || []).map((tw) => [tw.code, tw.name]).sort((a, b) => a[0].localeCompare(b[0]));
}
