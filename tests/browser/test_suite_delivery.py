"""Runs after the other browser tests (files run in name order): what they delivered, as a whole."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_nothing_lost_across_the_suite(rumhouse):
    """The server-side lost-final-beacon share over every page view the tests made so far is 0."""
    lost = rumhouse.sql(
        "SELECT count() AS views, countIf(page_view_id NOT IN"
        " (SELECT page_view_id FROM rumhouse.beacons WHERE last = 1)) AS lost FROM rumhouse.page_views"
    )[0]
    assert lost["lost"] == 0, lost
    drops = [
        line
        for line in rumhouse.metrics_text().splitlines()
        if line.startswith("rumhouse_beacons_dropped_total") and not line.endswith(" 0.0")
    ]
    assert not drops, drops
