// Prints the raw, gzip and brotli (quality 11) sizes of the built snippet; fails over budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const BUDGET = 4608; // bytes, brotli (4.5 KiB)
const file = new URL('../src/rumhouse/static/rum.js', import.meta.url);
const code = readFileSync(file);
const gzip = gzipSync(code, { level: 9 }).length;
const brotli = brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
}).length;
console.log(`rum.js: ${code.length} B raw, ${gzip} B gzip, ${brotli} B brotli (budget ${BUDGET} B brotli)`);
if (brotli > BUDGET) {
  console.error(`rum.js is ${brotli - BUDGET} B over its brotli budget`);
  process.exit(1);
}
