// Builds the dashboard into ../src/rumhouse/static/dashboard/ (committed: the Python package serves it
// without npm). One minified bundle with Chart.js, the page, and its stylesheet.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = "../src/rumhouse/static/dashboard";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outfile: `${out}/app.js`,
  legalComments: "linked",
});
copyFileSync("src/index.html", `${out}/index.html`);
copyFileSync("src/style.css", `${out}/style.css`);
