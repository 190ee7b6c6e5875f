"""Source maps decoded by hand-made examples (the Base64 VLQ of the format's specification) and stack lines
as Chrome, Firefox and Safari write them. The end-to-end case (a bundle esbuild made, an error in Chromium)
is tests/browser/test_sourcemaps.py."""

from __future__ import annotations

import orjson
import pytest

from rumhouse.errors.sourcemaps import MapError, Original, parse
from rumhouse.errors.stacks import Frame, frames


def test_segments_are_relative_and_the_column_restarts_per_line():
    # Line 1: col 0 -> a.js 1:1 "foo"; col 6 -> a.js 1:7 (M = 6). Line 2: col 0 -> a.js 2:7 (line + 1).
    # gA = 32 + 0 continued, B = 1 -> 32 >> 1 = 16: col 16 on line 3 maps to b.js (source + 1) 2:7.
    doc = {"version": 3, "sources": ["a.js", "b.js"], "names": ["foo"], "mappings": "AAAAA,MAAM;AACA;gBCAA"}
    m = parse(orjson.dumps(doc))
    assert m.lookup(1, 1) == Original("a.js", 1, 1, "foo")
    assert m.lookup(1, 5) == Original("a.js", 1, 1, "foo")  # the segment at or before the column
    assert m.lookup(1, 7) == Original("a.js", 1, 7, None)
    assert m.lookup(2, 1) == Original("a.js", 2, 7, None)
    assert m.lookup(3, 17) == Original("b.js", 2, 7, None)
    assert m.lookup(3, 2) is None and m.lookup(9, 1) is None  # before the first segment; no such line


def test_a_source_root_is_prefixed():
    m = parse(orjson.dumps({"version": 3, "sourceRoot": "webpack:///src/", "sources": ["x.js"], "names": [],
                            "mappings": "AAAA"}))  # fmt: skip
    assert m.lookup(1, 1).source == "webpack:///src/x.js"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b'{"version": 2, "sources": [], "mappings": ""}', "version 3"),
        (b'{"version": 3, "sections": []}', "index maps"),
        (b'{"version": 3, "sources": [], "names": [], "mappings": "A!A"}', "Base64"),
        (b'{"version": 3, "sources": [], "names": [], "mappings": "AA"}', "1, 4 or 5"),
        (b'{"version": 3, "sources": [], "names": [], "mappings": "g"}', "middle of a number"),
    ],
)
def test_what_is_not_a_usable_map_is_refused_with_a_reason(body, words):
    with pytest.raises(MapError, match=words):
        parse(body)


def test_stack_lines_of_each_browser():
    chrome = "TypeError: x\n    at applyDiscount (https://a.example/app.min.js:1:120)\n    at https://a.example/app.min.js:1:200"
    firefox = "applyDiscount@https://a.example/app.min.js:1:120\n@https://a.example/app.min.js:1:200"
    expected = [Frame("applyDiscount", "https://a.example/app.min.js", 1, 120),
                Frame("", "https://a.example/app.min.js", 1, 200)]  # fmt: skip
    assert frames(chrome) == ["TypeError: x", *expected]
    assert frames(firefox) == expected
    assert frames("    at new Cart (https://a.example/c.js:3:4)") == [
        Frame("new Cart", "https://a.example/c.js", 3, 4)
    ]
