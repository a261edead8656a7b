// Builds the web map into dist/ (committed, embedded by web/embed.go): one minified ESM bundle,
// one CSS file, the MapLibre worker beside them and index.html. Run with `npm run build`
// (or `make web`, which runs `npm ci` first). `node build.mjs --outdir DIR` builds into DIR
// instead: .ci/check-web-dist compares such a build with the committed dist/.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf('--outdir');
const dist = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(here, 'dist');
const require = createRequire(import.meta.url);

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: { app: join(here, 'src/main.js') },
  outdir: dist,
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['es2022'],
  legalComments: 'eof',
  logLevel: 'warning',
});
await build({
  entryPoints: { app: join(here, 'src/style.css') },
  outdir: dist,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

// MapLibre loads its worker from a separate file; it is already minified.
const maplibreDist = dirname(require.resolve('maplibre-gl/package.json')) + '/dist';
await copyFile(join(maplibreDist, 'maplibre-gl-worker.mjs'), join(dist, 'maplibre-gl-worker.js'));
await copyFile(join(here, 'src/index.html'), join(dist, 'index.html'));

let total = 0;
for (const f of (await readdir(dist)).sort()) {
  const { size } = await stat(join(dist, f));
  total += size;
  console.log(`${f}  ${(size / 1024).toFixed(0)} KB`);
}
console.log(`${dist}: ${(total / 1024).toFixed(0)} KB`);
