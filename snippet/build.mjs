// Builds src/rumhouse/static/rum.js, the minified snippet that rumhouse serves at /rum.js.
// `node build.mjs OUTFILE` writes elsewhere (the tests check that the committed file is up to date).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

await build({
  entryPoints: [here + 'src/index.js'],
  outfile: process.argv[2] || here + '../src/rumhouse/static/rum.js',
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019'],
  // As web-vitals does: every property that starts with `_` is ours alone, so it may be renamed.
  mangleProps: /^_/,
  legalComments: 'none',
  // V8's explicit compile hint (Chrome 136+): compile every function while the script streams in, on a
  // background thread, instead of on the main thread at each function's first call. Nearly all of
  // rum.js runs in a page view (at start, or at the first flush).
  banner: { js: '//# allFunctionsCalledOnLoad' },
  logLevel: process.argv[2] ? 'warning' : 'info',
});
