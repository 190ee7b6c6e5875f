"""The beacon wire format, version 1, as msgspec structs. Documented for humans in docs/beacon.md.

Rules that keep old snippets working (copies stay cached in browsers for weeks):
- every field added later gets a default;
- unknown fields are ignored (msgspec's default for Structs);
- every number, string and list has a bound, so a beacon can never make us store something absurd.

Property names are short because the snippet spells every one of them, and its size is budgeted.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from rumhouse.tables import ResourceType, VitalName

FORMAT_VERSION = 1

# Bounds shared by several fields.
MS = Annotated[float, Meta(ge=0, le=3_600_000)]  # a duration: at most an hour
OFFSET_MS = Annotated[float, Meta(ge=0, le=7 * 24 * 3_600_000)]  # since the page's time origin
COUNT = Annotated[int, Meta(ge=0, le=1_000_000)]
BYTES = Annotated[int, Meta(ge=0, le=10_000_000_000)]
URL = Annotated[str, Meta(max_length=2048)]
SHORT = Annotated[str, Meta(max_length=64)]
LABEL = Annotated[str, Meta(max_length=256)]

MAX_EVENTS = 1000


class Base(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False, gc=False):
    """gc=False: a decoded beacon cannot hold a reference cycle, so the cyclic garbage collector need not
    track its objects (it otherwise costs more than decoding them)."""


class EventBase(Base, tag_field="k"):
    """Events are a tagged union: `"k"` (kind) says which struct an event is."""


NAV_TIMES = 12  # redirectStart ... loadEventEnd, as development builds of rum.js 0.2 sent them (`t`)
TRACE_TEXT = Annotated[str, Meta(max_length=256)]  # a traceparent as sent; ingest/tracing.py reads it


class ServerTimingEntry(Base):
    """One Server-Timing entry of the document, as the navigation entry's toJSON() writes it."""

    name: Annotated[str, Meta(max_length=256)] = ""
    duration: Annotated[float, Meta(ge=0, le=1e12)] = 0
    description: Annotated[str, Meta(max_length=1024)] = ""


class NavEntry(Base, rename="camel"):
    """The page load's PerformanceNavigationTiming as rum.js 0.2 sends it, whole (its toJSON()). Only the
    fields named here are read: the rest (its URL among them) is never decoded, let alone stored. Times
    are ms since the time origin."""

    redirect_start: OFFSET_MS = 0
    redirect_end: OFFSET_MS = 0
    domain_lookup_start: OFFSET_MS = 0
    domain_lookup_end: OFFSET_MS = 0
    connect_start: OFFSET_MS = 0
    secure_connection_start: OFFSET_MS = 0
    connect_end: OFFSET_MS = 0
    request_start: OFFSET_MS = 0
    response_start: OFFSET_MS = 0
    response_end: OFFSET_MS = 0
    dom_complete: OFFSET_MS = 0
    load_event_end: OFFSET_MS = 0
    transfer_size: BYTES | None = None
    server_timing: Annotated[list[ServerTimingEntry], Meta(max_length=64)] = []

    def times(self) -> list[float] | None:
        """The 12 raw times of Nav.t; None when the browser gave no response start (no timing)."""
        if self.response_start <= 0:
            return None
        return [
            self.redirect_start, self.redirect_end, self.domain_lookup_start, self.domain_lookup_end,
            self.connect_start, self.secure_connection_start, self.connect_end, self.request_start,
            self.response_start, self.response_end, self.dom_complete, self.load_event_end,
        ]  # fmt: skip


class Nav(Base):
    """The navigation breakdown (Navigation Timing), sent once per page view, in ms: as phases (snippets
    before 0.2), or as the raw times `t` from which `phases()` computes them."""

    redirect: MS | None = None
    dns: MS | None = None
    connect: MS | None = None
    tls: MS | None = None
    server: MS | None = None
    download: MS | None = None
    render: MS | None = None
    load: MS | None = None
    size: BYTES | None = None
    # Server-Timing entries of the document: [name, duration ms]. `st` on the wire, as the beacon's own
    # `st` (view_start) is: two names in Python for what the short wire names leave to their context.
    server_timing: Annotated[list[tuple[SHORT, MS]], Meta(max_length=20)] = msgspec.field(
        default=[], name="st"
    )
    # redirectStart, redirectEnd, domainLookupStart, domainLookupEnd, connectStart, secureConnectionStart,
    # connectEnd, requestStart, responseStart, responseEnd, domComplete, loadEventEnd: ms since the time
    # origin, 0 for what did not happen.
    t: Annotated[list[OFFSET_MS], Meta(min_length=NAV_TIMES, max_length=NAV_TIMES)] | None = None
    # rum.js 0.2: the navigation entry whole, and the document's traceparent from a <meta> tag.
    n: NavEntry | None = None
    tp: TRACE_TEXT = ""

    def timings(self) -> list[tuple[str, float]]:
        """The document's Server-Timing entries: [name, ms], at most 20."""
        if self.n is None:
            return list(self.server_timing)
        return [(e.name[:64], min(e.duration, 3_600_000.0)) for e in self.n.server_timing[:20]]

    def traceparent(self) -> str:
        """The document's traceparent: a Server-Timing entry of that name (its desc), else the <meta>."""
        found = (
            next((e.description for e in self.n.server_timing if e.name == "traceparent"), "")
            if self.n
            else ""
        )
        return found or self.tp

    def phases(self) -> tuple[float | None, ...]:
        """redirect, dns, connect, tls, server, download, render, load: as sent, or from the raw times
        as the snippet used to compute them (a phase whose end is 0 did not happen: None)."""
        raw = self.t if self.t is not None or self.n is None else self.n.times()
        if raw is None and self.n is not None:
            return (None,) * 8  # an entry without a response start: no timing
        if raw is None:
            return (
                self.redirect,
                self.dns,
                self.connect,
                self.tls,
                self.server,
                self.download,
                self.render,
                self.load,
            )
        rs, re, ds, de, cs, tls, ce, qs, ps, pe, dc, le = raw

        def span(start: float, end: float) -> float | None:
            return _bounded(end - start) if end > 0 else None

        return (
            _bounded(re - rs),
            span(ds, de),
            span(cs, tls if tls > 0 else ce),
            span(tls, ce) if tls > 0 else 0,
            span(qs, ps),
            span(ps, pe),
            span(pe, dc),
            span(0, le),
        )


def _bounded(ms: float) -> float:
    """A phase within the bounds of the phases the snippet used to send (MS)."""
    return min(max(ms, 0.0), 3_600_000.0)


class Context(Base):
    """What the browser says about the device and network (all optional)."""

    et: Annotated[str, Meta(max_length=16)] = ""  # connection effectiveType: 4g, 3g, ...
    rtt: Annotated[int, Meta(ge=0, le=60_000)] | None = None
    dl: Annotated[float, Meta(ge=0, le=100_000)] | None = None  # downlink, Mbit/s
    sd: bool = False  # saveData
    mem: Annotated[float, Meta(ge=0, le=1024)] | None = None  # deviceMemory, GiB
    cpu: Annotated[int, Meta(ge=0, le=4096)] | None = None  # hardwareConcurrency
    vw: Annotated[int, Meta(ge=0, le=100_000)] | None = None  # viewport width, CSS px
    vh: Annotated[int, Meta(ge=0, le=100_000)] | None = None


class Vital(EventBase, tag="vital"):
    n: VitalName
    # ms for every metric but CLS, which is unitless; CLS has its own bound in the pipeline.
    v: MS
    # The element behind the value (LCP element, INP target, source of the largest shift). Snippets
    # before 0.2 sent "click button#buy" for INP and the event type alone for FID (ingest/rows.py splits).
    a: LABEL = ""
    # 0: the value, final. 1: a report that may change (CLS and INP at a hide); 2: the final report of a
    # page view that sent 1 before. Reports 1 and 2 wait in vital_updates (settle.py).
    r: Literal[0, 1, 2] = 0
    e: Annotated[str, Meta(max_length=32)] = ""  # INP, FID: the event type (click, keydown, ...)
    # The document's loading state then: its name, or (rum.js 0.2) its number in LOAD_STATES.
    l: Annotated[str, Meta(max_length=32)] | Annotated[int, Meta(ge=0, le=3)] = ""  # noqa: E741
    # The parts of the value, by metric: LCP [ttfb, load delay, load duration, render delay]; INP [input
    # delay, processing, presentation]; CLS [largest shift's score, its time]; FCP [ttfb].
    p: Annotated[list[OFFSET_MS], Meta(max_length=4)] = []
    u: URL = ""  # LCP: the resource's URL
    # INP: the longest script of the interaction's animation frames: source URL, function, invoker, ms.
    s: tuple[URL, LABEL, LABEL, MS] | None = None


class Error(EventBase, tag="error"):
    m: Annotated[str, Meta(max_length=1024)]  # message
    src: URL = ""  # script URL
    line: COUNT = 0
    col: COUNT = 0
    stack: Annotated[str, Meta(max_length=8192)] = ""
    n: Annotated[int, Meta(ge=1, le=1_000_000)] = 1  # identical errors folded into one event
    # "manual": passed to rumhouse.error(err) by the page's own error handling.
    t: Literal["error", "rejection", "manual"] = "error"
    ts: OFFSET_MS | None = None


class Api(EventBase, tag="api", kw_only=True):
    """One fetch or XHR call made by the page."""

    m: Annotated[str, Meta(max_length=16)] = "GET"  # method as the page wrote it (rum.js 0.2: none for GET)
    u: URL  # URL
    s: Annotated[int, Meta(ge=0, le=999)]  # HTTP status; 0 when the request failed
    d: MS  # duration
    ts: OFFSET_MS | None = None
    # The traceparent the call carried (data-trace-origins); false or null when none (rum.js spends no
    # bytes on telling them apart).
    tr: TRACE_TEXT | bool | None = None
    st: Annotated[str, Meta(max_length=1024)] | None = None  # the response's Server-Timing header, or null


class Resources(EventBase, tag="res"):
    """Resources of one type from one host, summarized for the page view. Snippets before 0.2 send the
    type (`t`); rum.js 0.2 sends the initiator and the file extension, and the server tells the type."""

    t: ResourceType | None = None
    i: Annotated[str, Meta(max_length=32)] = ""  # initiatorType: img, script, link, css, fetch, ...
    x: Annotated[str, Meta(max_length=8)] = ""  # the URL's file extension: png, woff2, js, ...
    h: Annotated[str, Meta(max_length=253)] = ""  # host
    tp: bool = False  # third party; snippets since 0.2 leave it to the server (ingest/rows.py)
    n: COUNT = 0  # count
    tb: BYTES = 0  # transfer bytes (headers included)
    eb: BYTES = 0  # encoded body bytes
    db: BYTES = 0  # decoded body bytes
    ch: COUNT = 0  # served from cache (transferSize 0 with a body)
    d: Annotated[float, Meta(ge=0, le=1e9)] = 0  # summed duration, ms
    dm: MS = 0  # longest duration, ms
    su: URL = ""  # URL of the slowest one


class Measure(EventBase, tag="measure"):
    """A custom measure from `rumhouse.measure(name, value, tags)`."""

    n: SHORT
    v: Annotated[float, Meta(ge=-1e12, le=1e12)]
    tags: Annotated[dict[SHORT, LABEL], Meta(max_length=10)] = {}
    ts: OFFSET_MS | None = None


Event = Vital | Error | Api | Resources | Measure


LOAD_STATES = ("loading", "dom-interactive", "dom-content-loaded", "complete")  # Vital.l by number


class Beacon(Base):
    site: Annotated[str, Meta(min_length=1, max_length=64)]
    pv: Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    url: URL
    v: Annotated[int, Meta(ge=1, le=FORMAT_VERSION)] = FORMAT_VERSION
    seq: Annotated[int, Meta(ge=0, le=100_000)] = 0
    last: bool = False
    ref: URL = ""
    rel: SHORT = ""  # release
    # rum.js 0.2 sends the navigation entry's type as the browser names it: what is not a NavigationType
    # is read as navigate (pipeline.py), so a browser's new word never costs a beacon.
    nt: Annotated[str, Meta(max_length=32)] = "navigate"
    now: OFFSET_MS = 0  # performance.now() when sent
    # performance.now() when this page view started (non-zero after a single-page-app route change).
    view_start: OFFSET_MS = msgspec.field(default=0, name="st")
    wd: bool = False  # navigator.webdriver
    nav: Nav | None = None
    ctx: Context = msgspec.field(default_factory=Context)
    ev: Annotated[list[Event], Meta(max_length=MAX_EVENTS)] = []
    lb: SHORT = ""  # the page's label (rumhouse.label)
    cd: Annotated[dict[SHORT, LABEL], Meta(max_length=10)] = {}  # custom dimensions (rumhouse.set)
    sr: Annotated[float, Meta(gt=0, le=1)] = 1  # the share of page loads measured (data-sample)


decoder = msgspec.json.Decoder(Beacon)
