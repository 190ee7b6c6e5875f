"""The path of a beacon: decode -> validate -> enrich -> rows.

`Pipeline.process` runs named steps in order until one returns a `Drop`; a beacon that passes them all
becomes an `Accepted` batch of rows for the writer. Nothing here raises for bad input.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import msgspec

from rumhouse.drops import Drop, Reason
from rumhouse.ingest import schema
from rumhouse.ingest.enrich import Agent, country_from, parse_agent
from rumhouse.ingest.privacy import UrlScrubber, host_of, scrub_short
from rumhouse.ingest.rows import (
    EVENT_ROWS,
    WEBSOCKET_MEASURE,
    WEBSOCKET_ROWS,
    PageView,
    page_view_row,
    vital_row,
    vital_update_row,
)
from rumhouse.rate_limits import TokenBuckets, retry_after
from rumhouse.sites import Site, SiteRegistry
from rumhouse.tables import NAVIGATION_TYPES, VITAL_NAMES
from rumhouse.writer import Accepted

MAX_CLS = 100.0


@dataclass(slots=True)
class Incoming:
    """A beacon as it arrived: the body and the few request headers that matter."""

    body: bytes
    origin: str | None
    user_agent: str
    country: str | None
    received: float  # epoch seconds


@dataclass(slots=True)
class _State:
    incoming: Incoming
    beacon: schema.Beacon | None = None
    site: Site | None = None
    agent: Agent | None = None


class SeenBits:
    """What each recent page view has already sent, as bits: a bit per metric (VITAL_BITS), so that a
    repeated metric is dropped, and a bit per beacon number (`seq`, from SEQ_SHIFT on), so that a replayed
    beacon stores none of its rows again.

    Bounded: the oldest page views are forgotten first. A repeat arriving after that (hours later, past
    200,000 newer page views) would be stored; so would a replay of a page view's 512th or later beacon."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        # Ints, not sets, so that the 200,000 entries are nothing the cyclic garbage collector has to
        # visit (it would, in every full collection).
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    def get(self, site: str, page_view: str) -> int:
        """The bits this page view has sent so far."""
        return self._seen.get((site, page_view), 0)

    def add(self, site: str, page_view: str, bits: int) -> None:
        """Record `bits` for this page view, beside those it had."""
        key = (site, page_view)
        before = self._seen.get(key)
        if before is None:
            self._seen[key] = bits
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
        else:
            self._seen[key] = before | bits


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


VITAL_BITS = {name: 1 << i for i, name in enumerate(VITAL_NAMES)}
SEQ_SHIFT = 8  # beacon number n is bit SEQ_SHIFT + n, for n < MAX_TRACKED_SEQ
MAX_TRACKED_SEQ = 512  # bounds an entry at 65 bytes whatever `seq` a client sends
assert len(VITAL_BITS) <= SEQ_SHIFT


class Pipeline:
    def __init__(
        self,
        sites: SiteRegistry,
        *,
        query_allowlist: tuple[str, ...],
        drop_bots: bool,
        site_rate_limit: float = 0,
        site_burst: int = 1,
    ) -> None:
        self.sites = sites
        self.scrubber = UrlScrubber(query_allowlist)
        self.drop_bots = drop_bots
        self.seen = SeenBits()
        # One bucket per site, at the site's own rate or the server-wide default.
        self.site_limits = {
            site.key: TokenBuckets(
                site.rate_limit if site.rate_limit is not None else site_rate_limit,
                site.burst if site.burst is not None else site_burst,
            )
            for site in sites.by_key.values()
        }
        self._steps = (
            self.decode,
            self.known_site,
            self.allowed_origin,
            self.within_rate,
            self.sane_values,
            self.not_a_bot,
        )

    def process(self, incoming: Incoming) -> Drop | Accepted:
        state = _State(incoming)
        for step in self._steps:
            drop = step(state)
            if drop is not None:
                return drop
        return self.to_rows(state)

    # --- steps: each returns a Drop, or None to go on ---

    def decode(self, state: _State) -> Drop | None:
        try:
            state.beacon = schema.decoder.decode(state.incoming.body)
        except msgspec.ValidationError as exc:
            return Drop(Reason.INVALID, str(exc))
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # msgspec up to 0.19 raised UnicodeDecodeError for invalid UTF-8, later releases a DecodeError
            # like any malformed JSON: check the encoding only on this error path, so that both answer alike.
            if not _is_utf8(state.incoming.body):
                return Drop(Reason.BAD_ENCODING, "the body is not valid UTF-8")
            return Drop(Reason.BAD_JSON, str(exc))
        except RecursionError:
            # JSON nested deeper than msgspec recurses (in an unknown field, say): malformed for a beacon.
            return Drop(Reason.BAD_JSON, "nested too deeply")
        return None

    def known_site(self, state: _State) -> Drop | None:
        assert state.beacon is not None
        state.site = self.sites.get(state.beacon.site)
        if state.site is None:
            return Drop(Reason.UNKNOWN_SITE, f"no site has the key {state.beacon.site[:64]!r}")
        return None

    def allowed_origin(self, state: _State) -> Drop | None:
        assert state.site is not None
        origin = state.incoming.origin
        if not state.site.allows_origin(origin):
            shown = repr(origin[:100]) if origin else "a request without Origin"
            return Drop(
                Reason.ORIGIN_NOT_ALLOWED, f"{shown} may not send beacons for site {state.site.key!r}"
            )
        return None

    def within_rate(self, state: _State) -> Drop | None:
        assert state.site is not None
        wait = self.site_limits[state.site.key].take(None)
        if wait:
            return Drop(
                Reason.RATE_LIMITED, f"site {state.site.key!r} is over its rate limit", retry_after(wait)
            )
        return None

    def sane_values(self, state: _State) -> Drop | None:
        """Bounds that depend on another field, which the types cannot say."""
        assert state.beacon is not None
        for i, event in enumerate(state.beacon.ev):
            if type(event) is schema.Vital and event.n == "CLS" and event.v > MAX_CLS:
                return Drop(Reason.INVALID, f"CLS must be <= {MAX_CLS:g} - at `$.ev[{i}].v`")
        return None

    def not_a_bot(self, state: _State) -> Drop | None:
        assert state.beacon is not None
        state.agent = parse_agent(state.incoming.user_agent)
        if self.drop_bots and (state.agent.is_bot or state.beacon.wd):
            return Drop(Reason.BOT, "")
        return None

    # --- enrich and build rows ---

    def to_rows(self, state: _State) -> Accepted:
        beacon, agent, incoming = state.beacon, state.agent, state.incoming
        assert beacon is not None and agent is not None
        host, path, query = self.scrubber.page(beacon.url)
        dims = (
            beacon.site,
            beacon.pv,
            host,
            path,
            agent.browser,
            agent.os,
            agent.device_type,
            country_from(incoming.country),
            beacon.ctx.et,
            beacon.rel,
            beacon.nt if beacon.nt in NAVIGATION_TYPES else "navigate",
        )
        received = incoming.received
        start = received - max(0.0, beacon.now - beacon.view_start) / 1000.0
        pv = PageView(
            dims,
            start,
            received,
            beacon.view_start,
            query,
            host_of(beacon.ref),
            agent.browser_version,
            url=beacon.url,
        )
        if beacon.lb or beacon.cd:
            pv.labels = (
                scrub_short(beacon.lb) if beacon.lb else "",
                {scrub_short(k): scrub_short(v) for k, v in beacon.cd.items()},
            )
        rows: dict[str, list[tuple]] = {}
        events = len(beacon.ev) + (beacon.nav is not None)
        seen = self.seen.get(beacon.site, beacon.pv)
        seq_bit = 1 << (SEQ_SHIFT + beacon.seq) if beacon.seq < MAX_TRACKED_SEQ else 0
        if seen & seq_bit:
            # The same beacon again (a retry, a replay): answered like the first, stored not again.
            return Accepted.from_rows({}, events, {Reason.DUPLICATE: events} if events else None)
        seen |= seq_bit
        if beacon.nav is not None:
            rows["page_views"] = [page_view_row(pv, beacon)]
        # Vitals are checked for repeats first (a bit per metric and page view).
        vitals: list[tuple] = []
        updates: list[tuple] = []
        duplicates = 0
        for event in beacon.ev:
            if isinstance(event, schema.Vital):
                if event.r == 1:
                    # A value that may still change waits in vital_updates (settle.py); the beacon's
                    # sequence bit already keeps a replay of it out.
                    updates.append(vital_update_row(pv, event, beacon.seq))
                    continue
                bit = VITAL_BITS[event.n]
                if seen & bit:
                    duplicates += 1
                    continue
                seen |= bit
                if event.r == 2:
                    updates.append(vital_update_row(pv, event, beacon.seq))
                else:
                    vitals.append(vital_row(pv, event))
            else:
                table, build = EVENT_ROWS[type(event)]
                if isinstance(event, schema.Measure) and event.n == WEBSOCKET_MEASURE:
                    table, build = WEBSOCKET_ROWS
                table_rows = rows.get(table)
                if table_rows is None:
                    table_rows = rows[table] = []
                table_rows.append(build(pv, event))
        self.seen.add(beacon.site, beacon.pv, seen)
        rows["vitals"] = vitals
        if updates:
            rows["vital_updates"] = updates
        rows["beacons"] = [
            (received, beacon.site, beacon.pv, beacon.seq, int(beacon.last), events - duplicates)
        ]
        return Accepted.from_rows(rows, events, {Reason.DUPLICATE: duplicates} if duplicates else None)
