"""The served snippet: within its size budget, and built from the sources as committed."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import brotli

from .helpers import unavailable
from .site import ROOT, npm_ci

RUM_JS = ROOT / "src" / "rumhouse" / "static" / "rum.js"
RUM_WS_JS = ROOT / "src" / "rumhouse" / "static" / "rum-ws.js"
BUDGET = 4608  # bytes, brotli: the snippet issue's budget (snippet/size.mjs fails the build above it)


def test_within_the_size_budget():
    code = RUM_JS.read_bytes()
    size = len(brotli.compress(code, quality=11))
    print(f"rum.js: {len(code)} B raw, {len(gzip.compress(code, 9))} B gzip, {size} B brotli")
    assert size <= BUDGET


def test_committed_build_matches_the_sources(tmp_path):
    if not npm_ci() or not shutil.which("node"):
        unavailable("esbuild is not installed: run `npm ci` in snippet/")
    out, ws_out = tmp_path / "rum.js", tmp_path / "rum-ws.js"
    subprocess.run(["node", str(ROOT / "snippet" / "build.mjs"), str(out), str(ws_out)], check=True)
    assert out.read_bytes() == RUM_JS.read_bytes(), (
        "src/rumhouse/static/rum.js is stale: run `npm run build` in snippet/"
    )
    assert ws_out.read_bytes() == RUM_WS_JS.read_bytes(), (
        "src/rumhouse/static/rum-ws.js is stale: run `npm run build` in snippet/"
    )
