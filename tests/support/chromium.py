"""Debian's Chromium for every browser test and the dashboard benchmark: where it is, how it is
launched, and what happens when it is missing (a failure under CI, where it must be installed; a skip
on a machine without it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("RUMHOUSE_TEST_CHROMIUM", "/usr/bin/chromium"))
# A screen tall enough to show every panel of the dashboard at once: panels load as they come near the
# screen, and the tests that read many panels read them all without scrolling to each.
TALL = 20_000
# Quiet and alike on every run: no sandbox (containers), no GPU, no background traffic of its own.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium(what: str = "this test") -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: {what} cannot run (install Debian's chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def launch(playwright, *extra_args: str, **options):
    """A headless Chromium with ARGS (and `extra_args`)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*ARGS, *extra_args], headless=True, **options
    )
