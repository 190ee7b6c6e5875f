"""Rows of rumhouse.vitals as the write path builds them, for tests that hand rows to the writer or the
store directly: the attribution and page-label columns of a row that has none."""

from __future__ import annotations

from rumhouse.tables import COLUMNS, VITAL_FIELDS

# After time, the dimensions, name, value and attribution: NULL numbers, empty strings, no label or custom.
NO_ATTRIBUTION = (
    *(None if c.endswith("_ms") or c == "shift_value" else "" for c in VITAL_FIELDS[3:]),
    "",  # label
    {},  # custom dimensions
)
BASICS = 15  # time, the 11 dimensions, name, value, attribution
assert BASICS + len(NO_ATTRIBUTION) == len(COLUMNS["vitals"])
