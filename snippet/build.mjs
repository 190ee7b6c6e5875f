// Builds src/rumhouse/static/rum.js, the minified snippet that rumhouse serves at /rum.js, the inline
// stub (rum-stub.js), and the npm package's files in npm/dist/ (src/npm.js). `node build.mjs OUTFILE` writes the snippet elsewhere (the tests
// check that the committed files are up to date).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const here = fileURLToPath(new URL('.', import.meta.url));

// V8's explicit compile hint (Chrome 136+): compile every function while the script streams in, on a
// background thread, instead of on the main thread at each function's first call. Nearly all of
// rum.js runs in a page view (at start, or at the first flush).
const BANNER = '//# allFunctionsCalledOnLoad\n';

const bundle = async (entry, format) => {
  const out = await build({
    entryPoints: [here + entry],
    bundle: true,
    minify: true,
    format,
    target: ['es2019'],
    // As web-vitals does: every property that starts with `_` is ours alone, so it may be renamed.
    mangleProps: /^_/,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  // esbuild bundles and renames; terser's compressor, run three times, then saves another 4% brotli.
  const small = await minify(out.outputFiles[0].text, { ecma: 2019, module: format == 'esm', compress: { passes: 3 }, mangle: true });
  return BANNER + small.code;
};

writeFileSync(process.argv[2] || here + '../src/rumhouse/static/rum.js', await bundle('src/rum.js', 'iife'));
// The WebSocket add-on (src/ws.js), served at /rum-ws.js; `node build.mjs OUT WS_OUT` writes it elsewhere.
if (process.argv[3]) writeFileSync(process.argv[3], await bundle('src/ws.js', 'iife'));
if (!process.argv[2]) {
  // The npm package (npm/): the same modules, started by init(); ESM for bundlers, and an IIFE that sets
  // window.rumhouseInit for pages that load it by hand.
  mkdirSync(here + 'npm/dist', { recursive: true });
  writeFileSync(here + 'npm/dist/rumhouse.mjs', await bundle('src/npm.js', 'esm'));
  writeFileSync(here + 'npm/dist/rumhouse.iife.js', await bundle('src/npm-iife.js', 'iife'));
  // The WebSocket add-on for bundles: `import '@rumhouse/rum/ws'` before the app opens a socket.
  writeFileSync(here + 'npm/dist/rumhouse-ws.js', await bundle('src/ws.js', 'iife'));
  writeFileSync(here + '../src/rumhouse/static/rum-ws.js', await bundle('src/ws.js', 'iife'));
  // The inline stub, minified, as README and docs/snippet.md show it.
  const stub = await minify(readFileSync(here + 'src/stub.js', 'utf8'), { ecma: 5, compress: { passes: 3 }, mangle: true });
  writeFileSync(here + '../src/rumhouse/static/rum-stub.js', stub.code + '\n');
}
