"""The error routes beside GET /errors (api/events.py):

PUT /sourcemaps           a source map for a script URL (and release): `rumhouse sourcemaps upload`
GET /sourcemaps           the site's maps: URL, release, size, when and by whom
GET /errors/{fingerprint} one error over the window: occurrences, page views, first and last seen, where
                          (paths, browsers, releases), and its latest stacks with every frame read back
                          through the site's source maps (the original file, line, column and name)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec

from rumhouse.api.access import ApiError
from rumhouse.api.common import iso_time
from rumhouse.api.filters import parse_filters
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import WindowQuery
from rumhouse.api.routes import resolve_site
from rumhouse.api.runtime import ApiRuntime
from rumhouse.errors import sourcemaps
from rumhouse.errors.stacks import Frame, frames
from rumhouse.store.base import Store, row_version

SAMPLES = 5


class MapQuery(msgspec.Struct, kw_only=True):
    site: str
    url: str = (
        ""  # required: the minified script's URL, as error stacks name it (its query string is dropped)
    )
    release: str = ""  # the release it belongs to; empty: any release


class MapStored(msgspec.Struct, kw_only=True):
    site: str
    url: str
    release: str
    sources: int  # files the map names
    bytes: int


class MapInfo(msgspec.Struct, kw_only=True):
    url: str
    release: str
    bytes: int
    uploaded_by: str
    uploaded_at: str


class MapList(msgspec.Struct, kw_only=True):
    site: str
    maps: list[MapInfo]


class Position(msgspec.Struct, kw_only=True):
    source: str  # the original file
    line: int
    column: int
    name: str | None


class StackFrame(msgspec.Struct, kw_only=True):
    function: str
    url: str
    line: int
    column: int
    original: Position | None  # null without a map for the URL, or outside what it maps


class Sample(msgspec.Struct, kw_only=True):
    time: str
    page_view_id: str
    path: str
    browser: str
    release: str
    stack: str
    frames: list[StackFrame]
    mapped: bool  # at least one frame read back through a source map


class Count(msgspec.Struct):
    value: str
    count: int


class ErrorDetail(msgspec.Struct, kw_only=True):
    fingerprint: str
    kind: str
    message: str
    source: str
    occurrences: int
    page_views: int
    first_seen: str
    last_seen: str
    paths: list[Count]
    browsers: list[Count]
    releases: list[Count]
    samples: list[Sample]  # the latest, newest first


def _clean_url(url: str) -> str:
    return url.split("#")[0].split("?")[0]


@lru_cache(maxsize=64)
def _parsed(site: str, url: str, release: str, version: int, text: str) -> sourcemaps.SourceMap:
    return sourcemaps.parse(text)


def _map_for(store: Store, site: str, url: str, release: str) -> sourcemaps.SourceMap | None:
    """The map of `url` for `release`, else the one for any release; None without one."""
    found = store.query(
        "SELECT release, version, map FROM rumhouse.sourcemaps FINAL WHERE site = {site:String}"
        " AND url = {url:String} AND release IN ({release:String}, '') ORDER BY release = '' LIMIT 1",
        {"site": site, "url": url, "release": release},
        readonly=True,
    ).rows
    if not found:
        return None
    kept_release, version, text = found[0]
    try:
        return _parsed(site, url, kept_release, int(version), text)
    except sourcemaps.MapError:
        return None  # checked when uploaded; a map that no longer reads maps nothing


def resolve(store: Store, site: str, release: str, stack: str) -> tuple[list[dict[str, Any]], bool]:
    out, mapped, maps = [], False, {}
    for frame in frames(stack):
        if not isinstance(frame, Frame):
            continue
        url = _clean_url(frame.url)
        if url not in maps:
            maps[url] = _map_for(store, site, url, release)
        source_map = maps[url]
        original = source_map.lookup(frame.line, frame.column) if source_map else None
        mapped = mapped or original is not None
        out.append(
            {
                "function": frame.function,
                "url": url,
                "line": frame.line,
                "column": frame.column,
                "original": None if original is None else {
                    "source": original.source, "line": original.line, "column": original.column,
                    "name": original.name,
                },
            }
        )  # fmt: skip
    return out, mapped


def error_operations(runtime: ApiRuntime) -> list[Operation]:
    def upload(call: Call) -> MapStored:
        q: MapQuery = call.query
        call.admin_of(q.site)
        url = _clean_url(q.url)
        if not url or len(url) > 2048 or len(q.release) > 64:
            raise ApiError(
                400,
                "bad_request",
                "url is required: a script's URL (2048 characters at most); release 64 at most",
            )
        try:
            parsed = sourcemaps.parse(call.body)
        except sourcemaps.MapError as exc:
            raise ApiError(400, "bad_request", f"the body is not a usable source map: {exc}") from None
        runtime.store.command(
            "INSERT INTO rumhouse.sourcemaps (site, url, release, map, uploaded_by, uploaded_at, version)"
            " VALUES ({site:String}, {url:String}, {release:String}, {map:String}, {who:String}, now64(3),"
            " {version:UInt64})",
            {"site": q.site, "url": url, "release": q.release, "map": call.body, "who": call.actor,
             "version": row_version()},
        )  # fmt: skip
        return MapStored(
            site=q.site, url=url, release=q.release, sources=len(parsed.sources), bytes=len(call.body)
        )

    def listing(call: Call) -> MapList:
        site = resolve_site(call)
        found = runtime.store.query(
            "SELECT url, release, length(map), uploaded_by, uploaded_at FROM rumhouse.sourcemaps FINAL"
            " WHERE site = {site:String} ORDER BY url, release",
            {"site": site},
            readonly=True,
        ).rows
        maps = [MapInfo(url=u, release=r, bytes=int(n), uploaded_by=by, uploaded_at=iso_time(at))
                for u, r, n, by, at in found]  # fmt: skip
        return MapList(site=site, maps=maps)

    def detail(call: Call) -> ErrorDetail:
        site = resolve_site(call)
        fingerprint = call.path["fingerprint"]
        if not fingerprint.isdigit() or int(fingerprint) >= 2**64:
            raise ApiError(400, "bad_request", "a fingerprint is digits, as /errors gives it")
        f = parse_filters(call.params, site)
        params = {**f.params(), "fp": int(fingerprint)}
        where = f"{f.raw_where()} AND fingerprint = {{fp:UInt64}}"
        store = runtime.store
        head = store.query(
            "SELECT any(kind), any(message), any(source), sum(count), uniqExact(page_view_id), min(time), max(time)"
            " FROM rumhouse.errors WHERE " + where,
            params,
            readonly=True,
        ).rows
        if not head or not int(head[0][3] or 0):
            raise ApiError(404, "not_found", f"no error {fingerprint} in this window")
        kind, message, source, n, views, first, last = head[0]

        def counted(column: str) -> list[Count]:
            """The five values of `column` (a name of the errors table) with the most occurrences."""
            found = store.query(
                f"SELECT {column}, sum(count) AS n FROM rumhouse.errors WHERE {where}"
                f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT 5",
                params,
                readonly=True,
            ).rows
            return [Count(str(v), int(c)) for v, c in found]

        latest = store.query(
            "SELECT time, page_view_id, path, browser, release, stack FROM rumhouse.errors WHERE "
            + where
            + f" ORDER BY time DESC LIMIT {SAMPLES}",
            params,
            readonly=True,
        ).rows
        samples = []
        for at, pv, path, browser, release, stack in latest:
            resolved, mapped = resolve(store, site, release, stack)
            samples.append({"time": iso_time(at), "page_view_id": pv, "path": path, "browser": browser,
                            "release": release, "stack": stack, "frames": resolved, "mapped": mapped})  # fmt: skip
        call.audit(site=site)
        return msgspec.convert(
            {"fingerprint": fingerprint, "kind": kind, "message": message, "source": source,
             "occurrences": int(n), "page_views": int(views), "first_seen": iso_time(first),
             "last_seen": iso_time(last), "paths": counted("path"), "browsers": counted("browser"),
             "releases": counted("release"), "samples": samples},
            ErrorDetail,
        )  # fmt: skip

    return [
        Operation(
            "PUT", "/sourcemaps", "upload_sourcemap",
            "Store a source map for a script URL (and release) of a site (admin of the site); the body is the"
            " map's JSON, 20 MB at most",
            upload, MapQuery, body=str, answer=MapStored, errors=(400, 413, 503),
            max_body=sourcemaps.MAX_MAP_BYTES,
        ),
        Operation("GET", "/sourcemaps", "sourcemaps", "The site's source maps", listing, WindowQuery, answer=MapList),
        Operation(
            "GET", "/errors/{fingerprint}", "error",
            "One error over the window: occurrences, page views, where (paths, browsers, releases), and its latest"
            " stacks with each frame read back through the site's source maps",
            detail, WindowQuery, answer=ErrorDetail, errors=(400, 404, 503),
        ),
    ]  # fmt: skip
