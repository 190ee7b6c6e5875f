"""Snippet size: raw, gzip (level 9) and brotli (quality 11) bytes of the served rum.js.

Writes benchmarks/results/snippet.json for benchmarks/compare.py. (The snippet build itself fails over
its 4 KiB brotli budget; this tracks the trend between builds.)"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    code = (ROOT / "src" / "rumhouse" / "static" / "rum.js").read_bytes()
    sizes = {
        "raw": len(code),
        "gzip": len(gzip.compress(code, 9)),
        "brotli": len(brotli.compress(code, quality=11)),
    }
    print(f"snippet: {sizes['raw']} B raw, {sizes['gzip']} B gzip, {sizes['brotli']} B brotli")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "snippet.json").write_text(json.dumps(sizes, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
