"""What a question reads: a site, a time window and page dimensions, as SQL conditions and query
parameters for the raw tables and the rollups. The reading API (api/filters.py parses them from HTTP
parameters), budgets and alerts all ask through it.

Every value reaches ClickHouse as a query parameter (`{name:Type}`), never as SQL text.

Time windows are half-open, [start, end), in UTC. `1h` and `6h` end now. `24h`, `7d` and `30d` end at
the next whole hour (so they include the current, unfinished hour): windows on whole hours can be
answered by the hourly rollups, and the raw tables answer the same window, so both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from rumhouse.tables import DIMENSION_COLUMNS

RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 86400, "30d": 30 * 86400}
DEFAULT_RANGE = "24h"
DIMENSIONS = DIMENSION_COLUMNS
# The hours of a window, on an hourly rollup (whose `hour` is a DateTime).
HOURS = "hour >= toDateTime({start:DateTime64(3, 'UTC')}) AND hour < toDateTime({end:DateTime64(3, 'UTC')})"
# The longest window one question may cover: the rollups keep a year.
MAX_WINDOW = timedelta(days=400)


def window(range_name: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or datetime.now(UTC)
    length = timedelta(seconds=RANGES[range_name])
    if length < timedelta(hours=24):
        end = now.replace(microsecond=0)
    else:
        end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - length, end


def ch_time(value: datetime) -> str:
    """A UTC time as ClickHouse parses a DateTime64(3, 'UTC') parameter."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class Filters:
    site: str
    start: datetime
    end: datetime
    range: str = DEFAULT_RANGE  # a name from RANGES, or "custom" for from/to
    # API dimension name -> its values (a page view matches any of them: browser=Chrome&browser=Firefox)
    dims: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    @property
    def hour_aligned(self) -> bool:
        return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in (self.start, self.end))

    @property
    def rollup_ok(self) -> bool:
        """Whether an hourly rollup with one dimension per row can answer these filters."""
        return self.hour_aligned and len(self.dims) <= 1

    def whole_days(self) -> tuple[datetime, datetime]:
        """The whole UTC days inside the window (first day, end day); empty when first >= end."""
        first = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        if first < self.start:
            first += timedelta(days=1)
        return first, self.end.replace(hour=0, minute=0, second=0, microsecond=0)

    def params(self) -> dict[str, str]:
        day_start, day_end = self.whole_days()
        values = {
            "site": self.site,
            "start": ch_time(self.start),
            "end": ch_time(self.end),
            "day_start": ch_time(day_start),
            "day_end": ch_time(day_end),
        }
        for name, chosen in self.dims.items():
            for i, value in enumerate(chosen):
                values[f"f_{name}_{i}"] = value
        return values

    def _any_of(self, name: str) -> str:
        """The parameters of one dimension's values, for `IN (...)` (each a query parameter)."""
        return ", ".join(f"{{f_{name}_{i}:String}}" for i in range(len(self.dims[name])))

    def raw_where(self, *, dimensions: bool = True) -> str:
        """WHERE conditions on a raw table (they all carry the page dimensions)."""
        parts = [
            "site = {site:String}",
            "time >= {start:DateTime64(3, 'UTC')}",
            "time < {end:DateTime64(3, 'UTC')}",
        ]
        if dimensions:
            parts += [f"{DIMENSIONS[name]} IN ({self._any_of(name)})" for name in self.dims]
        return " AND ".join(parts)

    def span_where(self, time: str = "Timestamp") -> str:
        """WHERE conditions on an OpenTelemetry table: the site and the window (spans have no page
        dimensions)."""
        return (
            f"site = {{site:String}} AND {time} >= {{start:DateTime64(3, 'UTC')}}"
            f" AND {time} < {{end:DateTime64(3, 'UTC')}}"
        )

    def rollup_dims(self, *, split_by: str | None = None) -> str:
        """Conditions on a rollup with (dimension, dim_value) rows.

        With `split_by`, the rows of that dimension (all its values); else the rows of the one
        filtered dimension, or the all-page-views rows ('' dimension)."""
        parts = ["site = {site:String}"]
        if split_by is not None:
            parts.append(f"dimension = '{split_by}'")  # a DIMENSIONS key, checked by the caller
            if split_by in self.dims:
                parts.append(f"dim_value IN ({self._any_of(split_by)})")
        elif self.dims:
            (name,) = self.dims
            # Several values of one dimension: their rows together (states merge, counts add up).
            parts.append(f"dimension = '{name}' AND dim_value IN ({self._any_of(name)})")
        else:
            parts.append("dimension = ''")
        return " AND ".join(parts)

    def rollup_where(self, *, split_by: str | None = None) -> str:
        """Conditions on an hourly rollup: the window's hours and the dimension rows."""
        return f"{HOURS} AND {self.rollup_dims(split_by=split_by)}"

    def rollup_source(self, base: str, condition: str) -> str:
        """A FROM source over the rollups of `base` for this window: whole days from `{base}_daily`,
        the hours at the edges from `{base}_hourly` (a 30-day window reads about 30 + 24 rows per key
        instead of 720). Both have the same columns but their time column, which is left out."""
        hourly = f"SELECT * EXCEPT (hour) FROM rumhouse.{base}_hourly WHERE {condition} AND "
        day_start, day_end = self.whole_days()
        if day_end <= day_start:
            return f"({hourly}{HOURS})"
        edges = (
            "((hour >= toDateTime({start:DateTime64(3, 'UTC')}) AND hour < toDateTime({day_start:DateTime64(3, 'UTC')}))"
            " OR (hour >= toDateTime({day_end:DateTime64(3, 'UTC')}) AND hour < toDateTime({end:DateTime64(3, 'UTC')})))"
        )
        days = "day >= toDateTime({day_start:DateTime64(3, 'UTC')}) AND day < toDateTime({day_end:DateTime64(3, 'UTC')})"
        return (
            f"(SELECT * EXCEPT (day) FROM rumhouse.{base}_daily WHERE {condition} AND {days}"
            f" UNION ALL {hourly}{edges})"
        )

    def describe(self) -> dict:
        return {
            "site": self.site,
            "range": self.range,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            **{name: chosen[0] if len(chosen) == 1 else list(chosen) for name, chosen in self.dims.items()},
        }
