"""Compare benchmark figures with the stored baseline: warn beyond 10% worse, fail beyond 20% worse.

Only figures that are stable across machines are compared: ratios to a reference measured in the same
run (rumhouse vs a bare ASGI app), and sizes. Raw throughput on a shared 2-core machine is not.

    python benchmarks/compare.py                      # results/*.json against baseline.json
    python benchmarks/compare.py --update             # write the current figures as the new baseline
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARN, FAIL = 0.10, 0.20


def lookup(results: Path, name: str):
    """`ingest.ratio_to_reference` -> the figure in results/ingest.json."""
    file, _, key = name.partition(".")
    path = results / f"{file}.json"
    if not path.exists():
        return None
    value = json.loads(path.read_text())
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--baseline", type=Path, default=HERE / "baseline.json")
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args()
    baseline = json.loads(args.baseline.read_text())
    failed = False
    for name, spec in baseline.items():
        current = lookup(args.results, name)
        if current is None:
            print(f"{name}: no figure in {args.results} (benchmark not run)")
            failed = True
            continue
        if args.update:
            spec["value"] = current
            continue
        expected = spec["value"]
        # How much worse, as a share of the baseline: lower is worse for "higher", higher for "lower".
        worse = (
            (expected - current) / expected if spec["better"] == "higher" else (current - expected) / expected
        )
        verdict = "FAIL" if worse > FAIL else "WARN" if worse > WARN else "ok"
        failed |= verdict == "FAIL"
        print(
            f"{name}: {current} vs baseline {expected} ({-worse:+.1%}, {spec['better']} is better): {verdict}"
        )
    if args.update:
        args.baseline.write_text(json.dumps(baseline, indent=2) + "\n")
        print(f"baseline updated: {args.baseline}")
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
