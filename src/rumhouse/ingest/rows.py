"""An accepted beacon, enriched, becomes rows: tuples in the column order declared here.

The column lists (tables.py) are the insert's explicit column names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from rumhouse.ingest import schema
from rumhouse.ingest.privacy import bare_host, endpoint_of, scrub_short, scrub_text, strip_url
from rumhouse.ingest.tracing import server_timing, trace_id

STACK_FRAMES = 12  # lines of a stack kept (rum.js 0.2 sends it bounded, not cut)


@dataclass(slots=True)
class PageView:
    """What every row of one beacon shares."""

    dims: tuple
    start: float  # epoch seconds when the page view started
    received: float  # epoch seconds when the beacon arrived
    view_start: float  # the page view's start on the page's clock (ms since time origin)
    query: str
    referrer_host: str
    browser_version: str
    labels: tuple = ("", {})  # label and custom dimensions, at the end of every row (tables.PAGE_LABELS)
    url: str = ""  # the page's URL as sent, to resolve the relative URLs of its API calls

    def at(self, ts: float | None) -> float:
        """Server time of an event stamped `ts` ms on the page's clock; never in the future."""
        if ts is None:
            return self.received
        return min(self.received, self.start + max(0.0, ts - self.view_start) / 1000.0)


def page_view_row(pv: PageView, beacon: schema.Beacon) -> tuple:
    nav, ctx = beacon.nav, beacon.ctx
    assert nav is not None
    return (
        pv.start,
        *pv.dims,
        pv.query,
        pv.referrer_host,
        pv.browser_version,
        *nav.phases(),
        nav.n.transfer_size if nav.n is not None else nav.size,
        dict(nav.timings()),
        ctx.rtt,
        ctx.dl,
        int(ctx.sd),
        ctx.mem,
        ctx.cpu,
        ctx.vw,
        ctx.vh,
        *pv.labels,
        beacon.sr,
        trace_id(nav.traceparent()),
    )


# The columns each metric's parts (`p` on the wire) fill, in order; the other part columns stay NULL.
_PARTS = {"LCP": 0, "INP": 4, "CLS": 7, "FCP": 0}
_PART_COLUMNS = (
    9  # ttfb, load delay, load duration, render delay; input delay, processing, presentation; shift
)
_PART_WIDTH = {"LCP": 4, "INP": 3, "CLS": 2, "FCP": 1}


def _parts(event: schema.Vital) -> list[float | None]:
    """ttfb_ms ... shift_time_ms, as tables.VITAL_FIELDS orders them, from the metric's parts."""
    parts: list[float | None] = [None] * _PART_COLUMNS
    first = _PARTS.get(event.n)
    if first is not None and event.p:
        given = event.p[: _PART_WIDTH[event.n]]
        parts[first : first + len(given)] = given
    return parts


def _element_and_event(event: schema.Vital) -> tuple[str, str]:
    """The element and the event type. Snippets before 0.2 sent both in `a` for INP ("click button#buy",
    "click undefined" without a target) and the event type alone for FID."""
    element, event_type = event.a, event.e
    if not event_type and event.n in ("INP", "FID") and element:
        event_type, _, element = element.partition(" ") if event.n == "INP" else (element, "", "")
        if element == "undefined":
            element = ""
    return (scrub_short(element) if element else element), event_type


def vital_fields(event: schema.Vital) -> tuple:
    """A vital's own columns (tables.VITAL_FIELDS)."""
    element, event_type = _element_and_event(event)
    lcp_url = strip_url(event.u) if event.u and event.n == "LCP" else ""
    script = event.s if event.n == "INP" else None
    parts = _parts(event)
    return (
        event.n,
        event.v,
        element,
        event_type,
        schema.LOAD_STATES[event.l] if isinstance(event.l, int) else event.l,
        *parts[:4],
        lcp_url,
        *parts[4:7],
        strip_url(script[0]) if script else "",
        scrub_short(script[1]) if script else "",
        scrub_short(script[2]) if script else "",
        script[3] if script else None,
        *parts[7:],
    )


def vital_row(pv: PageView, event: schema.Vital) -> tuple:
    return (pv.start, *pv.dims, *vital_fields(event), *pv.labels)


def vital_update_row(pv: PageView, event: schema.Vital, seq: int) -> tuple:
    """A report of a vital that may change (`r` 1), or the final one after such reports (`r` 2)."""
    return (pv.start, *pv.dims, *vital_fields(event), seq, int(event.r == 2), pv.received, *pv.labels)


def error_row(pv: PageView, event: schema.Error) -> tuple:
    return (
        pv.at(event.ts),
        *pv.dims,
        event.t,
        scrub_text(event.m),
        strip_url(event.src),
        event.line,
        event.col,
        scrub_text("\n".join(event.stack.split("\n", STACK_FRAMES)[:STACK_FRAMES])),
        event.n,
        *pv.labels,
    )


def api_row(pv: PageView, event: schema.Api) -> tuple:
    # rum.js 0.2 sends the URL as the page wrote it (`/api/cart`); older snippets sent it absolute.
    url = event.u if "://" in event.u[:16] else urljoin(pv.url, event.u)
    timings, traceparent = server_timing(event.st) if event.st else ({}, "")
    # The trace the call started (its traceparent), else the one the backend named in Server-Timing.
    trace = (trace_id(event.tr) if isinstance(event.tr, str) else "") or trace_id(traceparent)
    method = event.m.upper() or "GET"
    row = (pv.at(event.ts), *pv.dims, method, endpoint_of(url), event.s, event.d, *pv.labels)
    return (*row, trace, timings)


_FONTS = frozenset(("woff", "woff2", "ttf", "otf", "eot"))
_IMAGES = frozenset(("png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico"))


def resource_type(initiator: str, ext: str) -> str:
    """A resource's type from its initiator and file extension, as snippets before 0.2 told it."""
    ext = ext.lower()
    if initiator in ("fetch", "xmlhttprequest"):
        return "fetch"
    if ext in _FONTS:
        return "font"
    if initiator == "script":
        return "script"
    if initiator in ("img", "image") or ext in _IMAGES:
        return "img"
    if initiator in ("link", "css") or ext == "css":
        return "css"
    return "other"


def resource_row(pv: PageView, event: schema.Resources) -> tuple:
    host = bare_host(event.h)
    return (
        pv.start,
        *pv.dims,
        event.t or resource_type(event.i, event.x),
        host,
        # Third party: a host name other than the page's (dims[2]), decided here for every snippet; an
        # unreadable host keeps what the snippet said (snippets before 0.2 sent `tp`).
        int(host != pv.dims[2]) if host else int(event.tp),
        event.n,
        event.tb,
        event.eb,
        event.db,
        event.ch,
        event.d,
        event.dm,
        strip_url(event.su),
        *pv.labels,
    )


# The WebSocket add-on (rum-ws.js) reports each socket through rumhouse.measure under this name, its value
# the socket's lifetime (ms) and its figures in the tags: such a measure is a row of rumhouse.websockets.
WEBSOCKET_MEASURE = "rumhouse.websocket"
_COUNT_LIMIT = 4_294_967_295  # UInt32
_BYTES_LIMIT = 10**15


def _tag_number(tags: dict[str, str], key: str, limit: float) -> float | None:
    """A tag as a number within [0, limit], or None when it is absent or not one."""
    try:
        value = float(tags[key])
    except (KeyError, ValueError):
        return None
    return value if 0 <= value <= limit else None


def websocket_row(pv: PageView, event: schema.Measure) -> tuple:
    tags = event.tags
    url = tags.get("u", "")
    # A socket's URL is absolute (ws:, wss:); a browser that takes a relative one resolves it as the page's.
    url = url if "://" in url[:16] else urljoin(pv.url, url)
    lifetime = min(max(event.v, 0.0), 3.6e9)  # a thousand hours at most
    code = _tag_number(tags, "c", 65_535)
    opened = _tag_number(tags, "o", lifetime)

    def count(key: str, limit: int) -> int:
        return int(_tag_number(tags, key, limit) or 0)

    return (
        pv.at(event.ts) - lifetime / 1000.0,  # when it was created
        *pv.dims,
        endpoint_of(url),
        opened,
        lifetime,
        None if code is None else int(code),
        count("mi", _COUNT_LIMIT),
        count("mo", _COUNT_LIMIT),
        count("bi", _BYTES_LIMIT),
        count("bo", _BYTES_LIMIT),
        *pv.labels,
    )


def measure_row(pv: PageView, event: schema.Measure) -> tuple:
    tags = {scrub_short(k): scrub_short(v) for k, v in event.tags.items()} if event.tags else event.tags
    return (pv.at(event.ts), *pv.dims, event.n, event.v, tags, *pv.labels)


# Event class -> (table, row builder), for every event but vitals: the pipeline checks those for
# repeats before it builds their rows with vital_row.
# Each kind of event (but vitals, which the pipeline checks for repeats first): its table and row builder.
EVENT_ROWS: dict[type, tuple[str, Callable[[PageView, Any], tuple]]] = {
    schema.Error: ("errors", error_row),
    schema.Api: ("api_calls", api_row),
    schema.Resources: ("resources", resource_row),
    schema.Measure: ("measures", measure_row),
}
WEBSOCKET_ROWS = ("websockets", websocket_row)
