// What the map's modules share: the MapLibre map, the drawing tool, the server's map
// configuration and who is signed in. It is window.ecocomp, a hook for tests.

import { session } from './auth.js';

export const app = { map: null, draw: null, config: null, ready: null, session };
window.ecocomp = app;
