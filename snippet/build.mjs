// Builds src/rumhouse/static/rum.js, the minified snippet that rumhouse serves at /rum.js.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.js'],
  outfile: '../src/rumhouse/static/rum.js',
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019'],
  // As web-vitals does: every property that starts with `_` is ours alone, so it may be renamed.
  mangleProps: /^_/,
  legalComments: 'none',
  logLevel: 'info',
});
